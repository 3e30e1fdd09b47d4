/**
 * `client.executions` against the local server: create with and without wait, the Execution view,
 * list filters and paging through visibility, count, cancel / terminate, ephemeral runs, batches,
 * timeouts, and priority with a saturated worker.
 */
import { z } from 'zod';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { PipelineValidationError, PollTimeoutError, TimeoutError } from '../../src/client/errors';
import { executionsQuery } from '../../src/client/executions/executionsApi';
import { defineAction } from '../../src/model';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';
import { eventually, waitUntil } from '../support/eventually';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';

/** Order in which `record` actions ran, by label. */
const recorded: string[] = [];
/** Runs of `hold` wait until the test releases them. */
let release: () => void = () => undefined;
let held = new Promise<void>((resolve) => (release = resolve));
let holding = 0;

const record = defineAction({
  name: 'record',
  params: z.object({ label: z.string() }),
  run: ({ label }) => {
    recorded.push(label);
    return Promise.resolve({ label, at: recorded.length });
  },
});
const hold = defineAction({
  name: 'hold',
  params: z.object({}),
  run: async (_params, ctx) => {
    holding++;
    await Promise.race([
      held,
      new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('cancelled')))),
    ]);
    holding--;
    return { released: true };
  },
});

const chatty = defineAction({
  name: 'chatty',
  params: z.object({}),
  run: (_params, ctx) => {
    for (let i = 0; i < 100; i++) ctx.log.info(`line ${i}`);
    return Promise.resolve({ lines: 100 });
  },
});

let flakyFails = true;
const flaky = defineAction({
  name: 'flaky',
  params: z.object({}),
  run: () => (flakyFails ? Promise.reject(new Error('flaky is down')) : Promise.resolve({ ok: true })),
});

let h: PipelineHarness;
let http: HttpRecorder;
let saturated: PipelineHarness;
let client: PipelinesClient;
let slowClient: PipelinesClient;

beforeAll(async () => {
  http = await startHttpRecorder();
  h = await startPipelineHarness({ actions: [record, hold, flaky, chatty] });
  // One activity slot: the second worker's queue backs up behind a held activity.
  saturated = await startPipelineHarness(
    { actions: [record, hold] },
    { maxConcurrentActivityTaskExecutions: 1 },
  );
  client = await connect({
    address: sharedTestEnv().address,
    taskQueue: h.taskQueue,
    actions: [record, hold, flaky, chatty],
  });
  slowClient = await connect({
    address: sharedTestEnv().address,
    taskQueue: saturated.taskQueue,
    actions: ['record', 'hold'],
  });
});
afterAll(async () => {
  release();
  await client?.close();
  await slowClient?.close();
  await saturated?.close();
  await h?.close();
  await http?.close();
});

let counter = 0;
const unique = (base: string) => `${base}-${Date.now()}-${++counter}`;

const deployPipeline = {
  params: {
    cluster_id: { type: 'string', required: true },
    replicas: { type: 'integer', default: 1 },
  },
  steps: [
    { id: 'check', action: 'record', params: { label: 'check {{ params.cluster_id }}' } },
    {
      id: 'deploy',
      action: 'transform',
      params: { value: { cluster: '{{ params.cluster_id }}', replicas: '{{ params.replicas }}' } },
      depends_on: ['check'],
    },
    { id: 'result', action: 'output', params: { value: '{{ steps.deploy.output }}' } },
  ],
};

async function savePipeline(definition: object = deployPipeline) {
  const name = unique('deploy');
  await client.pipelines.save({ name, definition: { name, ...definition }, deploy: true });
  return name;
}

