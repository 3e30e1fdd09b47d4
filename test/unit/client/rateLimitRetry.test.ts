/**
 * Retrying starts refused for load: the backoff schedule and its jitter bounds, `retryAfterMs`
 * honoured, the attempt bound, and which refusals are not retried. Timers are Jest's fake ones.
 */
import { RateLimitError } from '../../../src/client/errors';
import {
  ENGINE_CONCURRENCY_LIMIT,
  rateLimitDelayMs,
  withRateLimitRetry,
  type RateLimitRetryEvent,
} from '../../../src/client/runs/rateLimitRetry';

describe('rateLimitDelayMs', () => {
  test('full jitter: between 0 and a ceiling that doubles from initialDelayMs up to maxDelayMs', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000 };
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    ceilings.forEach((ceiling, i) => {
      expect(rateLimitDelayMs(i + 1, undefined, options, () => 0)).toBe(0);
      expect(rateLimitDelayMs(i + 1, undefined, options, () => 0.5)).toBe(ceiling / 2);
      expect(rateLimitDelayMs(i + 1, undefined, options, () => 0.999999)).toBe(ceiling - 1);
    });
  });

  test('with a retryAfterMs hint: never sooner than asked, plus the same jitter', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000 };
    expect(rateLimitDelayMs(1, 2500, options, () => 0)).toBe(2500);
    expect(rateLimitDelayMs(3, 2500, options, () => 0.5)).toBe(2700);
  });

  test('the defaults: 250 ms doubling up to 10 s, and no overflow for late attempts', () => {
    expect(rateLimitDelayMs(1, undefined, {}, () => 0.999999)).toBe(249);
    expect(rateLimitDelayMs(6, undefined, {}, () => 0.999999)).toBe(7999);
    expect(rateLimitDelayMs(7, undefined, {}, () => 0.999999)).toBe(9999);
    expect(rateLimitDelayMs(1000, undefined, {}, () => 0.5)).toBe(5000);
  });

  test('random draws stay inside the bounds', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(10_000, 250 * 2 ** (attempt - 1));
      for (let i = 0; i < 200; i++) {
        const delay = rateLimitDelayMs(attempt, undefined);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });
});

describe('withRateLimitRetry', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const refused = (reason = 'RPS_LIMIT', retryAfterMs?: number) =>
    new RateLimitError('namespace rate limit exceeded', retryAfterMs, { reason, scope: 'NAMESPACE' });

  /** A start refused `times` times, then started. */
  function flaky(times: number, error: () => Error = () => refused()) {
    let calls = 0;
    const start = jest.fn(() => (++calls <= times ? Promise.reject(error()) : Promise.resolve('started')));
    return start;
  }

  test('retries refused starts until one succeeds, reporting each wait', async () => {
    const start = flaky(3);
    const events: RateLimitRetryEvent[] = [];
    const result = withRateLimitRetry(start, { onRetry: (e) => events.push(e) });
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe('started');
    expect(start).toHaveBeenCalledTimes(4);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(events.every((e) => e.error instanceof RateLimitError)).toBe(true);
  });

  test('waits at least retryAfterMs before the next attempt', async () => {
    const start = flaky(1, () => refused('RPS_LIMIT', 3000));
    const result = withRateLimitRetry(start);
    await jest.advanceTimersByTimeAsync(2999);
    expect(start).toHaveBeenCalledTimes(1);
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe('started');
    expect(start).toHaveBeenCalledTimes(2);
  });

  test('throws the last refusal after maxAttempts attempts', async () => {
    const start = flaky(100);
    const result = withRateLimitRetry(start, { maxAttempts: 4 });
    const settled = result.catch((err: unknown) => err);
    await jest.runAllTimersAsync();
    expect(await settled).toBeInstanceOf(RateLimitError);
    expect(start).toHaveBeenCalledTimes(4);
  });

  test('a reason in nonRetryableReasons is thrown at once; other reasons are retried', async () => {
    const rejected = flaky(1, () => refused(ENGINE_CONCURRENCY_LIMIT, 500));
    await expect(
      withRateLimitRetry(rejected, { nonRetryableReasons: [ENGINE_CONCURRENCY_LIMIT] }),
    ).rejects.toMatchObject({ reason: ENGINE_CONCURRENCY_LIMIT, retryAfterMs: 500 });
    expect(rejected).toHaveBeenCalledTimes(1);

    const retried = flaky(1, () => refused(ENGINE_CONCURRENCY_LIMIT, 500));
    const result = withRateLimitRetry(retried);
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe('started');
  });

  test('other errors are thrown at once', async () => {
    const start = flaky(1, () => new TypeError('bad input'));
    await expect(withRateLimitRetry(start)).rejects.toThrow(TypeError);
    expect(start).toHaveBeenCalledTimes(1);
  });
});
