/**
 * Graceful shutdown: a worker told to stop lets its in-flight node finish (within the grace time),
 * and another worker carries the run on; the node's side effect happened exactly once.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startPipelineRun } from '../../src/client/runs/startRun';
import { createPipelineWorker } from '../../src/worker';
import { statusQuery } from '../../src/protocol/messages/runMessages';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { TEST_EGRESS, sharedTestEnv } from '../support/pipelineHarness';

let http: HttpRecorder;
let native: NativeConnection;
let connection: Connection;

beforeAll(async () => {
  http = await startHttpRecorder();
  native = await NativeConnection.connect({ address: sharedTestEnv().address });
  connection = await Connection.connect({ address: sharedTestEnv().address });
});
afterAll(async () => {
  await connection?.close();
  await native?.close();
  await http?.close();
});

test('an in-flight node finishes during shutdown and a second worker completes the run', async () => {
  const env = sharedTestEnv();
  const taskQueue = `shutdown-${randomBytes(4).toString('hex')}`;
  const newWorker = () =>
    createPipelineWorker({
      connection: native,
      namespace: env.namespace,
      taskQueue,
      workflowBundle: { codePath: env.bundlePath },
      shutdownGraceTimeMs: 10_000,
      activities: { egress: TEST_EGRESS },
    });
  http.route('/slow-charge', { delayMs: 1500, json: { charged: true } });

  const first = await newWorker();
  const firstRunning = first.run();
  const client = new Client({ connection, namespace: env.namespace });
  const handle = await startPipelineRun(
    client,
    {
      steps: [
        { id: 'charge', action: 'api_call', params: { url: http.url('/slow-charge'), method: 'POST' } },
        {
          id: 'receipt',
          action: 'transform',
          params: { value: 'charged={{ steps.charge.output.body.charged }}' },
        },
      ],
    },
    { taskQueue },
  );

  await http.waitForRequests('/slow-charge', 1);
  first.shutdown(); // what SIGINT/SIGTERM do
  await firstRunning;
  expect(http.requestsTo('/slow-charge')[0]!.completed).toBe(true);

  const second = await newWorker();
  const [{ outputs }, snapshot] = await second.runUntil(async () => {
    const result = await handle.result();
    return [result, await handle.query(statusQuery)] as const;
  });
  expect(outputs).toEqual({ receipt: 'charged=true' });
  expect(http.requestsTo('/slow-charge')).toHaveLength(1);
  expect(snapshot.nodes.charge).toMatchObject({ status: 'completed', attempts: 1 });
});
