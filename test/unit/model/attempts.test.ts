/**
 * What follows a failed attempt under a step's retry policy (the server's rules).
 */
import { type PlanRetryPolicy } from '../../../src/model';
import { attemptSequel } from '../../../src/protocol';

const policy: PlanRetryPolicy = {
  maximumAttempts: 5,
  initialIntervalMs: 100,
  backoffCoefficient: 2,
  maximumIntervalMs: 300,
  nonRetryableErrorTypes: ['BadRequest'],
};

test('backoff from the initial interval, capped at the maximum interval', () => {
  expect([1, 2, 3, 4].map((n) => attemptSequel(policy, n, { message: 'x' }))).toEqual([
    { retry: true, delayMs: 100, delaySource: 'policy' },
    { retry: true, delayMs: 200, delaySource: 'policy' },
    { retry: true, delayMs: 300, delaySource: 'policy' },
    { retry: true, delayMs: 300, delaySource: 'policy' },
  ]);
});

test("the upstream's retry-after replaces the interval, but not the attempt limit", () => {
  expect(attemptSequel(policy, 1, { message: 'x', retryAfterMs: 1500 })).toEqual({
    retry: true,
    delayMs: 1500,
    delaySource: 'retry-after',
  });
  expect(attemptSequel(policy, 5, { message: 'x', retryAfterMs: 1500 })).toEqual({
    retry: false,
    reason: 'maximum 5 attempts reached',
  });
});

test("no retry for a listed code or a non-retryable failure; 0 attempts = unlimited; no policy = Temporal's default", () => {
  expect(attemptSequel(policy, 1, { code: 'BadRequest', message: 'x' })).toEqual({
    retry: false,
    reason: 'BadRequest is not retryable',
  });
  expect(attemptSequel(policy, 1, { code: 'CardDeclined', message: 'x', nonRetryable: true })).toEqual({
    retry: false,
    reason: 'CardDeclined is not retryable',
  });
  expect(attemptSequel(policy, 1, { message: 'x', nonRetryable: true })).toEqual({
    retry: false,
    reason: 'the failure is not retryable',
  });
  expect(attemptSequel(undefined, 8, { message: 'x' })).toEqual({
    retry: true,
    delayMs: 100_000,
    delaySource: 'policy',
  });
  expect(attemptSequel({ ...policy, maximumAttempts: 0 }, 99, { message: 'x' })).toMatchObject({
    retry: true,
  });
});
