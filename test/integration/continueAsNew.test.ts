/**
 * Long runs continue as new (issue 6 item 9): with a low `continueAsNewAfterEvents`, a 40-step run
 * crosses several histories under one workflow id, and a client sees one run: the right outputs,
 * every step in `status`, one log and one stream with unbroken `seq`s, one row in the list; it
 * can be cancelled and retried from its failed step like any other.
 */
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { defineAction } from '../../src/model';
import type { StreamChunk } from '../../src/protocol/messages/runMessages';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';
import { eventually } from '../support/eventually';

/** How often each step's action ran, by `<label>` (a step runs once unless a kill or retry says otherwise). */
const runs = new Map<string, number>();
let failLast = true;

const addOne = defineAction({
  name: 'add_one',
  params: z.object({ value: z.number(), label: z.string() }),
  run: ({ value, label }) => {
    runs.set(label, (runs.get(label) ?? 0) + 1);
    return Promise.resolve({ value: value + 1 });
  },
});
const finish = defineAction({
  name: 'finish',
  params: z.object({ value: z.number() }),
  run: ({ value }) =>
    failLast ? Promise.reject(new Error('finish is down')) : Promise.resolve({ total: value }),
});

const THRESHOLD = 40;

/**
 * `n` → 20 `add_one` activities, each followed by a transform doubling nothing but checking the
 * chain (`+ 0`), a log step in the middle → output. Expected output: n + 20.
 */
function chain(name: string, options: { last?: 'finish' | 'delay' } = {}) {
  const steps: unknown[] = [{ id: 'n', action: 'input', params: { type: 'integer' } }];
  let prev = 'steps.n.output.value';
  for (let i = 0; i < 20; i++) {
    steps.push({
      id: `a${i}`,
      action: 'add_one',
      params: { value: `{{ ${prev} }}`, label: `${name}/a${i}` },
    });
    steps.push({ id: `t${i}`, action: 'transform', params: { expression: `steps.a${i}.output.value + 0` } });
    prev = `steps.t${i}.output`;
    if (i === 10)
      steps.push({ id: 'halfway', action: 'log', params: { message: `halfway at {{ ${prev} }}` } });
  }
  if (options.last === 'finish') {
    steps.push({ id: 'last', action: 'finish', params: { value: `{{ ${prev} }}` } });
    prev = 'steps.last.output.total';
  }
  if (options.last === 'delay') {
    steps.push({ id: 'wait', action: 'delay', params: { duration: '60s' }, depends_on: ['t19'] });
  }
  steps.push({ id: 'out', action: 'output', params: { name: 'total', value: `{{ ${prev} }}` } });
  return { name, params: {}, steps };
}

/** Every run of the workflow, first to last, with its history's event count. */
async function historyChain(client: Client, workflowId: string, firstRunId: string) {
  const chainRuns: Array<{ runId: string; events: number }> = [];
  let runId: string | undefined = firstRunId;
  while (runId !== undefined) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    chainRuns.push({ runId, events: events.length });
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return chainRuns;
}

let h: PipelineHarness;
let client: PipelinesClient;

beforeAll(async () => {
  h = await startPipelineHarness({ actions: [addOne, finish] });
  client = await connect({
    address: sharedTestEnv().address,
    taskQueue: h.taskQueue,
    actions: [addOne, finish],
  });
});
afterAll(async () => {
  await client?.close();
  await h?.close();
});

