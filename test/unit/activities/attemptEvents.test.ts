/**
 * The activity side of attempt events: which failures are reported (only those Temporal will
 * retry), a retry's start with the previous failure, their order, the time bound, and the facts
 * read from failures.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  AttemptReporter,
  attemptFailureFromRaw,
  attemptFailureOf,
  type AttemptReporterOptions,
} from '../../../src/activities/nodes/attemptEvents';
import { toNodeFailure, HttpStatusError } from '../../../src/activities/nodes/nodeFailures';
import type { AttemptEvent } from '../../../src/protocol';

const policy = { maximumAttempts: 3, initialInterval: 100, nonRetryableErrorTypes: ['BadRequest'] };

function reporter(attempt: number, options: Partial<AttemptReporterOptions> = {}) {
  const sent: AttemptEvent[] = [];
  const errors: string[] = [];
  const r = new AttemptReporter({
    nodeId: 'gen',
    attempt,
    retryPolicy: policy,
    send: (event) => {
      sent.push(event);
      return Promise.resolve();
    },
    readLastFailure: () => Promise.resolve({ code: 'Timeout', message: 'timed out (START_TO_CLOSE)' }),
    onError: (err) => errors.push(String(err)),
    ...options,
  });
  return { r, sent, errors };
}

test('a failure Temporal will retry is sent with its facts and logs; the last attempt and non-retryable ones are not', async () => {
  const first = reporter(1);
  first.r.start();
  await first.r.failed(
    { code: 'RateLimited', status: 429, message: 'slow', retryAfterMs: 1000 },
    { logs: [{ at: 'x', level: 'info', message: 'hi' }] },
  );
  expect(first.sent).toEqual([
    {
      kind: 'failed',
      nodeId: 'gen',
      attempt: 1,
      durationMs: expect.any(Number),
      failure: { code: 'RateLimited', status: 429, message: 'slow', retryAfterMs: 1000 },
      logs: [{ at: 'x', level: 'info', message: 'hi' }],
    },
  ]);

  const refused = reporter(1);
  await refused.r.failed({ code: 'BadRequest', status: 400, message: 'no' });
  await refused.r.failed({ code: 'ActionFailed', message: 'no', nonRetryable: true });
  expect(refused.sent).toEqual([]);

  const last = reporter(3);
  last.r.start();
  await last.r.failed({ code: 'UpstreamUnavailable', message: 'boom' });
  expect(last.sent.map((e) => e.kind)).toEqual(['started']);
});

test("a retry's start is sent first, with the previous attempt's failure, and a failure waits for it", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { r, sent } = reporter(2, {
    readLastFailure: async () => {
      await gate;
      return { code: 'Timeout', message: 'timed out (START_TO_CLOSE)' };
    },
  });
  r.start();
  const failing = r.failed({ code: 'UpstreamUnavailable', message: 'boom' });
  // Everything that can run before the gate opens has run once the event loop turns.
  await new Promise((resolve) => setImmediate(resolve));
  expect(sent).toEqual([]);
  release();
  await failing;
  expect(sent).toEqual([
    {
      kind: 'started',
      nodeId: 'gen',
      attempt: 2,
      previous: { code: 'Timeout', message: 'timed out (START_TO_CLOSE)' },
    },
    expect.objectContaining({ kind: 'failed', attempt: 2 }),
  ]);
});

test('attempt 1 sends no start; sending never throws and gives up after the timeout', async () => {
  const quiet = reporter(1);
  quiet.r.start();
  await quiet.r.settled();
  expect(quiet.sent).toEqual([]);

  const broken = reporter(1, { send: () => Promise.reject(new Error('no client')) });
  await expect(broken.r.failed({ message: 'x' })).resolves.toBeUndefined();
  expect(broken.errors).toEqual(['Error: no client']);

  const stuck = reporter(2, { send: () => new Promise(() => undefined), timeoutMs: 50 });
  stuck.r.start();
  const before = Date.now();
  await stuck.r.failed({ message: 'x' });
  expect(Date.now() - before).toBeLessThan(2000);
  expect(stuck.errors).toEqual([
    'Error: attempt event not sent within 50 ms',
    'Error: attempt event not sent within 50 ms',
  ]);
});

test('facts from the failure an attempt throws and from the one Temporal recorded', () => {
  const headers = new Headers({ 'retry-after': '2' });
  const mapped = toNodeFailure(new HttpStatusError(429, headers, 'HTTP 429 Too Many Requests'), {
    attempt: 1,
  });
  expect(attemptFailureOf(mapped)).toEqual({
    code: 'RateLimited',
    status: 429,
    message: 'HTTP 429 Too Many Requests',
    retryAfterMs: 2000,
  });
  expect(attemptFailureOf(ApplicationFailure.nonRetryable('card declined', 'CardDeclined'))).toEqual({
    code: 'CardDeclined',
    message: 'card declined',
    nonRetryable: true,
  });
  expect(
    attemptFailureFromRaw({
      message: 'activity StartToClose timeout',
      timeoutFailureInfo: { timeoutType: 1 },
    }),
  ).toEqual({
    code: 'Timeout',
    message: 'timed out (START_TO_CLOSE)',
  });
  expect(
    attemptFailureFromRaw({
      message: 'slow down',
      applicationFailureInfo: { type: 'RateLimited', nextRetryDelay: { seconds: 1, nanos: 500_000_000 } },
    }),
  ).toEqual({ code: 'RateLimited', message: 'slow down', retryAfterMs: 1500 });
});
