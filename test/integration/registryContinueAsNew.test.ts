/**
 * The pipeline registry entity (`pipeline:<name>`) continues-as-new, carrying every version and
 * the deployed one: when Temporal suggests it (a server of its own with a low
 * `limit.historyCount.suggestContinueAsNew`) and after `maxUpdatesPerRun` saves and deploys.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { NotFoundError } from '../../src/client/errors';
import { startLocalServer, type LocalServer } from '../../src/dev/localServer';
import { createPipelineWorker } from '../../src/worker';
import { registryWorkflowId, type RegistryRunOptions } from '../../src/protocol/messages/registryMessages';
import { eventually } from '../support/eventually';
import { sharedTestEnv, startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

const EventType = temporal.api.enums.v1.EventType;
const { SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS } =
  temporal.api.enums.v1.SuggestContinueAsNewReason;

/** Temporal suggests continue-as-new once a run's history reaches this many events (default 4,096). */
const SUGGEST_AT_EVENTS = 20;

let server: LocalServer;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void> | undefined;
let client: PipelinesClient;

beforeAll(async () => {
  server = await startLocalServer({
    uiPort: false,
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_AT_EVENTS },
  });
  const taskQueue = `registry-can-${randomBytes(4).toString('hex')}`;
  nativeConnection = await NativeConnection.connect({ address: server.address });
  worker = await createPipelineWorker({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: { codePath: sharedTestEnv().bundlePath },
    shutdownGraceTimeMs: 1000,
  });
  running = worker.run();
  client = await connect({ address: server.address, taskQueue });
});

afterAll(async () => {
  await client?.close();
  if (running !== undefined) {
    worker.shutdown();
    await running;
  }
  await nativeConnection?.close();
  await server?.stop();
});

const definition = (name: string, value: number) => ({
  name,
  steps: [{ id: 'say', action: 'transform', params: { value } }],
});

/**
 * The entity's runs as visibility lists them: the running one and how many continued-as-new,
 * once it shows at least `atLeast` runs (visibility is eventually consistent).
 */
async function runsOf(c: PipelinesClient, name: string, atLeast: number) {
  const list = async () => {
    const runs = { running: [] as string[], continuedAsNew: 0, other: [] as string[] };
    for await (const e of c.temporal.workflow.list({ query: `WorkflowId = '${registryWorkflowId(name)}'` })) {
      if (e.status.name === 'RUNNING') runs.running.push(e.runId);
      else if (e.status.name === 'CONTINUED_AS_NEW') runs.continuedAsNew += 1;
      else runs.other.push(e.status.name);
    }
    return runs;
  };
  return eventually(list, (r) => r.running.length + r.continuedAsNew + r.other.length >= atLeast);
}

