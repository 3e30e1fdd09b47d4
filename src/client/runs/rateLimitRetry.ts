/**
 * Retrying a start that was refused for load (`RateLimitError`): exponential backoff with full
 * jitter, so a burst of refused starts spreads out instead of returning together, honouring the
 * refusal's `retryAfterMs` when it has one, for a bounded number of attempts.
 */
import { RateLimitError, translateError } from '../errors';
import { sleep } from '../../shared';

/** How rate-limited starts are retried (see `ConnectRetryOptions.rateLimited`). */
export interface RateLimitRetryOptions {
  /** Attempts per start, the first included; then the `RateLimitError` is thrown. @default 10 */
  maxAttempts?: number;
  /**
   * The longest first wait: before retry n the client waits a random time between 0 and
   * `initialDelayMs × 2^(n−1)`, at most `maxDelayMs` ("full jitter"). @default 250
   */
  initialDelayMs?: number;
  /** The longest wait drawn between two attempts. @default 10000 */
  maxDelayMs?: number;
  /** Called before each wait, e.g. to count or log retries. */
  onRetry?: (event: RateLimitRetryEvent) => void;
}

export interface RateLimitRetryEvent {
  error: RateLimitError;
  /** The attempt that was refused (1 is the first). */
  attempt: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
}

/** What `withRateLimitRetry` retries, and how. */
export interface RateLimitRetryPolicy extends RateLimitRetryOptions {
  /**
   * `RateLimitError.reason`s thrown at once instead of retried. A single `start` passes
   * `[ENGINE_CONCURRENCY_LIMIT]` (its caller asked for rejection); batches pass none.
   * @default []
   */
  nonRetryableReasons?: readonly string[];
}

/**
 * The `RateLimitError.reason` of a start the engine's own concurrency limit refused (a pipeline
 * with `onLimit: 'reject'`), as opposed to a limit of Temporal's.
 */
export const ENGINE_CONCURRENCY_LIMIT = 'CONCURRENCY_LIMIT';

export const RATE_LIMIT_RETRY_DEFAULTS = {
  maxAttempts: 10,
  initialDelayMs: 250,
  maxDelayMs: 10_000,
} as const;

/**
 * How long to wait after attempt `attempt` (1-based) was refused: a random time up to the
 * backoff ceiling `min(maxDelayMs, initialDelayMs × 2^(attempt−1))`; with a `retryAfterMs` hint,
 * the hint plus that random time (never sooner than asked).
 */
export function rateLimitDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  options: Pick<RateLimitRetryOptions, 'initialDelayMs' | 'maxDelayMs'> = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialDelayMs ?? RATE_LIMIT_RETRY_DEFAULTS.initialDelayMs;
  const max = options.maxDelayMs ?? RATE_LIMIT_RETRY_DEFAULTS.maxDelayMs;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
  const jitter = Math.floor(random() * ceiling);
  return (retryAfterMs !== undefined && retryAfterMs > 0 ? retryAfterMs : 0) + jitter;
}

/**
 * Calls `start` until it does not throw a retryable `RateLimitError`, waiting
 * {@link rateLimitDelayMs} between attempts. Errors are translated first (`translateError`), so
 * `start` may be a raw Temporal call; every other error, a reason in `nonRetryableReasons` and the
 * refusal of the last attempt are thrown as they are.
 * @example
 * // Keep starting through the engine's concurrency limit (a pipeline with onLimit: 'reject'):
 * const run = await withRateLimitRetry(() => client.start(document, options), { maxAttempts: 20 });
 */
export async function withRateLimitRetry<T>(
  start: () => Promise<T>,
  policy: RateLimitRetryPolicy = {},
): Promise<T> {
  const maxAttempts = policy.maxAttempts ?? RATE_LIMIT_RETRY_DEFAULTS.maxAttempts;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      const error = translateError(err);
      if (
        !(error instanceof RateLimitError) ||
        attempt >= maxAttempts ||
        (error.reason !== undefined && policy.nonRetryableReasons?.includes(error.reason))
      ) {
        throw error;
      }
      const delayMs = rateLimitDelayMs(attempt, error.retryAfterMs, policy);
      policy.onRetry?.({ error, attempt, delayMs });
      await sleep(delayMs);
    }
  }
}
