/**
 * `map` steps: what the compiler, the interpreter workflow and the `runMap` workflow share. A map
 * step runs a per-item step (an llm call, an HTTP call, a transform, a user's action) or a saved
 * pipeline for each item of a list, at most `concurrency` at a time, in a child workflow of its
 * own that continues as new while it works through long lists; the outputs come back in the
 * items' order. Plain data and names only.
 */
import type { ExpressionScope, StepScope } from '../expressions/expressions';
import type { TokenUsage, NodeRunContext } from '../kinds/nodeRun';
import type { ItemStepNode } from './plan';
import type { PackedPlan } from './planWire';

/** The variables a map step's per-item templates can read besides steps, params and inputs. */
export const MAP_ITEM_VARIABLES = ['item', 'index'] as const;

/** Items in flight at once when the step does not say. */
export const DEFAULT_MAP_CONCURRENCY = 10;
/** The most items a map step may run at once (Temporal allows 2,000 pending activities or children). */
export const MAX_MAP_CONCURRENCY = 500;
/** The longest list a map step takes. */
export const MAX_MAP_ITEMS = 10_000;

/** What a map step does when an item fails for good. */
export type OnItemFailure = 'fail' | 'continue';

/** Per-item step kinds a map step can run (besides users' actions). */
export const MAP_ITEM_KINDS = ['llm', 'api_call', 'notification', 'transform'] as const;

/** Error codes a `map` step fails with. */
export const MAP_ERRORS = {
  /** `items` did not render to a list. */
  notAList: 'MapItemsNotAList',
  /** `items` has more than {@link MAX_MAP_ITEMS} elements. */
  tooManyItems: 'MapTooManyItems',
  /** An item failed for good under `on_item_failure: 'fail'`. */
  itemFailed: 'MapItemFailed',
  /** The items' outputs add up to more than the step's `max_output_bytes`. */
  outputTooLarge: 'MapOutputTooLarge',
  /** The map workflow itself did not complete (terminated, timed out). */
  mapFailed: 'MapFailed',
} as const;

/** An item that failed for good (its place in `results` holds null). */
export interface MapItemError {
  index: number;
  code?: string;
  /** At most `MAX_MAP_ERROR_MESSAGE_BYTES` (1 KiB); longer messages end with `… [truncated, N bytes]`. */
  message: string;
  attempts: number;
}

/** A failed item's message is cut to at most this many UTF-8 bytes (marker included). */
export const MAX_MAP_ERROR_MESSAGE_BYTES = 1024;
/** A map keeps at most this many item errors (the first to fail); it counts the rest in `droppedErrors`. */
export const MAX_MAP_ERRORS = 1000;
/**
 * …and at most this many bytes of them (JSON), within what `max_output_bytes` leaves: the errors
 * travel in the map's result with the outputs, so they count towards it.
 */
export const MAX_MAP_ERROR_BYTES = 256 * 1024;

/** The output of a `map` step. */
export interface MapOutput {
  /** One per item, in the items' order: the item step's output, or the child run's `outputs`; null for a failed item. */
  results: unknown[];
  /** Items that failed (only with `on_item_failure: 'continue'`), in the order they failed; see `MAX_MAP_ERRORS` (1,000). */
  errors: MapItemError[];
  /** Failed items not listed in `errors` (past its bounds): `size(errors) + droppedErrors` failed in all. */
  droppedErrors: number;
  /** The map workflow's execution id: `<run id>/<step id>`. */
  executionId: string;
}

/** What a `map` step's status shows while it runs. */
export interface MapRun {
  /** The map workflow's execution id: `<run id>/<step id>`. */
  executionId: string;
  /** How many items the list has. */
  total: number;
}

/** The per-item saved pipeline of a map step with `pipeline`. */
export interface MapPipeline {
  pipeline: string;
  /** Pinned version; absent: the deployed one (else the latest) when the map starts. */
  version?: number;
  /** Templates of the child's inputs and params, rendered per item. */
  inputs: Record<string, unknown>;
  params: Record<string, unknown>;
}