test('a run continues as new across histories and reads as one run', async () => {
  const run = await client.start(chain('long-chain'), {
    inputs: { n: 5 },
    tags: ['can-test'],
    continueAsNewAfterEvents: THRESHOLD,
  });
  const { outputs } = await run.result();
  expect(outputs).toEqual({ total: 25 });
  // Each action ran exactly once, whatever history it ran in.
  expect([...runs.entries()].filter(([k]) => k.startsWith('long-chain/'))).toHaveLength(20);
  expect([...runs.entries()].every(([k, v]) => !k.startsWith('long-chain/') || v === 1)).toBe(true);

  const firstRunId = run.runId!;
  const histories = await historyChain(client.temporal, run.taskId, firstRunId);
  expect(histories.length).toBeGreaterThanOrEqual(3);
  // A history stops starting steps at the threshold; the one step in flight adds a few events.
  for (const { events } of histories) expect(events).toBeLessThan(THRESHOLD + 20);

  const execution = await client.executions.get(run.taskId);
  expect(execution.status).toBe('completed');
  expect(execution.outputs).toEqual({ total: 25 });
  expect(execution.completedSteps).toBe(43);
  expect(execution.progress).toBe(100);
  expect(Object.values(execution.steps).every((step) => step.status === 'completed')).toBe(true);
  // Steps settled in an earlier history keep their timing, attempts and (small) outputs.
  expect(execution.steps.a0).toMatchObject({ attempts: 1, output: { value: 6 } });
  expect(execution.steps.a0!.startedAt).toBeDefined();
  expect(execution.steps.a0!.durationSeconds).toBeGreaterThanOrEqual(0);
  const snapshot = (await client.runs.get(run.taskId).runStatus()).snapshot!;
  expect(snapshot.continuations).toBe(histories.length - 1);

  // One log: seqs 1…N without a gap or a repeat, the first history's records included.
  const logs = await client.executions.logs({ executionId: run.taskId });
  const seqs = logs.map((r) => r.seq);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  expect(logs.some((r) => r.message === 'step a0 started (add_one)')).toBe(true);
  expect(logs.some((r) => r.message === 'halfway at 16')).toBe(true);

  // One stream: read from the start after the end, every chunk once, in order, ending with the result.
  const chunks: StreamChunk[] = [];
  for await (const chunk of client.runs.get(run.taskId).stream()) chunks.push(chunk as StreamChunk);
  expect(chunks.map((c) => c.seq)).toEqual(Array.from({ length: chunks.length }, (_, i) => i + 1));
  expect(chunks.filter((c) => c.type === 'node' && c.status === 'completed')).toHaveLength(43);
  expect(chunks.at(-1)).toMatchObject({ type: 'result', status: 'completed', outputs: { total: 25 } });

  // The list shows the run once (its earlier histories closed as ContinuedAsNew), tags kept.
  const listed = await eventually(
    () => client.executions.list({ pipelineId: 'long-chain', tags: ['can-test'] }),
    (page) => page.executions.some((e) => e.status === 'completed'),
  );
  expect(listed.executions.map((e) => e.id)).toEqual([run.taskId]);
});

test('a run is cancelled while it runs in a continuation', async () => {
  const run = await client.start(chain('cancel-chain', { last: 'delay' }), {
    inputs: { n: 1 },
    continueAsNewAfterEvents: THRESHOLD,
  });
  // Wait until it is in the delay, some histories in.
  await eventually(
    () => run.runStatus(),
    (view) => view.snapshot?.nodes.wait?.status === 'running',
    30_000,
  );
  const view = await run.runStatus();
  expect(view.snapshot!.continuations).toBeGreaterThanOrEqual(1);
  await run.cancel();
  await expect(run.result()).rejects.toMatchObject({ status: 'cancelled' });
  const execution = await client.executions.get(run.taskId);
  expect(execution.status).toBe('cancelled');
  expect(execution.steps.wait!.status).toBe('cancelled');
  expect(execution.steps.t19!.status).toBe('completed');
});

test('a run that failed after continuing as new is retried from its failed step', async () => {
  failLast = true;
  const run = await client.start(chain('retry-chain', { last: 'finish' }), {
    inputs: { n: 0 },
    continueAsNewAfterEvents: THRESHOLD,
  });
  await expect(run.result()).rejects.toMatchObject({ status: 'failed' });
  const failed = await client.executions.get(run.taskId);
  expect(failed.error).toMatchObject({ stepId: 'last' });
  expect(failed.steps.a0!.status).toBe('completed');

  failLast = false;
  const retried = await client.executions.retry(run.taskId, { fromFailedStep: true, wait: true });
  expect(retried.status).toBe('completed');
  expect(retried.outputs).toEqual({ total: 20 });
  // Every add_one step was reused (its output was carried): none ran a second time.
  const again = [...runs.entries()].filter(([k, v]) => k.startsWith('retry-chain/') && v > 1);
  expect(again).toEqual([]);
  expect(retried.steps.a0).toMatchObject({ reused: true });
});
