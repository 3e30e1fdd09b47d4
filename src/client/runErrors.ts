/**
 * The client's errors about a run: it did not complete (or a budget ended it), it refused an
 * event, or waiting for it took too long.
 */
import { PipelineError, type BudgetBreach, type PayloadIssue } from '../model';
import type { EventRejectionReason } from '../protocol';
import type { Execution } from './executions/executionView';

/**
 * A run did not complete. `status` says how it ended (`failed`, `cancelled`, `terminated`,
 * `timed_out`); for `failed`, `nodeId` is the step that failed it, after `attempts` attempts.
 */
export class PipelineRunFailedError extends PipelineError {
  static readonly CODE: string = 'run_failed';
  readonly code: 'run_failed' | 'budget_exceeded' = 'run_failed';
  constructor(
    readonly taskId: string,
    readonly runError: string,
    readonly nodeId: string | undefined,
    readonly attempts: number | undefined,
    options?: { cause?: unknown; status?: 'failed' | 'cancelled' | 'terminated' | 'timed_out' },
  ) {
    const status = options?.status ?? 'failed';
    const how = {
      failed: 'failed',
      cancelled: 'was cancelled',
      terminated: 'was terminated',
      timed_out: 'timed out',
    }[status];
    super(`Run ${taskId} ${how}: ${runError}`, options);
    this.status = status;
  }

  /** How the run ended. */
  readonly status: 'failed' | 'cancelled' | 'terminated' | 'timed_out';
}

/**
 * A run failed because a token or cost budget ran out: the step that failed it (`nodeId`) is an
 * llm step refused with code `BudgetExceeded` (the steps that completed before keep their
 * outputs). `budget` says which budget, how much was used and the limit, when the run refused
 * the step itself; it is absent when the step's own call found its budget left no room (the
 * message says so). Also a {@link PipelineRunFailedError} (`status: 'failed'`).
 */
export class BudgetExceededError extends PipelineRunFailedError {
  static override readonly CODE = 'budget_exceeded';
  override readonly code = 'budget_exceeded' as const;
  constructor(
    taskId: string,
    runError: string,
    nodeId: string | undefined,
    attempts: number | undefined,
    /** Which budget (`scope` run or step, `limit` max_tokens or max_cost), `used` and `max`. */
    readonly budget: BudgetBreach | undefined,
    options?: { cause?: unknown },
  ) {
    super(taskId, runError, nodeId, attempts, { ...options, status: 'failed' });
  }
}

/**
 * A run refused an event sent to a `wait_for_event` step; nothing was recorded and the step
 * (if it waits) goes on waiting. `reason` says why: `unknown_step`, `not_an_event_step`,
 * `not_waiting` (pending, or already settled), `invalid_payload` (`issues` lists every field
 * that does not fit the step's schema, with paths inside the payload), or `run_closed` (the run
 * has ended).
 */
export class EventRejectedError extends PipelineError {
  static readonly CODE = 'event_rejected';
  readonly code = 'event_rejected' as const;
  constructor(
    readonly executionId: string,
    readonly node: string,
    readonly reason: EventRejectionReason | 'run_closed',
    message: string,
    /** With `invalid_payload`: each problem's path inside the payload and a sentence. */
    readonly issues: readonly PayloadIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(`Run ${executionId} refused the event for step '${node}': ${message}`, options);
  }
}

/** Waiting for a run's result took longer than asked; the run itself goes on. */
export class PollTimeoutError extends PipelineError {
  static readonly CODE = 'poll_timeout';
  readonly code = 'poll_timeout' as const;
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
  ) {
    super(`Run ${taskId} did not finish within ${timeoutMs} ms (it is still going)`);
  }
}

/** A run reached its own `timeout` (status `timed_out`) while the caller waited for it. */
export class TimeoutError extends PipelineError {
  static readonly CODE = 'run_timed_out';
  readonly code = 'run_timed_out' as const;
  constructor(
    readonly executionId: string,
    /** The timed-out execution, as it stood. */
    readonly execution?: Execution,
  ) {
    super(`Run ${executionId} reached its timeout`);
  }
}
