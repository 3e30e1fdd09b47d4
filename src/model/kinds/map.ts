/**
 * The `map` kind: a step or a saved pipeline run once per item of a list, in a child workflow.
 */
import { z } from 'zod';
import { boundedDuration, RetryConfig } from '../definition/definition';
import { DURATION_LIMITS } from '../definition/duration';
import { DEFAULT_MAP_CONCURRENCY, MAX_MAP_CONCURRENCY, MAX_MAP_ITEMS } from '../plan/mapItems';
import { PARAM_ROLES } from './paramRoles';
import type { KindSpec } from './kindSpec';

/** A map step's per-item step: a step without id, dependencies, condition or budget. */
export const MapItemStep = z.strictObject({
  /** `llm`, `api_call`, `notification`, `transform`, or a user's action. */
  action: z.string().min(1).max(128),
  /** The step's params; templates may read `item` and `index` besides steps, params and inputs. */
  params: z.record(z.string(), z.unknown()).optional(),
  retry: RetryConfig.optional(),
  /** Per-attempt timeout of each item's activity, at most 30 days. */
  timeout: boundedDuration(DURATION_LIMITS.stepTimeout).optional(),
  description: z.string().optional(),
});
export type MapItemStep = z.infer<typeof MapItemStep>;

export const MapParams = z
  .strictObject({
    /** The list: usually one template, e.g. `{{ steps.fetch.output.body.documents }}`. */
    items: z.union([z.array(z.unknown()).max(MAX_MAP_ITEMS), z.string()]),
    /** Items in flight at once. @default 10 */
    concurrency: z.number().int().min(1).max(MAX_MAP_CONCURRENCY).optional(),
    /**
     * The most the outputs of all items may add up to (bytes of JSON): they travel in one Temporal
     * payload, so more fails the step with `MapOutputTooLarge` as soon as it is passed. Raise it
     * only when the worker and client use the claim check. @default 2031616 (2 MiB less 64 KiB)
     */
    max_output_bytes: z.number().int().positive().optional(),
    /** `fail`: the first item that fails for good fails the step (items in flight are cancelled); `continue`: its result is null and it is listed in `errors`. @default 'fail' */
    on_item_failure: z.enum(['fail', 'continue']).optional(),
    /** The step run for each item (exactly one of `step` and `pipeline`). */
    step: MapItemStep.optional(),
    /** The saved pipeline run for each item, as a child run (exactly one of `step` and `pipeline`). */
    pipeline: z.string().min(1).max(128).optional(),
    /** With `pipeline`: the saved version to run. @default the deployed version (else the latest) when the step starts */
    version: z.number().int().positive().optional(),
    /** With `pipeline`: the child's inputs per item; templates may read `item` and `index`. */
    inputs: z.record(z.string(), z.unknown()).optional(),
    /** With `pipeline`: the child's params per item; templates may read `item` and `index`. */
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.step === undefined) === (v.pipeline === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [v.step === undefined ? 'step' : 'pipeline'],
        message:
          'a map step needs exactly one of step (run for each item) and pipeline (a saved pipeline run for each item)',
      });
    }
    if (v.step !== undefined) {
      for (const key of ['version', 'inputs', 'params'] as const) {
        if (v[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key} applies only with pipeline; with step, write the item step's own params`,
          });
        }
      }
    }
  });
export type MapParams = z.infer<typeof MapParams>;

/** The `map` kind. */
export const MAP_KIND: KindSpec = Object.freeze({
  execution: 'map',
  params: MapParams,
  defaults: { concurrency: DEFAULT_MAP_CONCURRENCY, on_item_failure: 'fail' },
  outputs: ['results', 'errors', 'droppedErrors', 'executionId'],
  ...PARAM_ROLES.map,
  description:
    'Runs `step` (an llm, api_call, notification or transform step, or a user action) or the saved `pipeline` once for ' +
    'each element of `items`, at most `concurrency` at a time, in a child workflow of its own (id `<run id>/<step id>`) ' +
    "that continues as new while it works through long lists. Per-item templates read `item` and `index` besides the run's " +
    'steps, params and inputs. Output: { results, errors, droppedErrors, executionId }: `results` holds one output per item, in the ' +
    "items' order (an item step's output, or the child run's `outputs`). An item that fails for good fails the step with " +
    "code `MapItemFailed` (`on_item_failure: 'fail'`, the default; items in flight are cancelled), or leaves null in " +
    "`results` and an entry in `errors` (`'continue'`; at most 1,000 entries and 256 KiB, messages cut to 1 KiB; " +
    'failed items past that are counted in `droppedErrors`). `items` that is not a list fails with `MapItemsNotAList`; ' +
    'outputs and errors adding up to more than `max_output_bytes` fail it with `MapOutputTooLarge`.',
});