test('create with wait returns the finished execution with steps, params, outputs and timings', async () => {
  const pipelineId = await savePipeline();
  const execution = await client.executions.create({
    pipelineId,
    params: { cluster_id: 'cluster_prod', replicas: 3 },
    tags: ['production', 'customer-123'],
    wait: true,
  });
  expect(execution).toMatchObject({
    pipelineId,
    pipelineVersion: '1',
    status: 'completed',
    params: { cluster_id: 'cluster_prod', replicas: 3 },
    outputs: { result: { cluster: 'cluster_prod', replicas: 3 } },
    tags: ['production', 'customer-123'],
    progress: 100,
    completedSteps: 3,
    totalSteps: 3,
    partial: false,
  });
  expect(execution.steps.check).toMatchObject({
    status: 'completed',
    attempts: 1,
    output: { label: 'check cluster_prod' },
  });
  expect(execution.steps.check!.durationSeconds).toBeGreaterThanOrEqual(0);
  expect(Date.parse(execution.completedAt!)).toBeGreaterThanOrEqual(Date.parse(execution.createdAt));
  expect(execution.durationSeconds).toBeGreaterThanOrEqual(0);
  expect(execution.metrics?.cpuSeconds).toBeGreaterThan(0);
  expect(execution.steps.check!.metrics).toMatchObject({ cpuSeconds: expect.any(Number) });
  expect(execution.usage).toEqual({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });
  expect(await client.executions.get(execution.id)).toMatchObject({
    status: 'completed',
    outputs: execution.outputs,
  });
});

test('params are checked against the declarations before anything starts', async () => {
  const pipelineId = await savePipeline();
  const err = await client.executions
    .create({ pipelineId, params: { replicas: 'three' } })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineValidationError);
  expect((err as PipelineValidationError).issues.map((i) => [i.code, i.path.join('.')])).toEqual([
    ['missing_param', 'params.cluster_id'],
    ['invalid_type', 'params.replicas'],
  ]);
  expect(await client.executions.count({ pipelineId })).toBe(0);
});

test('without wait, create returns at once; cancel and terminate end runs with their statuses', async () => {
  const pipelineId = await savePipeline({
    steps: [{ id: 'wait', action: 'hold', params: {} }],
  });
  const before = holding;
  const toCancel = await client.executions.create({ pipelineId });
  expect(['pending', 'running']).toContain(toCancel.status);
  const toTerminate = await client.executions.create({ pipelineId });
  await waitUntil(() => holding >= before + 2, 10_000, 'both runs to be holding');
  expect((await client.executions.get(toCancel.id)).steps.wait?.status).toBe('running');

  await client.executions.cancel(toCancel.id);
  await client.executions.terminate(toTerminate.id, 'stop it');
  const cancelled = await eventually(
    () => client.executions.get(toCancel.id),
    (e) => e.status === 'cancelled',
  );
  expect(cancelled.status).toBe('cancelled');
  expect(cancelled.steps.wait?.status).toBe('cancelled');
  expect(await client.executions.get(toTerminate.id)).toMatchObject({
    status: 'terminated',
    error: { message: 'The run was terminated' },
  });
});

test('timeout: waiting on a run that reaches it throws TimeoutError and the run is timed_out; waitTimeout leaves the run going', async () => {
  const pipelineId = await savePipeline({ steps: [{ id: 'wait', action: 'hold', params: {} }] });
  const err = await client.executions
    .create({ pipelineId, timeout: '1s', wait: true })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TimeoutError);
  const id = (err as TimeoutError).executionId;
  expect((await client.executions.get(id)).status).toBe('timed_out');

  const waited = await client.executions
    .create({ pipelineId, wait: true, waitTimeout: 300 })
    .catch((e: unknown) => e);
  expect(waited).toBeInstanceOf(PollTimeoutError);
  const going = await client.executions.get((waited as PollTimeoutError).taskId);
  expect(going.status).toBe('running');
  await client.executions.terminate(going.id);
});

test('runEphemeral runs an unsaved definition; params make one definition reusable', async () => {
  const template = { name: unique('template'), ...deployPipeline };
  const [a, b] = await Promise.all([
    client.executions.runEphemeral({
      pipelineDefinition: template,
      params: { cluster_id: 'c1' },
      wait: true,
    }),
    client.executions.runEphemeral({
      pipelineDefinition: template,
      params: { cluster_id: 'c2', replicas: 2 },
      wait: true,
    }),
  ]);
  expect(a.outputs).toEqual({ result: { cluster: 'c1', replicas: 1 } });
  expect(b.outputs).toEqual({ result: { cluster: 'c2', replicas: 2 } });
  expect(a.pipelineId).toBe(template.name);
  await expect(client.pipelines.get(template.name)).rejects.toMatchObject({ code: 'not_found' });
});

