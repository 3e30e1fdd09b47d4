/**
 * Backpressure in the client (issue 8 item 5) against a real rate-limited namespace: a plain
 * `Promise.all` of 200 starts and a `createMany` of 200 all succeed, the refused ones retried with
 * jittered backoff, never more than `maxConcurrentStarts` start calls in flight.
 */
import { randomBytes } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { startLocalServer, type LocalServer } from '../../src/dev/localServer';
import { createPipelineWorker } from '../../src/worker';
import { sharedTestEnv } from '../support/pipelineHarness';

const RPS = 20;
const MAX_CONCURRENT_STARTS = 8;
const BURST = 200;

const tiny = (value: number) => ({
  name: 'tiny',
  steps: [{ id: 'say', action: 'transform', params: { value } }],
});

describe(`a namespace limited to ${RPS} requests per second`, () => {
  let server: LocalServer;
  let client: PipelinesClient;
  let retries = 0;
  /** The most refusals one start met before it started. */
  let worstAttempt = 0;
  /** Start calls the client has sent and not yet heard back from. */
  let inFlight = 0;
  let maxInFlight = 0;

  beforeAll(async () => {
    server = await startLocalServer({
      uiPort: false,
      dynamicConfig: { 'frontend.namespaceRPS': RPS, 'frontend.namespaceBurstRatio': 1 },
    });
    client = await connect({
      address: server.address,
      // No worker polls this queue: the runs only need to start.
      taskQueue: `backpressure-${randomBytes(4).toString('hex')}`,
      maxConcurrentStarts: MAX_CONCURRENT_STARTS,
      retry: {
        rateLimited: {
          // 2.5× more starts than the namespace allows, on a loaded machine: more room than the
          // default 10 attempts (the worst start needed 7–8 in our runs).
          maxAttempts: 20,
          onRetry: ({ attempt }) => {
            retries++;
            worstAttempt = Math.max(worstAttempt, attempt);
          },
        },
      },
    });
    // Count the start calls underneath every way of starting a run.
    const workflows = client.temporal.workflow;
    const start = workflows.start.bind(workflows);
    workflows.start = (async (...args: Parameters<typeof start>) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await start(...args);
      } finally {
        inFlight--;
      }
    }) as typeof workflows.start;
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });
  beforeEach(() => {
    retries = 0;
    worstAttempt = 0;
    maxInFlight = 0;
  });

  test(`${BURST} starts at once all start, refused ones retried, at most ${MAX_CONCURRENT_STARTS} in flight`, async () => {
    const began = Date.now();
    const settled = await Promise.allSettled(Array.from({ length: BURST }, (_, i) => client.start(tiny(i))));
    const ms = Date.now() - began;
    console.log(
      `Promise.all of ${BURST} starts at ${RPS} rps: ${ms} ms, ${retries} retries (at most ${worstAttempt} for one start), at most ${maxInFlight} in flight`,
    );

    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
    const ids = settled.map((s) => (s.status === 'fulfilled' ? s.value.taskId : ''));
    expect(new Set(ids).size).toBe(BURST);
    expect(retries).toBeGreaterThan(0);
    expect(maxInFlight).toBeLessThanOrEqual(MAX_CONCURRENT_STARTS);
  });

  test(`createMany of ${BURST} starts them all`, async () => {
    // The pipeline is saved through a client whose task queue a worker polls (the registry is a
    // workflow); the runs start on the first client's queue, which no worker polls.
    const registryQueue = `registry-${randomBytes(4).toString('hex')}`;
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await createPipelineWorker({
      connection,
      taskQueue: registryQueue,
      workflowBundle: { codePath: sharedTestEnv().bundlePath },
      shutdownGraceTimeMs: 1000,
    });
    const running = worker.run();
    const registryClient = await connect({ address: server.address, taskQueue: registryQueue });
    try {
      const name = `batch-${randomBytes(3).toString('hex')}`;
      await registryClient.pipelines.save({ name, definition: { ...tiny(0), name }, deploy: true });

      const began = Date.now();
      const handles = await client.executions.createMany(
        Array.from({ length: BURST }, () => ({ pipelineId: name })),
        { concurrency: 32 },
      );
      const ms = Date.now() - began;
      console.log(
        `createMany of ${BURST} at ${RPS} rps: ${ms} ms, ${retries} retries (at most ${worstAttempt} for one start), at most ${maxInFlight} in flight`,
      );

      expect(new Set(handles.map((h) => h.taskId)).size).toBe(BURST);
      expect(retries).toBeGreaterThan(0);
      expect(maxInFlight).toBeLessThanOrEqual(MAX_CONCURRENT_STARTS);
    } finally {
      await registryClient.close();
      worker.shutdown();
      await running;
      await connection.close();
    }
  });
});
