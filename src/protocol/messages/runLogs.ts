/** The run's log: its records, and the `logs` query that pages through them. */
import { defineQuery } from '@temporalio/workflow';
import type { RunLogLevel } from '../../model';

/** Where a run log record came from. */
export type RunLogSource =
  /** a `log` step */
  | 'log_node'
  /** the engine: step started / completed / failed / skipped / cancelled / retried; an attempt failed / a retry started */
  | 'engine'
  /** the step's activity code: a user action's `ctx.log`, a built-in I/O node's own warning */
  | 'action';

/** One record of the run's log. */
export interface RunLogEntry {
  /** 1, 2, 3, … in the run, in the order records were appended; never reused. */
  seq: number;
  /**
   * ISO timestamp. Workflow time for `engine` and `log_node` records; for `action` records, the
   * worker's clock when the action logged (they reach the run when the attempt ends).
   */
  at: string;
  level: RunLogLevel;
  /** The step the record is about. */
  stepId?: string;
  /** The activity attempt (1-based) the record is about, when it is about one. */
  attempt?: number;
  /** At most 2 KiB (UTF-8); longer messages end with `… [truncated, N bytes]`. */
  message: string;
  source: RunLogSource;
  /** On the engine's record of a failed activity attempt: what failed and what followed. */
  attemptFailure?: RunLogAttemptFailure;
}

/**
 * A failed activity attempt, on its run log record (the message says the same in words). One
 * record per failed attempt; a retry's start has a record of its own (`step x attempt 2 started`).
 */
export interface RunLogAttemptFailure {
  /** Our error code (`RateLimited`, `UpstreamUnavailable`, `Timeout`, …), or an action's own type. */
  code?: string;
  /** HTTP status of the failing response, if any. */
  status?: number;
  /** Another attempt followed (`nextAttemptInMs` later), or none did (`reason` says why). */
  retry: boolean;
  /** How long Temporal waited before the next attempt, ms. */
  nextAttemptInMs?: number;
  /** Where that delay came from: the upstream's `retry-after`, or the step's retry policy. */
  delaySource?: 'retry-after' | 'policy';
  /** Why no attempt followed (`maximum 3 attempts reached`, `BadRequest is not retryable`). */
  reason?: string;
}

/** Which log records a {@link runLogsQuery} returns. Every field is optional. */
export interface RunLogsRequest {
  /** Only records with a larger `seq` (pass the previous page's `lastSeq`). @default 0 */
  afterSeq?: number;
  /** Minimum level (`warn` returns `warn` and `error`). @default 'debug' */
  level?: RunLogLevel;
  /** Only records about this step. */
  stepId?: string;
  /** At most this many records (clamped to 1…1000). @default 1000 */
  limit?: number;
}

export interface RunLogsPage {
  /** Matching records with `seq > afterSeq`, oldest first. */
  records: RunLogEntry[];
  /**
   * Where the scan stopped: pass it as the next `afterSeq`. The `seq` of the last record returned
   * when the page is full (`limit`), otherwise the run's newest `seq` (records the filters
   * skipped are not scanned again); never less than `afterSeq`.
   */
  lastSeq: number;
  /** As in {@link RunSnapshot.droppedLogs}: records `1…droppedLogs` are gone. */
  droppedLogs: number;
  /**
   * The run has ended (completed, failed or cancelled) and its end-of-run callback, if any, is
   * settled: no record will follow. A terminated or
   * timed-out run never ends in its own code, so this stays `false` for it; check the
   * workflow's status too.
   */
  closed: boolean;
}

/** A page of the run's log; poll with `afterSeq` to follow it. */
export const runLogsQuery = defineQuery<RunLogsPage, [RunLogsRequest]>('logs');
