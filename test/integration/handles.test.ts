/**
 * Handles and status are whole, and listings are in creation order, against the local server:
 * an idempotency key that finds a run (running, completed, failed) returns that run's own run id
 * and trace id; `runStatus()` says `running` once a step started (even when Temporal's description
 * it read first was older); after terminate, a run
 * timeout or cancel no step is shown `running`; `executions.list()` orders by creation time,
 * newest or oldest first, page after page, for runs that closed in another order than they
 * started.
 */
import { z } from 'zod';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { defineAction } from '../../src/model';
import { NativeConnection } from '@temporalio/worker';
import { createPipelineWorker } from '../../src/worker';
import {
  startPipelineHarness,
  sharedTestEnv,
  TEST_EGRESS,
  type PipelineHarness,
} from '../support/pipelineHarness';
import { eventually, waitUntil } from '../support/eventually';

/** Runs of `gate` wait until the test opens their key (or the run is cancelled). */
const gates = new Map<string, () => void>();
const waiting = new Set<string>();
const opened = new Set<string>();
const open = (key: string) => {
  opened.add(key);
  gates.get(key)?.();
};
const gate = defineAction({
  name: 'gate',
  params: z.object({ key: z.string() }),
  run: async ({ key }, ctx) => {
    if (!opened.has(key)) {
      waiting.add(key);
      await new Promise<void>((resolve, reject) => {
        gates.set(key, resolve);
        ctx.signal.addEventListener('abort', () => reject(new Error('cancelled')));
      }).finally(() => waiting.delete(key));
    }
    return { key };
  },
});
const broken = defineAction({
  name: 'broken',
  params: z.object({}),
  run: () => Promise.reject(new Error('broken on purpose')),
});

let h: PipelineHarness;
let client: PipelinesClient;

beforeAll(async () => {
  h = await startPipelineHarness({ actions: [gate, broken] });
  client = await connect({
    address: sharedTestEnv().address,
    taskQueue: h.taskQueue,
    actions: [gate, broken],
  });
});
afterAll(async () => {
  for (const key of gates.keys()) open(key);
  await client?.close();
  await h?.close();
});

let counter = 0;
const unique = (base: string) => `${base}-${Date.now()}-${++counter}`;

const gated = (name: string, key: string) => ({
  name,
  steps: [
    { id: 'wait', action: 'gate', params: { key } },
    {
      id: 'after',
      action: 'transform',
      params: { value: '{{ steps.wait.output.key }}' },
      depends_on: ['wait'],
    },
  ],
});

describe('an idempotency key that finds a run returns that run', () => {
  test('while it runs, after it completed, and after it failed: its own runId and traceId', async () => {
    const key = unique('gate');
    const idempotencyKey = unique('idem');
    const first = await client.start(gated('idem-running', key), { idempotencyKey });
    expect(first.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.traceId).toMatch(/^[0-9a-f]{32}$/);

    const whileRunning = await client.start(gated('idem-running', key), { idempotencyKey });
    expect([whileRunning.taskId, whileRunning.runId, whileRunning.traceId]).toEqual([
      first.taskId,
      first.runId,
      first.traceId,
    ]);

    await waitUntil(() => waiting.has(key), 10_000, 'the step to wait');
    open(key);
    await first.result();
    const afterCompleted = await client.start(gated('idem-running', key), { idempotencyKey });
    expect([afterCompleted.taskId, afterCompleted.runId, afterCompleted.traceId]).toEqual([
      first.taskId,
      first.runId,
      first.traceId,
    ]);
    expect(await afterCompleted.result()).toEqual({ status: 'completed', outputs: { after: key } });

    const failing = {
      name: 'idem-failing',
      steps: [{ id: 'bad', action: 'broken', params: {}, retry: { max_attempts: 1 } }],
    };
    const failKey = unique('idem-fail');
    const failed = await client.start(failing, { idempotencyKey: failKey });
    await expect(failed.result()).rejects.toThrow(/broken on purpose/);
    const again = await client.start(failing, { idempotencyKey: failKey });
    expect([again.taskId, again.runId, again.traceId]).toEqual([failed.taskId, failed.runId, failed.traceId]);
    expect((await again.runStatus()).status).toBe('failed');
    // The run's execution view carries the same trace id.
    expect((await client.executions.get(again.taskId)).traceId).toBe(failed.traceId);
  });

  test('executions.createMany and executions.create find it too', async () => {
    const pipelineId = unique('idem-saved');
    const key = unique('gate');
    open(key);
    await client.pipelines.save({ name: pipelineId, definition: gated(pipelineId, key), deploy: true });
    const idempotencyKey = unique('idem');
    const created = await client.executions.create({ pipelineId, idempotencyKey, wait: true });
    const [handle] = await client.executions.createMany([{ pipelineId, idempotencyKey }]);
    expect(handle!.taskId).toBe(created.id);
    expect(handle!.runId).toBe(created.runId);
    expect(handle!.traceId).toBe(created.traceId);
    const again = await client.executions.create({ pipelineId, idempotencyKey });
    expect([again.id, again.runId, again.status]).toEqual([created.id, created.runId, 'completed']);
  });
});

