/**
 * Concurrency limits per key: at most `limit` runs sharing a key execute at once; the others wait
 * (`onLimit: 'queue'`) or are refused at start (`onLimit: 'reject'`). One limiter entity workflow
 * per key (workflow id `concurrency:<key>`) hands out the slots. Pure: used by the client, the
 * compiler and workflow code.
 */
import type { PipelineIssue } from '../definition/issues';

/** What a run at the limit does: wait for a slot, or be refused at start with `RateLimitError`. */
export type OnLimit = 'queue' | 'reject';

/** A run's concurrency limit, resolved from its definition and its start options. */
export interface RunConcurrency {
  /** Runs sharing the key share the limit. */
  key: string;
  /** At most this many runs of the key execute at once. */
  limit: number;
  onLimit: OnLimit;
  /** Set by the client when it already reserved the run's slot (`onLimit: 'reject'`). */
  reserved?: true;
}

/** A run's request for a slot, as the limiter gets it. */
export interface SlotRequest {
  /** The run's workflow id. */
  holder: string;
  /** The limit the run was started with; the latest request's limit is the key's limit. */
  limit: number;
  /** Temporal priority key: lower is served first. @default 3 */
  priority?: number;
  /** When the run started (ms since the epoch): equal priorities are served in start order. */
  arrivalMs: number;
}

/** The limiter entity workflow's type. */
export const CONCURRENCY_LIMITER_WORKFLOW = 'concurrencyLimiter';
/** The update a run sends its key's limiter to ask for a slot: granted at once, or queued. */
export const ACQUIRE_SLOT_UPDATE = 'acquireSlot';
/** The limiter's answer: `granted: false` means queued; `slotGranted` will follow. */
export interface AcquireSlotResult {
  granted: boolean;
}
/** The local activity that asks a limiter for a slot (starting the limiter when it is not running). */
export const REQUEST_SLOT_ACTIVITY = 'requestConcurrencySlot';
/** The activity that tells a limiter which of its holders have ended. */
export const CLOSED_RUNS_ACTIVITY = 'closedPipelineRuns';

export const MAX_CONCURRENCY_KEY_LENGTH = 200;
/** A limit larger than this is refused: it is no limit, and the limiter keeps every holder in its state. */
export const MAX_CONCURRENT_RUNS = 10_000;

/** The limiter entity workflow's id for a key. */
export function concurrencyLimiterId(key: string): string {
  return `concurrency:${key}`;
}

/** The key of runs that give none: the pipeline's name. */
export function defaultConcurrencyKey(pipelineName: string): string {
  return `pipeline:${pipelineName}`;
}

/** Problems with a concurrency limit, at `path` (`['max_concurrent_runs']`, `['maxConcurrentRuns']`). */
export function concurrencyLimitIssues(limit: unknown, path: (string | number)[]): PipelineIssue[] {
  if (limit === undefined) return [];
  if (Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= MAX_CONCURRENT_RUNS)
    return [];
  return [
    {
      path,
      code: 'invalid_type',
      message: `A concurrency limit must be an integer 1–${MAX_CONCURRENT_RUNS}, got ${JSON.stringify(limit)}.`,
    },
  ];
}

/** Problems with a run's `concurrencyKey`. */
export function concurrencyKeyIssues(key: unknown): PipelineIssue[] {
  if (key === undefined) return [];
  if (typeof key === 'string' && key.length > 0 && key.length <= MAX_CONCURRENCY_KEY_LENGTH) return [];
  return [
    {
      path: ['concurrencyKey'],
      code: 'invalid_type',
      message: `concurrencyKey must be a non-empty string of at most ${MAX_CONCURRENCY_KEY_LENGTH} characters, got ${JSON.stringify(key)}.`,
    },
  ];
}

/** Problems with `onLimit` / `on_limit`. */
export function onLimitIssues(onLimit: unknown, path: (string | number)[]): PipelineIssue[] {
  if (onLimit === undefined || onLimit === 'queue' || onLimit === 'reject') return [];
  return [
    {
      path,
      code: 'invalid_type',
      message: `${path.join('.')} must be 'queue' or 'reject', got ${JSON.stringify(onLimit)}.`,
    },
  ];
}