test('createMany validates every request first, starts with bounded concurrency; waitAll waits for all', async () => {
  const pipelineId = await savePipeline();
  const bad = await client.executions
    .createMany([
      { pipelineId, params: { cluster_id: 'ok' } },
      { pipelineId, params: {} },
    ])
    .catch((e: unknown) => e);
  expect(bad).toBeInstanceOf(PipelineValidationError);
  expect((bad as PipelineValidationError).issues[0]!.path).toEqual([1, 'params', 'cluster_id']);
  expect(await client.executions.count({ pipelineId })).toBe(0);

  const started = await client.executions.createMany(
    ['c1', 'c2', 'c3', 'c4', 'c5'].map((cluster_id) => ({ pipelineId, params: { cluster_id } })),
    { concurrency: 2 },
  );
  expect(started).toHaveLength(5);
  const done = await client.executions.waitAll(started);
  expect(done.map((e) => [e.status, (e.outputs?.result as { cluster: string }).cluster])).toEqual(
    ['c1', 'c2', 'c3', 'c4', 'c5'].map((c) => ['completed', c]),
  );
});

test('get() of a completed run whose status snapshot is over the 2 MiB query limit: partial, outputs from its history', async () => {
  // Three steps each hold the 1.2 MB input (the input step and two transforms): a 3.6 MB snapshot,
  // which no query can return. The run's own result is small.
  const pipelineId = await savePipeline({
    steps: [
      { id: 'doc', action: 'input', params: { type: 'string' } },
      { id: 'copy_a', action: 'transform', params: { expression: 'inputs.doc' } },
      { id: 'copy_b', action: 'transform', params: { expression: 'inputs.doc' } },
      {
        id: 'size',
        action: 'output',
        params: { value: '{{ size(steps.copy_a.output) + size(steps.copy_b.output) }}' },
      },
    ],
  });
  const doc = 'x'.repeat(1_200_000);
  const created = await client.executions.create({ pipelineId, inputs: { doc }, wait: true });
  const execution = await client.executions.get(created.id);
  expect(execution).toMatchObject({ status: 'completed', partial: true, outputs: { size: 2_400_000 } });
  expect(execution.steps).toEqual({});
});

test('list filters by pipeline, status, tags and time; pages with limit/offset/pageToken; count agrees', async () => {
  const pipelineId = await savePipeline();
  const t0 = new Date();
  const ids: string[] = [];
  for (const [i, tags] of [['a'], ['a', 'b'], ['b'], ['a', 'b']].entries()) {
    ids.push(
      (await client.executions.create({ pipelineId, params: { cluster_id: `c${i}` }, tags, wait: true })).id,
    );
  }
  const failing = await savePipeline({
    steps: [{ id: 'bad', action: 'transform', params: { expression: '1 / 0' } }],
  });
  const failed = await client.executions.create({ pipelineId: failing, wait: true });
  expect(failed.status).toBe('failed');

  const all = await eventually(
    () => client.executions.list({ pipelineId }),
    (page) => page.executions.length === 4 && page.executions.every((e) => e.status === 'completed'),
  );
  expect(all.executions.map((e) => e.id)).toEqual([...ids].reverse()); // newest first
  expect(all.executions[0]).toMatchObject({
    pipelineId,
    tags: ['a', 'b'],
    params: { cluster_id: 'c3' },
    partial: true,
  });

  const both = await client.executions.list({ pipelineId, tags: ['a', 'b'] });
  expect(both.executions.map((e) => e.id).sort()).toEqual([ids[1], ids[3]].sort());
  expect(await client.executions.count({ pipelineId, tags: ['a', 'b'] })).toBe(2);
  expect(await client.executions.count({ pipelineId, status: 'failed' })).toBe(0);
  expect(
    (await client.executions.list({ pipelineId: failing, status: ['failed', 'cancelled'] })).executions.map(
      (e) => e.id,
    ),
  ).toEqual([failed.id]);
  expect(await client.executions.count({ pipelineId, createdAfter: t0, createdBefore: new Date() })).toBe(4);
  expect(await client.executions.count({ pipelineId, createdBefore: t0 })).toBe(0);
  expect(await client.executions.count({ pipelineId, createdAfter: '1h' })).toBe(4);

  const first = await client.executions.list({ pipelineId, limit: 3 });
  expect(first.executions.map((e) => e.id)).toEqual([ids[3], ids[2], ids[1]]);
  const second = await client.executions.list({ pipelineId, limit: 3, pageToken: first.nextPageToken });
  expect(second.executions.map((e) => e.id)).toEqual([ids[0]]);
  expect(second.nextPageToken).toBeUndefined();
  expect(
    (await client.executions.list({ pipelineId, offset: 1, limit: 2 })).executions.map((e) => e.id),
  ).toEqual([ids[2], ids[1]]);
  expect(
    (await client.executions.list({ pipelineId, sortOrder: 'asc', limit: 2 })).executions.map((e) => e.id),
  ).toEqual([ids[0], ids[1]]);
});

