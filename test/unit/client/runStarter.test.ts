/**
 * How a client starts runs under load, against a fake Temporal client: a single start does not
 * retry the engine's own concurrency-limit rejection (its pipeline asked for `onLimit: 'reject'`),
 * a start in a batch does, waiting out `retryAfterMs`; Temporal's rate limits are retried by both;
 * `rateLimited: false` retries nothing; the bound on starts in flight holds across retries.
 */
import type { Client } from '@temporalio/client';
import { RateLimitError } from '../../../src/client/errors';
import { ENGINE_CONCURRENCY_LIMIT } from '../../../src/client/runs/rateLimitRetry';
import { RunStarter } from '../../../src/client/runs/loadAwareStarts';
import { StartLimiter } from '../../../src/client/runs/inFlightStarts';
import { prepareRun } from '../../../src/client/runs/startRun';

const input = prepareRun({ name: 'tiny', steps: [{ id: 'say', action: 'transform', params: { value: 1 } }] });

/** A Temporal client whose `workflow.start` answers from `answers` in turn, then succeeds. */
function fakeTemporal(answers: Array<() => Promise<unknown>>) {
  let inFlight = 0;
  const seen = { calls: 0, maxInFlight: 0 };
  const start = jest.fn(async (_type: string, options: { workflowId: string }) => {
    seen.calls++;
    seen.maxInFlight = Math.max(seen.maxInFlight, ++inFlight);
    try {
      // By default a start takes 10 ms of the fake clock.
      await (answers.shift() ?? (() => new Promise((resolve) => setTimeout(resolve, 10))))();
      return { workflowId: options.workflowId };
    } finally {
      inFlight--;
    }
  });
  const temporal = {
    options: { loadedDataConverter: { payloadCodecs: [] } },
    workflow: { start },
  } as unknown as Client;
  return { temporal, seen };
}

const engineRejection = () =>
  Promise.reject(
    new RateLimitError('pipeline at its concurrency limit', 2000, { reason: ENGINE_CONCURRENCY_LIMIT }),
  );
const temporalRateLimit = () =>
  Promise.reject(new RateLimitError('namespace rate limit exceeded', undefined, { reason: 'RPS_LIMIT' }));

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test("a single start surfaces the engine's concurrency-limit rejection at once", async () => {
  const { temporal, seen } = fakeTemporal([engineRejection]);
  await expect(new RunStarter(temporal).startOne(input, {})).rejects.toMatchObject({
    reason: ENGINE_CONCURRENCY_LIMIT,
    retryAfterMs: 2000,
  });
  expect(seen.calls).toBe(1);
});

test('a start in a batch retries it, no sooner than retryAfterMs', async () => {
  const { temporal, seen } = fakeTemporal([engineRejection]);
  const started = new RunStarter(temporal).startInBatch(input, {});
  await jest.advanceTimersByTimeAsync(1999);
  expect(seen.calls).toBe(1);
  await jest.runAllTimersAsync();
  await expect(started).resolves.toMatchObject({
    workflow: { workflowId: expect.stringMatching(/^tiny-/) as unknown },
  });
  expect(seen.calls).toBe(2);
});

test("both retry Temporal's rate limits; with retry off, nothing is retried", async () => {
  for (const startOf of [
    (s: RunStarter) => s.startOne(input, {}),
    (s: RunStarter) => s.startInBatch(input, {}),
  ]) {
    const { temporal, seen } = fakeTemporal([temporalRateLimit, temporalRateLimit]);
    const started = startOf(new RunStarter(temporal));
    await jest.runAllTimersAsync();
    await expect(started).resolves.toBeDefined();
    expect(seen.calls).toBe(3);
  }
  const { temporal, seen } = fakeTemporal([temporalRateLimit]);
  await expect(
    new RunStarter(temporal, new StartLimiter(4), false).startOne(input, {}),
  ).rejects.toBeInstanceOf(RateLimitError);
  expect(seen.calls).toBe(1);
});

test('starts in flight stay within the bound, retries and backoff included', async () => {
  const { temporal, seen } = fakeTemporal(Array.from({ length: 30 }, () => temporalRateLimit));
  const starter = new RunStarter(temporal, new StartLimiter(4));
  const all = Promise.all(Array.from({ length: 40 }, () => starter.startInBatch(input, {})));
  await jest.runAllTimersAsync();
  expect(await all).toHaveLength(40);
  expect(seen.calls).toBe(70);
  expect(seen.maxInFlight).toBe(4);
});
