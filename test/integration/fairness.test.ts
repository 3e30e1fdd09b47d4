/**
 * Tenant fairness (issue 8 item 3) against the local server, which enables fairness by default: a
 * worker with two activity slots, tenant "big" starts a burst of runs, then tenant "small" starts
 * one. With fairness keys the small run is served between big's tasks; without them it waits
 * behind big's backlog (first come, first served).
 */
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { connect, type PipelinesClient } from '../../src/client/connect';
import type { StartRunOptions } from '../../src/client/runs/startRun';
import { defineAction } from '../../src/model';
import { eventually } from '../support/eventually';
import { sharedTestEnv, startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

const BURST = 200;
const STEP_MS = 150;

/** Completed `work` steps per tenant, counted by the worker in this process. */
const done = new Map<string, number>();
const work = defineAction({
  name: 'work',
  params: z.object({ tenant: z.string() }),
  run: async ({ tenant }) => {
    await new Promise((resolve) => setTimeout(resolve, STEP_MS));
    done.set(tenant, (done.get(tenant) ?? 0) + 1);
    return { tenant };
  },
});

const tenantPipeline = {
  name: 'tenant-work',
  params: { tenant: { type: 'string', required: true } },
  steps: [{ id: 'work', action: 'work', params: { tenant: '{{ params.tenant }}' } }],
};

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function inBatches<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += limit) await Promise.all(items.slice(i, i + limit).map(fn));
}

/** Workflow tasks waiting in the client's task queue (the server's estimate). */
async function workflowBacklog(client: PipelinesClient): Promise<number> {
  const { stats } = await client.temporal.workflowService.describeTaskQueue({
    namespace: client.namespace,
    taskQueue: { name: client.taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: true,
  });
  return Number(stats?.approximateBacklogCount ?? 0);
}

interface Contest {
  /** Big's completed runs when the small run started. */
  bigDoneAtStart: number;
  /** Big's completed runs when the small run completed. */
  bigDoneAtEnd: number;
  smallMs: number;
}

/**
 * Big starts `BURST` runs; once each of them has scheduled its step (no workflow task waits), small
 * starts one run and waits for it.
 * `keys` decides whether the runs carry fairness keys.
 */
async function contest(
  client: PipelinesClient,
  labels: { big: string; small: string },
  keys: boolean,
): Promise<Contest> {
  const options = (tenant: string): StartRunOptions => ({
    params: { tenant },
    ...(keys && { fairnessKey: tenant }),
  });
  await inBatches(
    Array.from({ length: BURST }, (_, i) => i),
    25,
    () => client.start(tenantPipeline, options(labels.big)),
  );
  // Big's backlog is all activity tasks now: every big run has scheduled its step, so small's step
  // queues behind all of them (the activity inherits the run's fairness key).
  expect(
    await eventually(
      () => workflowBacklog(client),
      (backlog) => backlog === 0,
      30_000,
    ),
  ).toBe(0);
  const bigDoneAtStart = done.get(labels.big) ?? 0;
  const started = Date.now();
  const small = await client.start(tenantPipeline, options(labels.small));
  await small.result({ timeout: '50s' });
  return { bigDoneAtStart, bigDoneAtEnd: done.get(labels.big) ?? 0, smallMs: Date.now() - started };
}

describe('a worker with two activity slots, shared by two tenants', () => {
  let fair: PipelineHarness;
  let fairClient: PipelinesClient;
  let fifo: PipelineHarness;
  let fifoClient: PipelinesClient;
  beforeAll(async () => {
    const address = sharedTestEnv().address;
    fair = await startPipelineHarness({ actions: [work] }, { maxConcurrentActivityTaskExecutions: 2 });
    fifo = await startPipelineHarness({ actions: [work] }, { maxConcurrentActivityTaskExecutions: 2 });
    fairClient = await connect({ address, taskQueue: fair.taskQueue, actions: [work] });
    fifoClient = await connect({ address, taskQueue: fifo.taskQueue, actions: [work] });
  });
  afterAll(async () => {
    await fairClient?.close();
    await fifoClient?.close();
    await fair?.close();
    await fifo?.close();
  });

  test("with fairness keys, small's one run completes while big's burst is still largely undone", async () => {
    const { bigDoneAtStart, bigDoneAtEnd, smallMs } = await contest(
      fairClient,
      { big: 'big', small: 'small' },
      true,
    );
    console.log(
      `fairness keys: small's run took ${smallMs} ms; big had ${bigDoneAtStart}/${BURST} runs done when it started, ${bigDoneAtEnd} when it completed`,
    );
    // Small was served between big's tasks, not after them.
    expect(bigDoneAtEnd - bigDoneAtStart).toBeLessThan((BURST - bigDoneAtStart) / 4);
    expect(bigDoneAtEnd).toBeLessThan(BURST / 2);
  });

  test("without fairness keys, small's run waits behind big's backlog", async () => {
    const { bigDoneAtStart, bigDoneAtEnd, smallMs } = await contest(
      fifoClient,
      { big: 'big-fifo', small: 'small-fifo' },
      false,
    );
    console.log(
      `no keys: small's run took ${smallMs} ms; big had ${bigDoneAtStart}/${BURST} runs done when it started, ${bigDoneAtEnd} when it completed`,
    );
    // First come, first served: most of what big had queued ran before small.
    expect(bigDoneAtEnd - bigDoneAtStart).toBeGreaterThan((BURST - bigDoneAtStart) / 2);
  });
});

test('the key and weight reach the run and its tags, and a retry keeps them', async () => {
  const h = await startPipelineHarness({ actions: [work] });
  const client = await connect({ address: sharedTestEnv().address, taskQueue: h.taskQueue, actions: [work] });
  try {
    const first = await client.executions.runEphemeral({
      pipelineDefinition: tenantPipeline,
      params: { tenant: 'acme' },
      fairnessKey: 'acme',
      fairnessWeight: 2,
      tags: ['nightly'],
      wait: true,
    });
    expect(first).toMatchObject({ status: 'completed', fairnessKey: 'acme' });
    expect(first.tags.sort()).toEqual(['fairness:acme', 'nightly']);
    const firstPriority = (await client.temporal.workflow.getHandle(first.id).describe()).priority;
    expect(firstPriority).toMatchObject({ fairnessKey: 'acme', fairnessWeight: 2 });
    const retry = await client.executions.retry(first.id, { wait: true });
    expect(retry).toMatchObject({ status: 'completed', fairnessKey: 'acme', retryOf: first.id });
    const retryPriority = (await client.temporal.workflow.getHandle(retry.id).describe()).priority;
    expect(retryPriority).toMatchObject({ fairnessKey: 'acme', fairnessWeight: 2 });
    const listed = await eventually(
      () => client.executions.list({ tags: ['fairness:acme'] }),
      (page) => page.executions.length >= 2,
    );
    expect(listed.executions.map((e) => e.id).sort()).toEqual([first.id, retry.id].sort());
  } finally {
    await client.close();
    await h.close();
  }
});