test('retry from the failed step reuses what completed and links the new execution to the old', async () => {
  const pipelineId = await savePipeline({
    steps: [
      { id: 'a', action: 'record', params: { label: 'retry-a' } },
      { id: 'b', action: 'flaky', params: {}, depends_on: ['a'], retry: { max_attempts: 1 } },
    ],
  });
  flakyFails = true;
  const failed = await client.executions.create({ pipelineId, wait: true });
  expect(failed).toMatchObject({ status: 'failed', error: { stepId: 'b', attempts: 1 } });
  expect(failed.error?.message).toContain('flaky is down');

  flakyFails = false;
  const retried = await client.executions.retry(failed.id, { fromFailedStep: true, wait: true });
  expect(retried).toMatchObject({ status: 'completed', retryOf: failed.id, pipelineVersion: '1' });
  expect(retried.steps.a).toMatchObject({ status: 'completed', reused: true });
  expect(retried.steps.b).toMatchObject({ status: 'completed', output: { ok: true } });
  expect(recorded.filter((label) => label === 'retry-a')).toHaveLength(1);
});

test('logs: filters, and follow yields records as they come and ends with the run', async () => {
  const pipelineId = await savePipeline({
    steps: [
      { id: 'first', action: 'log', params: { message: 'deploying to prod', level: 'info' } },
      { id: 'wait', action: 'hold', params: {}, depends_on: ['first'] },
      {
        id: 'last',
        action: 'log',
        params: { message: 'rollout at 100%', level: 'warn' },
        depends_on: ['wait'],
      },
    ],
  });
  held = new Promise<void>((resolve) => (release = resolve));
  const run = await client.executions.create({ pipelineId });
  const seen: string[] = [];
  for await (const record of client.executions.logs({
    executionId: run.id,
    follow: true,
    pollInterval: 50,
  })) {
    seen.push(record.message);
    if (record.message.startsWith('step wait started')) release();
  }
  // The iterator ended by itself: the run is over.
  expect((await client.executions.get(run.id)).status).toBe('completed');
  expect(seen.indexOf('deploying to prod')).toBeLessThan(
    seen.findIndex((m) => m.startsWith('step wait started')),
  );
  expect(seen).toContain('rollout at 100%');

  const warnings = await client.executions.logs({ executionId: run.id, level: 'warn' });
  expect(warnings.map((r) => [r.level, r.stepId, r.message])).toEqual([['warn', 'last', 'rollout at 100%']]);
  const waitOnly = await client.executions.logs({ executionId: run.id, stepId: 'wait' });
  expect(waitOnly.length).toBeGreaterThan(0);
  expect(waitOnly.every((r) => r.stepId === 'wait')).toBe(true);
  expect(await client.executions.logs({ executionId: run.id, since: new Date(Date.now() + 60_000) })).toEqual(
    [],
  );
});

test('logs follow ends for a terminated run too', async () => {
  const pipelineId = await savePipeline({ steps: [{ id: 'wait', action: 'hold', params: {} }] });
  held = new Promise<void>((resolve) => (release = resolve));
  const run = await client.executions.create({ pipelineId });
  const messages: string[] = [];
  for await (const record of client.executions.logs({
    executionId: run.id,
    follow: true,
    pollInterval: 50,
  })) {
    messages.push(record.message);
    if (record.message.startsWith('step wait started')) await client.executions.terminate(run.id);
  }
  expect(messages.some((m) => m.startsWith('step wait started'))).toBe(true);
  expect((await client.executions.get(run.id)).status).toBe('terminated');
  // Stopping a run that already ended changes nothing.
  await client.executions.cancel(run.id);
  await client.executions.terminate(run.id);
  expect((await client.executions.get(run.id)).status).toBe('terminated');
  await expect(client.executions.terminate('no-such-run')).rejects.toMatchObject({ code: 'not_found' });
});

