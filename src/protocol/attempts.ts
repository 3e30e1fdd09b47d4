/**
 * Activity attempts as the run's log tells them: the signal a node activity sends the run when
 * one of its attempts fails (and when a retry starts), and the rule that says what follows a
 * failed attempt under the step's retry policy. Pure: bundled into workflow code.
 */
import type { NodeLogRecord } from './nodeActivity';
import type { PlanRetryPolicy } from '../model';

/** The signal a node activity reports its attempts with (see {@link AttemptEvent}). */
export const ATTEMPT_EVENT_SIGNAL = 'attemptEvent';

/** Why an attempt failed, as far as its worker (or Temporal) knows. Messages only: no headers. */
export interface AttemptFailure {
  /** Our error code (`RateLimited`, `UpstreamUnavailable`, …), `Timeout`, or an action's own type. */
  code?: string;
  /** HTTP status of the failing response, if any. */
  status?: number;
  message: string;
  /** The failure said it must not be retried. */
  nonRetryable?: boolean;
  /** The delay the upstream asked for (`retry-after`), ms: Temporal waits this instead of the policy's interval. */
  retryAfterMs?: number;
}

/**
 * What a node activity tells its run about its attempts, by the {@link ATTEMPT_EVENT_SIGNAL}
 * signal:
 *
 * - `failed`: the attempt failed and a retry follows (as far as the worker can tell). An attempt
 *   the worker knows to be the last one sends nothing: the step's own failure says it. A timed-out
 *   attempt sends nothing either (its worker learns of the timeout late, if ever): the next
 *   attempt's `started` event carries what Temporal recorded about it.
 * - `started`: a retry (attempt 2, 3, …) began; `previous` is the last failure Temporal recorded
 *   for the step's activity (the previous attempt's), when the worker could read it.
 */
export type AttemptEvent =
  | {
      kind: 'failed';
      nodeId: string;
      /** 1-based. */
      attempt: number;
      /** How long the attempt ran, ms (worker's clock). */
      durationMs: number;
      failure: AttemptFailure;
      /** What the attempt logged through its context (bounded as in `NodeActivityResult.logs`). */
      logs?: NodeLogRecord[];
      droppedLogs?: number;
    }
  | {
      kind: 'started';
      nodeId: string;
      attempt: number;
      previous?: AttemptFailure;
    };

/** What follows a failed attempt. */
export type AttemptSequel =
  | {
      retry: true;
      /** How long Temporal waits before the next attempt, ms. */
      delayMs: number;
      /** `retry-after`: the upstream's hint; `policy`: the step's retry policy (backoff). */
      delaySource: 'retry-after' | 'policy';
    }
  | {
      retry: false;
      /** Why no attempt follows (`maximum 3 attempts reached`, `BadRequest is not retryable`). */
      reason: string;
    };

/** Temporal's retry policy for an activity scheduled without one: unlimited attempts, 1 s, ×2, up to 100 s. */
export const TEMPORAL_DEFAULT_RETRY_POLICY: Readonly<PlanRetryPolicy> = {
  maximumAttempts: 0,
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maximumIntervalMs: 100_000,
  nonRetryableErrorTypes: [],
};

/**
 * What Temporal does after attempt `attempt` failed with `failure`, under `policy` (the server's
 * rules): no retry for a non-retryable failure, a code in `nonRetryableErrorTypes`, or the last
 * allowed attempt; otherwise the upstream's `retry-after` when given, else
 * `min(initialInterval × backoffCoefficient^(attempt−1), maximumInterval)`.
 * Without a policy, Temporal's default applies ({@link TEMPORAL_DEFAULT_RETRY_POLICY}).
 *
 * @example
 * attemptSequel({ maximumAttempts: 3, initialIntervalMs: 100, backoffCoefficient: 2, maximumIntervalMs: 10_000, nonRetryableErrorTypes: [] }, 2, { message: 'x' })
 * // → { retry: true, delayMs: 200, delaySource: 'policy' }
 */
export function attemptSequel(
  policy: PlanRetryPolicy = TEMPORAL_DEFAULT_RETRY_POLICY,
  attempt: number,
  failure: AttemptFailure,
): AttemptSequel {
  const listed = failure.code !== undefined && policy.nonRetryableErrorTypes.includes(failure.code);
  if (failure.nonRetryable || listed) {
    return {
      retry: false,
      reason:
        failure.code !== undefined ? `${failure.code} is not retryable` : 'the failure is not retryable',
    };
  }
  if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) {
    return { retry: false, reason: `maximum ${policy.maximumAttempts} attempts reached` };
  }
  if (failure.retryAfterMs !== undefined) {
    return { retry: true, delayMs: failure.retryAfterMs, delaySource: 'retry-after' };
  }
  const backoff = policy.initialIntervalMs * policy.backoffCoefficient ** Math.max(0, attempt - 1);
  const delayMs = Math.round(
    policy.maximumIntervalMs > 0 ? Math.min(backoff, policy.maximumIntervalMs) : backoff,
  );
  return { retry: true, delayMs, delaySource: 'policy' };
}