test('runStatus() asked before any worker took the run answers running once the step started', async () => {
  // The run waits on a queue no worker polls yet; runStatus() reads Temporal's description (the
  // run not begun) and then queries the run, which the server holds until a worker has run its
  // first task: by then the step is running, and so is the run.
  const taskQueue = unique('late-worker');
  const key = unique('gate');
  const lateClient = await connect({ address: sharedTestEnv().address, taskQueue, actions: [gate] });
  const run = await lateClient.start(gated('late-worker', key));
  const status = run.runStatus();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const connection = await NativeConnection.connect({ address: sharedTestEnv().address });
  const worker = await createPipelineWorker({
    connection,
    taskQueue,
    activities: { actions: [gate], egress: TEST_EGRESS },
    workflowBundle: { codePath: sharedTestEnv().bundlePath },
    shutdownGraceTimeMs: 1000,
  });
  const running = worker.run();
  try {
    const view = await status;
    expect({ status: view.status, wait: view.nodes.wait?.status }).toEqual({
      status: 'running',
      wait: 'running',
    });
    open(key);
    await run.result();
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await lateClient.close();
  }
});

describe('after terminate, a run timeout or cancel no step is running', () => {
  test('terminate: the step in flight and the one not started show terminated, in get and runStatus', async () => {
    const key = unique('gate');
    const run = await client.start(gated('terminate-me', key));
    await waitUntil(() => waiting.has(key), 10_000, 'the step to wait');
    await client.executions.terminate(run.taskId, 'stop it');
    const execution = await client.executions.get(run.taskId);
    expect(execution.status).toBe('terminated');
    expect(execution.steps.wait).toMatchObject({
      status: 'terminated',
      error: { message: 'the run was terminated while the step was running', code: 'RunEnded' },
    });
    expect(execution.steps.after).toMatchObject({
      status: 'terminated',
      error: { message: 'the run was terminated before the step started' },
    });
    const view = await run.runStatus();
    expect(view.status).toBe('terminated');
    expect(Object.values(view.nodes).map((n) => n.status)).toEqual(['terminated', 'terminated']);
  });

  test('a run that reaches its timeout: its step in flight shows terminated, saying why', async () => {
    const key = unique('gate');
    const run = await client.start(gated('time-me-out', key), { timeout: '2s' });
    await waitUntil(() => waiting.has(key), 10_000, 'the step to wait');
    await expect(run.result()).rejects.toThrow();
    const execution = await client.executions.get(run.taskId);
    expect(execution.status).toBe('timed_out');
    expect(execution.steps.wait).toMatchObject({
      status: 'terminated',
      error: { message: 'the run reached its timeout while the step was running' },
    });
  });

  test('cancel: the run settles its steps as cancelled itself', async () => {
    const key = unique('gate');
    const run = await client.start(gated('cancel-me', key));
    await waitUntil(() => waiting.has(key), 10_000, 'the step to wait');
    await run.cancel();
    const execution = await eventually(
      () => client.executions.get(run.taskId),
      (e) => e.status === 'cancelled',
    );
    expect(execution.status).toBe('cancelled');
    expect(execution.steps.wait?.status).toBe('cancelled');
    expect(execution.steps.after?.status).toBe('cancelled');
    // The workflow's own record, not the client's correction: no RunEnded error.
    expect(execution.steps.wait?.error).toBeUndefined();
  });
});

test('list orders by creation time across pages: A, B, C created in turn, closed B, C, A', async () => {
  const tag = unique('order');
  const keys = { A: unique('gate'), B: unique('gate'), C: unique('gate') };
  const runs: Record<string, string> = {};
  for (const name of ['A', 'B', 'C'] as const) {
    runs[name] = (await client.start(gated(`order-${name}`, keys[name]), { tags: [tag] })).taskId;
    await waitUntil(() => waiting.has(keys[name]), 10_000, `run ${name} to wait`);
  }
  for (const name of ['B', 'C', 'A'] as const) {
    open(keys[name]);
    await client.runs.get(runs[name]!).result();
  }
  const idsOf = (page: { executions: Array<{ id: string }> }) => page.executions.map((e) => e.id);
  // Visibility's own order here is by close time: A, C, B.
  await eventually(
    () => client.executions.count({ tags: [tag], status: 'completed' }),
    (n) => n === 3,
  );
  const newestFirst = [runs.C, runs.B, runs.A];
  const oldestFirst = [runs.A, runs.B, runs.C];
  expect(idsOf(await client.executions.list({ tags: [tag] }))).toEqual(newestFirst);
  expect(idsOf(await client.executions.list({ tags: [tag], sortOrder: 'asc' }))).toEqual(oldestFirst);

  for (const [sortOrder, expected] of [
    ['desc', newestFirst],
    ['asc', oldestFirst],
  ] as const) {
    for (const limit of [1, 2]) {
      const ids: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await client.executions.list({ tags: [tag], sortOrder, limit, pageToken });
        ids.push(...idsOf(page));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken && pages < 10);
      expect({ sortOrder, limit, ids }).toEqual({ sortOrder, limit, ids: expected });
      expect(pages).toBe(Math.ceil(3 / limit));
    }
  }
  expect(idsOf(await client.executions.list({ tags: [tag], offset: 1, limit: 1 }))).toEqual([runs.B]);
  const asc = await client.executions.list({ tags: [tag], sortOrder: 'asc', limit: 1 });
  await expect(
    client.executions.list({ tags: [tag], sortOrder: 'desc', pageToken: asc.nextPageToken }),
  ).rejects.toThrow(/continues a 'asc' listing/);
});
