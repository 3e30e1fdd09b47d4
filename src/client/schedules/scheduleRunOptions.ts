/**
 * The run options of an updated schedule: those it was made with, read back from its action,
 * with the update's changes applied (params and inputs merged, other fields replaced).
 */
import type { ScheduleDescription } from '@temporalio/client';
import { defaultConcurrencyKey } from '../../model';
import { unpackPlan } from '../../model';
import { isInputNode } from '../../model';
import type { RunPipelineInput } from '../../protocol';
import type { PriorityOption } from '../runs/startRun';
import { timeoutOf, userTags } from './scheduleAction';
import type { ScheduleRunOptions, UpdateScheduleOptions } from './scheduleOptions';

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The run options after `changes`: the carried ones (see `carriedRunOptions`), the changed
 * fields replacing theirs, params and inputs merged.
 */
export function updatedRunOptions(
  d: ScheduleDescription,
  current: RunPipelineInput,
  repinned: boolean,
  changes: UpdateScheduleOptions,
): ScheduleRunOptions {
  const carried = carriedRunOptions(d, current, repinned);
  return {
    ...carried,
    ...definedOnly(changes, RUN_OPTION_KEYS),
    params: merge(carried.params, changes.params),
    inputs: merge(carried.inputs, changes.inputs),
  };
}

const RUN_OPTION_KEYS = [
  'tags',
  'priority',
  'timeout',
  'maxParallelism',
  'callbacks',
  'budget',
  'concurrencyKey',
  'maxConcurrentRuns',
] as const;

function definedOnly<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

/** `base` with `changes` applied; a key whose change is `undefined` is removed. */
function merge(
  base: Record<string, unknown> | undefined,
  changes: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(changes ?? {})) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/**
 * The run options a schedule was made with, read back from its action. Values that are only
 * the old version's defaults (params, inputs, the definition's concurrency limit) are left out
 * when `repinned`, so that they follow the new version's.
 */
function carriedRunOptions(
  d: ScheduleDescription,
  input: RunPipelineInput,
  repinned: boolean,
): ScheduleRunOptions {
  const plan = unpackPlan(input.plan);
  let params = { ...input.params };
  let inputs = { ...input.inputs };
  if (repinned) {
    params = Object.fromEntries(
      Object.entries(params).filter(([key, value]) => !sameJson(plan.params?.[key]?.default, value)),
    );
    const inputDefaults = new Map(
      plan.nodes
        .filter(isInputNode)
        .map((n) => [n.inputName ?? n.id, (n.params as { default?: unknown }).default]),
    );
    inputs = Object.fromEntries(
      Object.entries(inputs).filter(([key, value]) => !sameJson(inputDefaults.get(key), value)),
    );
  }
  const concurrency = input.concurrency;
  const ownLimit =
    concurrency &&
    !(concurrency.key === defaultConcurrencyKey(plan.name) && concurrency.limit === plan.maxConcurrentRuns);
  const priority = d.action.priority?.priorityKey;
  const timeout = timeoutOf(d);
  const tags = userTags(d);
  return {
    params,
    inputs,
    ...(tags.length > 0 && { tags }),
    ...(priority !== undefined && { priority: priorityOption(priority) }),
    ...(timeout !== undefined && { timeout }),
    ...(input.maxParallelism !== undefined && { maxParallelism: input.maxParallelism }),
    ...(input.callbacks && { callbacks: input.callbacks }),
    ...(input.budget && { budget: input.budget }),
    ...(ownLimit && { concurrencyKey: concurrency.key, maxConcurrentRuns: concurrency.limit }),
  };
}

function priorityOption(key: number): PriorityOption | undefined {
  return Number.isInteger(key) && key >= 1 && key <= 5 ? (key as PriorityOption) : undefined;
}
