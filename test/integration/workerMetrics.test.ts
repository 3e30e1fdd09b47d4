/**
 * The worker entrypoint serves Temporal's worker metrics for Prometheus (issue 7 item 4) when
 * WORKER_METRICS_ADDRESS is set: a worker process runs a pipeline, and its /metrics page counts it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startPipelineRun } from '../../src/client/startRun';
import { sharedTestEnv } from '../support/pipelineHarness';
import { eventually } from '../support/eventually';

const ROOT = path.join(__dirname, '..', '..');

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

let worker: ChildProcess | undefined;
let connection: Connection | undefined;

afterAll(async () => {
  worker?.kill('SIGTERM');
  await connection?.close();
});

test('WORKER_METRICS_ADDRESS serves the worker metrics, counting the runs it completed', async () => {
  const env = sharedTestEnv();
  const port = await freePort();
  const taskQueue = `metrics-${port}`;
  worker = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'worker.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE_PATH: env.bundlePath,
      WORKER_METRICS_ADDRESS: `127.0.0.1:${port}`,
      WORKER_LOG_LEVEL: 'WARN',
    },
    stdio: 'ignore',
  });
  connection = await Connection.connect({ address: env.address });
  const client = new Client({ connection, namespace: env.namespace });
  const run = await startPipelineRun(
    client,
    { name: 'metrics_check', steps: [{ id: 'one', action: 'transform', params: { expression: '1 + 1' } }] },
    { taskQueue },
  );
  expect((await run.result()).outputs).toEqual({ one: 2 });

  const page = await eventually(
    () =>
      fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      ),
    (text) => /temporal_workflow_completed\{[^}]*task_queue="metrics-/.test(text),
    20_000,
  );
  expect(page).toMatch(new RegExp(`temporal_workflow_completed\\{[^}]*task_queue="${taskQueue}"[^}]*\\} 1`));
  expect(page).toMatch(/# TYPE temporal_worker_task_slots_available gauge/);
});