/** The run's values the per-item templates may read: the steps the map depends on, params, inputs. */
export interface MapContext {
  steps: Record<string, StepScope>;
  params: Record<string, unknown>;
  inputs: Record<string, unknown>;
}

/** What the map workflow carries into a continuation. */
export interface MapCarryOver {
  /** Outputs of items `0 … next-1` (the items in flight were drained before continuing). */
  results: unknown[];
  errors: MapItemError[];
  /** Failed items not kept in `errors`. Absent in continuations started before errors were weighed. */
  droppedErrors?: number;
  usage?: TokenUsage;
  /** Bytes of JSON of `results` (see `maxOutputBytes`). */
  outputBytes: number;
  /** Bytes of JSON of `errors`. Absent in continuations started before errors were weighed. */
  errorBytes?: number;
  /** How many continuations came before this one. */
  continuations: number;
  /** With `pipeline`: the version resolved when the map started, and its plan. */
  resolved?: { version: number; plan: PackedPlan };
}

/** The input of the `runMap` workflow. */
export interface RunMapInput {
  /** The map step's id in the parent run. */
  stepId: string;
  /** The items not yet started: the whole list, or the rest of it in a continuation. */
  items: unknown[];
  /** The index of `items[0]` in the whole list (0, or where a continuation picks up). */
  offset: number;
  /** The length of the whole list. */
  total: number;
  concurrency: number;
  onItemFailure: OnItemFailure;
  /** The most the items' outputs and kept errors may add up to, bytes of JSON. @default MAX_INLINE_PAYLOAD_BYTES */
  maxOutputBytes?: number;
  /** With `step`: the per-item step, compiled. */
  step?: ItemStepNode;
  /** With `pipeline`: the saved pipeline per item. */
  pipeline?: MapPipeline;
  context: MapContext;
  /** The parent run's context: its task id, trace id, pipeline and version. */
  run: NodeRunContext;
  activityTaskQueue?: string;
  /**
   * Continue as new past this many history events (the run's own threshold when its start set
   * one, else its plan's `engineDefaults`). Absent in maps started before it was always set:
   * 4000 (RECORDED_RUN_DEFAULTS).
   */
  continueAsNewAfterEvents?: number;
  /** …or past this many bytes of history. Absent in maps started before: 4 MiB. */
  continueAsNewAfterBytes?: number;
  /** The heartbeat timeout of item activities, ms. Absent in maps started before: 15 s. */
  heartbeatTimeoutMs?: number;
  carried?: MapCarryOver;
}

/** What the `runMap` workflow returns. */
export interface RunMapResult {
  results: unknown[];
  errors: MapItemError[];
  /** Absent from maps that ended before errors were weighed. */
  droppedErrors?: number;
  /** The llm usage of every item, summed (counted into the parent run's usage). */
  usage?: TokenUsage;
}

/** The map workflow's id: the parent's id and the step's. */
export const mapExecutionId = (parentId: string, stepId: string): string => `${parentId}/${stepId}`;
/** A per-item child run's id (map steps with `pipeline`): the map's id and the item's index. */
export const mapItemExecutionId = (mapId: string, index: number): string => `${mapId}/${index}`;
/** A per-item activity's id and node id inside the map workflow: `<step id>[<index>]`. */
export const mapItemNodeId = (stepId: string, index: number): string => `${stepId}[${index}]`;

/** The scope an item's templates are rendered in. */
export function mapItemScope(context: MapContext, item: unknown, index: number): ExpressionScope {
  return { steps: context.steps, params: context.params, inputs: context.inputs, item, index };
}

/** The UTF-8 length of a value's JSON: what it weighs in a payload. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value ?? null);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4; // a surrogate pair: one 4-byte character
      i++;
    } else bytes += 3;
  }
  return bytes;
}
