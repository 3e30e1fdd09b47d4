/**
 * The activity wrapper: heartbeats, secrets, traceparent, cancellation, error mapping.
 */
/* eslint-disable @typescript-eslint/require-await -- node fns are async by contract; these fakes have nothing to await */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { NodeActivityError } from '../../../src/activities/nodes/nodeFailures';
import {
  HEARTBEAT_INTERVAL_MS,
  makeTraceparent,
  wrapNodeActivity,
  type NodeContext,
  type NodeFn,
} from '../../../src/activities/nodes/wrapNodeActivity';
import { TRACE_ID, failureOf, mockEnv, nodeInput, rejectionOf, runNode } from './support';

type NodeFnResult = Awaited<ReturnType<NodeFn>>;

/** A node that runs until the test settles it: `started` resolves with its context once it runs. */
function heldNode() {
  let settle!: (result: NodeFnResult) => void;
  let started!: (ctx: NodeContext) => void;
  const running = new Promise<NodeContext>((resolve) => (started = resolve));
  const fn = (_input: unknown, ctx: NodeContext) =>
    new Promise<NodeFnResult>((resolve) => {
      settle = resolve;
      started(ctx);
    });
  return { fn, running, settle: (result: NodeFnResult = { output: null }) => settle(result) };
}

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

describe('heartbeats (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('heartbeats on the interval while the node waits, repeating the latest details; stops when it settles', async () => {
    const node = heldNode();
    const act = wrapNodeActivity(node.fn, { heartbeatIntervalMs: 50 });
    const { env, heartbeats } = mockEnv();
    const result = runNode(env, act, nodeInput({}));
    (await node.running).heartbeat({ page: 1 });
    expect(heartbeats).toEqual([{ page: 1 }]); // the node's own; the wrapper sends none at start
    await jest.advanceTimersByTimeAsync(49);
    expect(heartbeats).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(heartbeats).toEqual([{ page: 1 }, { page: 1 }]);
    await jest.advanceTimersByTimeAsync(150);
    expect(heartbeats).toEqual(Array.from({ length: 5 }, () => ({ page: 1 })));
    node.settle();
    await result;
    await jest.advanceTimersByTimeAsync(500);
    expect(heartbeats).toHaveLength(5); // stopped when the node settled
  });

  test('the default interval is one second', async () => {
    expect(HEARTBEAT_INTERVAL_MS).toBe(1000);
    const node = heldNode();
    const { env, heartbeats } = mockEnv();
    const result = runNode(env, wrapNodeActivity(node.fn), nodeInput({}));
    await node.running;
    await jest.advanceTimersByTimeAsync(999);
    expect(heartbeats).toEqual([]); // none at start
    await jest.advanceTimersByTimeAsync(1);
    expect(heartbeats).toEqual([undefined]); // one, after a second
    node.settle();
    await result;
  });

  test('an attempt shorter than the interval sends no heartbeat', async () => {
    const node = heldNode();
    const { env, heartbeats } = mockEnv();
    const result = runNode(env, wrapNodeActivity(node.fn, { heartbeatIntervalMs: 50 }), nodeInput({}));
    await node.running;
    await jest.advanceTimersByTimeAsync(49);
    node.settle({ output: 1 });
    await result;
    await jest.advanceTimersByTimeAsync(500);
    expect(heartbeats).toEqual([]);
  });
});

test('cancellation: the node sees the signal abort; the activity rejects with CancelledFailure, not a failure', async () => {
  let reason: unknown;
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const act = wrapNodeActivity(
    (_input, ctx) =>
      new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => {
          reason = ctx.signal.reason;
          reject(new TypeError('fetch failed')); // what an aborted fetch might surface as
        });
        listening();
      }),
  );
  const { env } = mockEnv();
  const running = runNode(env, act, nodeInput({}));
  await ready; // the node is running and listening for the abort
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
