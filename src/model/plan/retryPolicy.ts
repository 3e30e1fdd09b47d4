/** A step's `retry` settings as Temporal's retry policy, checked (used for steps and map items). */
import type { RetryConfig } from '../definition/definition';
import { DURATION_LIMITS, durationToMs } from '../definition/duration';
import type { PlanRetryPolicy } from './plan';
import type { PipelineIssue } from '../definition/issues';
import { ALWAYS_NON_RETRYABLE } from './planWire';

/**
 * The retry policy of an I/O step from its written `retry` (defaults filled in); an interval
 * that is not positive or a maximum below the initial interval is an `invalid_retry` issue at
 * `path` (the path of the `retry` setting itself).
 */
export function retryPolicy(
  retry: RetryConfig | undefined,
  path: (string | number)[],
  stepId: string,
  issues: PipelineIssue[],
): PlanRetryPolicy {
  const r = retry ?? {};
  const initialIntervalMs = r.initial_interval !== undefined ? durationToMs(r.initial_interval) : 1000;
  const maximumIntervalMs =
    r.max_interval !== undefined
      ? durationToMs(r.max_interval)
      : Math.min(100 * initialIntervalMs, Math.max(DURATION_LIMITS.retryInterval, initialIntervalMs));
  if (initialIntervalMs <= 0) {
    issues.push({
      path: [...path, 'initial_interval'],
      code: 'invalid_retry',
      message: 'retry.initial_interval must be greater than zero.',
      stepId,
    });
  }
  if (maximumIntervalMs < initialIntervalMs) {
    issues.push({
      path: [...path, 'max_interval'],
      code: 'invalid_retry',
      message: `retry.max_interval (${maximumIntervalMs} ms) is shorter than retry.initial_interval (${initialIntervalMs} ms).`,
      stepId,
    });
  }
  return {
    maximumAttempts: r.max_attempts ?? 3,
    initialIntervalMs,
    backoffCoefficient: r.backoff_multiplier ?? 2,
    maximumIntervalMs,
    nonRetryableErrorTypes: [...new Set([...(r.non_retryable_errors ?? []), ...ALWAYS_NON_RETRYABLE])],
  };
}