/** What a closed run's history says about why it ended. */
async function howRunEnded(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  const started = (events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  const last = started[started.length - 1]?.workflowTaskStartedEventAttributes;
  return {
    lastEvent: events?.[events.length - 1]?.eventType,
    suggested: started.some((e) => e.workflowTaskStartedEventAttributes?.suggestContinueAsNew),
    lastReasons: last?.suggestContinueAsNewReasons ?? [],
  };
}

test('30 saves and a deploy survive the continues-as-new Temporal suggests; delete still ends the pipeline', async () => {
  const name = `can-${randomBytes(3).toString('hex')}`;
  const handle = client.temporal.workflow.getHandle(registryWorkflowId(name));
  const saved: { version: number; hash: string; created: boolean }[] = [];

  saved.push(await client.pipelines.save({ name, definition: definition(name, 1) }));
  const firstRunId = (await handle.describe()).runId;
  for (let i = 2; i <= 30; i++) {
    saved.push(await client.pipelines.save({ name, definition: definition(name, i) }));
    if (i === 10) await client.pipelines.deploy(name, 7);
  }
  expect(saved.map((s) => [s.version, s.created])).toEqual(
    Array.from({ length: 30 }, (_, i) => [i + 1, true]),
  );

  // The entity moved on to new runs: the first one ended because Temporal suggested it.
  const description = await handle.describe();
  expect(description.runId).not.toBe(firstRunId);
  expect(description.status.name).toBe('RUNNING');
  expect(await howRunEnded(client.temporal.workflow.getHandle(registryWorkflowId(name), firstRunId))).toEqual(
    {
      lastEvent: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
      suggested: true,
      lastReasons: [SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS],
    },
  );
  const runs = await runsOf(client, name, 2);
  expect(runs).toMatchObject({ running: [description.runId], other: [] });
  expect(runs.continuedAsNew).toBeGreaterThanOrEqual(1);

  // Every version is still there with its hash and definition, and the deployed one is kept.
  const state = await client.pipelines.get(name);
  expect(state.deployedVersion).toBe(7);
  expect(state.versions.map((v) => ({ version: v.version, hash: v.hash, definition: v.definition }))).toEqual(
    saved.map((s, i) => ({ version: s.version, hash: s.hash, definition: definition(name, i + 1) })),
  );
  for (const s of saved) {
    expect(await client.pipelines.version(name, s.version)).toMatchObject({
      version: s.version,
      hash: s.hash,
    });
  }
  expect(await (await client.startSaved(name)).result()).toMatchObject({ outputs: { say: 7 } });
  // One listing entry (only the running run counts), whose memo the new runs kept up to date.
  const listed = await eventually(
    () => client.pipelines.list({ nameContains: name }),
    (found) => found[0]?.currentVersion === 30,
  );
  expect(listed).toEqual([expect.objectContaining({ name, currentVersion: 30, deployedVersion: 7 })]);

  await client.pipelines.delete(name);
  await expect(client.pipelines.get(name)).rejects.toBeInstanceOf(NotFoundError);
  await expect(client.startSaved(name)).rejects.toBeInstanceOf(NotFoundError);
  expect((await handle.describe()).status.name).toBe('COMPLETED');
  expect(
    await eventually(
      () => client.pipelines.list({ nameContains: name }),
      (n) => n.length === 0,
    ),
  ).toEqual([]);
});

test('saves sent while the entity continues-as-new are neither lost nor numbered twice', async () => {
  const name = `race-${randomBytes(3).toString('hex')}`;
  const handle = client.temporal.workflow.getHandle(registryWorkflowId(name));
  await client.pipelines.save({ name, definition: definition(name, 0) });

  // Bursts of concurrent saves (Temporal admits at most 10 updates in flight per workflow): with
  // a run ending every ~20 events, some saves reach a run that is closing and are retried by
  // Temporal on the next run. Keep going until at least one burst spanned a continue-as-new.
  const results: { value: number; version: number; hash: string }[] = [];
  let burstsAcrossRuns = 0;
  for (let burst = 0; burst < 10 && burstsAcrossRuns < 2; burst++) {
    const before = (await handle.describe()).runId;
    const saved = await Promise.all(
      Array.from({ length: 8 }, async (_, k) => {
        const value = burst * 100 + k + 1;
        return { value, ...(await client.pipelines.save({ name, definition: definition(name, value) })) };
      }),
    );
    results.push(...saved);
    if ((await handle.describe()).runId !== before) burstsAcrossRuns += 1;
  }
  expect(burstsAcrossRuns).toBeGreaterThan(0);

  const versions = results.map((r) => r.version).sort((a, b) => a - b);
  expect(versions).toEqual(Array.from({ length: results.length }, (_, i) => i + 2));
  const state = await client.pipelines.get(name);
  expect(state.versions).toHaveLength(results.length + 1);
  for (const r of results) {
    expect(state.versions[r.version - 1]).toMatchObject({
      version: r.version,
      hash: r.hash,
      definition: definition(name, r.value),
    });
  }
});

describe('maxUpdatesPerRun, on a server with the default suggestion threshold', () => {
  let h: PipelineHarness;
  let shared: PipelinesClient;
  beforeAll(async () => {
    h = await startPipelineHarness();
    shared = await connect({ address: sharedTestEnv().address, taskQueue: h.taskQueue });
  });
  afterAll(async () => {
    await shared?.close();
    await h?.close();
  });

  test('the entity continues-as-new after that many saves and deploys, carrying the option', async () => {
    const name = `bounded-${randomBytes(3).toString('hex')}`;
    const at = new Date().toISOString();
    const options: RegistryRunOptions = { maxUpdatesPerRun: 3 };
    const first = await shared.temporal.workflow.start('pipelineRegistry', {
      workflowId: registryWorkflowId(name),
      taskQueue: h.taskQueue,
      args: [{ name, createdAt: at, updatedAt: at, versions: [] }, options],
    });

    // 7 saves and 1 deploy: runs of [1, 2, 3], [4, 5, 6], [7, deploy]; one more save fills the third.
    for (let i = 1; i <= 7; i++) await shared.pipelines.save({ name, definition: definition(name, i) });
    await shared.pipelines.deploy(name, 2);
    expect(await runsOf(shared, name, 3)).toMatchObject({ continuedAsNew: 2, other: [] });
    await shared.pipelines.save({ name, definition: definition(name, 8) });
    const runs = await runsOf(shared, name, 4);
    expect(runs).toMatchObject({ continuedAsNew: 3, other: [] });
    expect(runs.running).toEqual([(await first.describe()).runId]);

    // Not Temporal's suggestion: the bound ended those runs.
    const oldest = shared.temporal.workflow.getHandle(registryWorkflowId(name), first.firstExecutionRunId);
    expect(await howRunEnded(oldest)).toMatchObject({
      lastEvent: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
      suggested: false,
    });
    const state = await shared.pipelines.get(name);
    expect(state.versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(state.deployedVersion).toBe(2);
    await shared.pipelines.delete(name);
  });
});
