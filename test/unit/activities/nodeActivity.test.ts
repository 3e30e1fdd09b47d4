/**
 * The activity wrapper: heartbeats, secrets, traceparent, cancellation, error mapping.
 */
/* eslint-disable @typescript-eslint/require-await -- node fns are async by contract; these fakes have nothing to await */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { NodeActivityError } from '../../../src/activities/nodes/nodeFailures';
import {
  makeTraceparent,
  wrapNodeActivity,
  type NodeContext,
} from '../../../src/activities/nodes/wrapNodeActivity';
import { TRACE_ID, failureOf, mockEnv, nodeInput, rejectionOf, runNode } from './support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('returns { output, attempt, usage } and hands the node resolved params and its context', async () => {
  let got: { params: unknown; ctx?: NodeContext } = { params: undefined };
  const act = wrapNodeActivity(
    async (input, ctx) => {
      got = { params: input.params, ctx };
      return { output: { ok: true }, usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 } };
    },
    { secrets: (n) => ({ A: 'alpha', B: 'beta' })[n] },
  );
  const { env } = mockEnv({ attempt: 3 });
  const result = await runNode(
    env,
    act,
    nodeInput({
      a: '{{ secrets.A }}',
      nested: { list: ['x-{{ secrets.B }}-y', 7] },
      escaped: "{{'{{'}} literal }}",
    }),
  );
  expect(result).toEqual({
    output: { ok: true },
    attempt: 3,
    usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
    metrics: { cpuSeconds: expect.any(Number), peakMemoryMb: expect.any(Number) },
  });
  expect(got.params).toEqual({ a: 'alpha', nested: { list: ['x-beta-y', 7] }, escaped: '{{ literal }}' });
  expect(got.ctx).toMatchObject({
    nodeId: 'step_1',
    attempt: 3,
    taskId: 'task-123',
    traceId: TRACE_ID,
    pipeline: 'unit-pipeline',
  });
  expect(got.ctx!.traceHeaders.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
});

test('without usage the envelope has no usage key', async () => {
  const act = wrapNodeActivity(async () => ({ output: 1 }));
  expect(await runNode(mockEnv().env, act, nodeInput({}))).toEqual({
    output: 1,
    attempt: 1,
    metrics: expect.any(Object),
  });
});

test('a missing secret → SecretNotFound naming it, and the node never runs', async () => {
  let ran = false;
  const act = wrapNodeActivity(async () => {
    ran = true;
    return { output: null };
  });
  const failure = await failureOf(
    runNode(mockEnv().env, act, nodeInput({ key: 'Bearer {{ secrets.MISSING_ONE }}' })),
  );
  expect(failure).toMatchObject({ type: 'SecretNotFound', nonRetryable: true });
  expect(failure.message).toContain('MISSING_ONE');
  expect(ran).toBe(false);
});

test('heartbeats on the interval while the node waits, repeating the latest details', async () => {
  const act = wrapNodeActivity(
    async (_input, ctx) => {
      ctx.heartbeat({ page: 1 });
      await sleep(230);
      return { output: null };
    },
    { heartbeatIntervalMs: 50 },
  );
  const { env, heartbeats } = mockEnv();
  await runNode(env, act, nodeInput({}));
  expect(heartbeats[0]).toEqual({ page: 1 }); // the node's own; the wrapper sends none at start
  expect(heartbeats.length).toBeGreaterThanOrEqual(2); // 4 intervals fit in 230 ms; a loaded machine may coalesce some
  expect(heartbeats.slice(1).every((d) => JSON.stringify(d) === '{"page":1}')).toBe(true);
  const count = heartbeats.length;
  await sleep(120);
  expect(heartbeats.length).toBe(count); // stopped when the node settled
});

test('the default interval is about one second', async () => {
  const act = wrapNodeActivity(async () => {
    await sleep(1150);
    return { output: null };
  });
  const { env, heartbeats } = mockEnv();
  await runNode(env, act, nodeInput({}));
  expect(heartbeats).toEqual([undefined]); // one, after a second; none at start
});

test('an attempt shorter than the interval sends no heartbeat', async () => {
  const act = wrapNodeActivity(async () => ({ output: 1 }), { heartbeatIntervalMs: 50 });
  const { env, heartbeats } = mockEnv();
  await runNode(env, act, nodeInput({}));
  await sleep(120);
  expect(heartbeats).toEqual([]);
});

test('cancellation: the node sees the signal abort; the activity rejects with CancelledFailure, not a failure', async () => {
  let reason: unknown;
  const act = wrapNodeActivity(
    (_input, ctx) =>
      new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => {
          reason = ctx.signal.reason;
          reject(new TypeError('fetch failed')); // what an aborted fetch might surface as
        });
      }),
  );
  const { env } = mockEnv();
  const running = runNode(env, act, nodeInput({}));
  await sleep(20);
  env.cancel();
  const err = await rejectionOf(running);
  expect(err).toBeInstanceOf(CancelledFailure);
  expect(err).not.toBeInstanceOf(ApplicationFailure);
  expect(reason).toBe(err);
});

test('an activity started after cancellation does not run the node', async () => {
  let ran = false;
  const act = wrapNodeActivity(async () => {
    ran = true;
    return { output: null };
  });
  const { env } = mockEnv();
  env.cancel();
  expect(await rejectionOf(runNode(env, act, nodeInput({})))).toBeInstanceOf(CancelledFailure);
  expect(ran).toBe(false);
});

test('errors go through the mapper with the attempt; fallbackCode applies to unknown errors', async () => {
  const coded = wrapNodeActivity(async () => {
    throw new NodeActivityError('ResponseTooLarge', 'too big');
  });
  expect(await failureOf(runNode(mockEnv({ attempt: 5 }).env, coded, nodeInput({})))).toMatchObject({
    type: 'ResponseTooLarge',
    nonRetryable: true,
    details: [{ attempt: 5 }],
  });
  const bug = wrapNodeActivity(
    async () => {
      throw new Error('x');
    },
    { fallbackCode: 'ActionFailed' },
  );
  expect((await failureOf(runNode(mockEnv().env, bug, nodeInput({})))).type).toBe('ActionFailed');
});

test('makeTraceparent: fresh span ids, invalid trace ids give none', () => {
  const a = makeTraceparent(TRACE_ID);
  const b = makeTraceparent(TRACE_ID.toUpperCase());
  expect(a).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  expect(b).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-/);
  expect(a).not.toBe(b);
  expect(makeTraceparent('0'.repeat(32))).toBeUndefined();
  expect(makeTraceparent('not-a-trace')).toBeUndefined();
});

test('a malformed trace id sends no traceparent but the node still runs', async () => {
  let headers: Readonly<Record<string, string>> = { x: 'y' };
  const act = wrapNodeActivity(async (_i, ctx) => {
    headers = ctx.traceHeaders;
    return { output: null };
  });
  await runNode(mockEnv().env, act, nodeInput({}, { run: { taskId: 't', traceId: 'bogus', pipeline: 'p' } }));
  expect(headers).toEqual({});
});