test('callbacks given to executions.create are POSTed when the run ends', async () => {
  const pipelineId = await savePipeline();
  http.route('/hooks/done', { status: 204 });
  const done = await client.executions.create({
    pipelineId,
    params: { cluster_id: 'cb' },
    callbacks: { onComplete: http.url('/hooks/done'), onFailure: http.url('/hooks/failed') },
    wait: true,
  });
  await waitUntil(() => http.requestsTo('/hooks/done').length === 1, 10_000, 'the onComplete callback');
  expect(http.requestsTo('/hooks/done')[0]!.body).toMatchObject({
    executionId: done.id,
    pipelineId,
    status: 'completed',
    outputs: { result: { cluster: 'cb', replicas: 1 } },
  });
  expect(http.requestsTo('/hooks/failed')).toHaveLength(0);
  await expect(
    client.executions.create({
      pipelineId,
      params: { cluster_id: 'x' },
      callbacks: { onComplete: 'not a url' },
    }),
  ).rejects.toBeInstanceOf(PipelineValidationError);
});

test('logs say when older records were dropped by the per-run bound', async () => {
  const pipelineId = await savePipeline({
    steps: Array.from({ length: 12 }, (_, i) => ({ id: `talk_${i}`, action: 'chatty', params: {} })),
  });
  const run = await client.executions.create({ pipelineId, wait: true });
  const logs = await client.executions.logs({ executionId: run.id });
  expect(logs[0]).toMatchObject({ seq: 0, level: 'warn', source: 'engine' });
  expect(logs[0]!.message).toMatch(
    /^\d+ earlier log record\(s\) were dropped: a run keeps its newest 1000\.$/,
  );
  expect(logs.length).toBeLessThanOrEqual(1001);
  expect(logs[logs.length - 1]!.seq).toBeGreaterThan(1000);
});

test('the visibility query quotes values, so a filter cannot inject clauses', () => {
  expect(executionsQuery({ pipelineId: "x' OR WorkflowType = 'y", tags: ['t'] })).toBe(
    "WorkflowType = 'runPipeline' AND PipelineName = 'x\\' OR WorkflowType = \\'y' AND ExecutionStatus != 'ContinuedAsNew' AND PipelineTags = 't'",
  );
});

test('with a saturated worker, high-priority runs start before low-priority runs queued earlier', async () => {
  const blockerPipeline = await savePipelineOn(slowClient, {
    steps: [{ id: 'wait', action: 'hold', params: {} }],
  });
  const recordPipeline = await savePipelineOn(slowClient, {
    params: { label: { type: 'string', required: true } },
    steps: [{ id: 'rec', action: 'record', params: { label: '{{ params.label }}' } }],
  });
  held = new Promise<void>((resolve) => (release = resolve));
  const before = holding;
  const blocker = await slowClient.executions.create({ pipelineId: blockerPipeline });
  await waitUntil(() => holding > before, 10_000, 'the blocker to hold the only slot');

  recorded.length = 0;
  const queued: string[] = [];
  for (const label of ['low-1', 'low-2', 'low-3']) {
    queued.push(
      (await slowClient.executions.create({ pipelineId: recordPipeline, params: { label }, priority: 'low' }))
        .id,
    );
  }
  for (const label of ['high-1', 'high-2', 'high-3']) {
    queued.push(
      (
        await slowClient.executions.create({
          pipelineId: recordPipeline,
          params: { label },
          priority: 'high',
        })
      ).id,
    );
  }
  // Every run's activity is scheduled (and waiting in the queue) before the slot frees.
  await eventually(
    () => Promise.all(queued.map((id) => slowClient.executions.get(id))),
    (runs) => runs.every((r) => r.steps.rec?.status === 'running'),
  );
  expect((await slowClient.executions.get(queued[0]!)).priority).toBe(5);
  release();
  await slowClient.executions.waitAll([blocker.id, ...queued]);
  expect(recorded).toEqual(['high-1', 'high-2', 'high-3', 'low-1', 'low-2', 'low-3']);
});

async function savePipelineOn(on: PipelinesClient, definition: object) {
  const name = unique('prio');
  await on.pipelines.save({ name, definition: { name, ...definition }, deploy: true });
  return name;
}
