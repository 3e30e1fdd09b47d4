/**
 * Server restart: the local Temporal server (on a SQLite file) is stopped while 20 runs wait in a
 * `delay` node, stays down for a while, and comes back on the same file and port. The worker
 * process and the client reconnect by themselves; every run resumes where it was and completes,
 * and no side effect is repeated.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort, startLocalServer, type LocalServer } from '../../src/dev/localServer';
import { startPipelineRun, type PipelineRunHandle } from '../../src/client/runs/startRun';
import { statusQuery } from '../../src/protocol/messages/runMessages';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { prepareChaosScratch, report, type ChaosScratch } from './support/chaosEnv';
import { startWorkerProcess, type WorkerProcess } from './support/workerProcess';

const RUNS = 20;
const TASK_QUEUE = 'chaos-restart';
const DOWN_MS = 3000;

/** `before` → a 4 s durable timer → `after`; each call returns a value derived from its input. */
function restartPipeline(http: HttpRecorder) {
  return {
    name: 'chaos_restart',
    steps: [
      { id: 'n', action: 'input', params: { type: 'integer' } },
      {
        id: 'before',
        action: 'api_call',
        params: { url: http.url('/before'), method: 'POST', body: { run: '{{ inputs.n }}' } },
      },
      { id: 'wait', action: 'delay', depends_on: ['before'], params: { duration: '4s' } },
      {
        id: 'after',
        action: 'api_call',
        depends_on: ['wait'],
        params: {
          url: http.url('/after'),
          method: 'POST',
          body: { run: '{{ inputs.n }}', value: '{{ steps.before.output.body.value }}' },
        },
      },
      { id: 'result', action: 'output', params: { value: '{{ steps.after.output.body.value }}' } },
    ],
  };
}

let scratch: ChaosScratch;
let server: LocalServer | undefined;
let http: HttpRecorder;
let connection: Connection;
let worker: WorkerProcess | undefined;

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await http?.close();
  await server?.stop();
  scratch?.remove();
}, 60_000);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

test('every run resumes and completes after the server is stopped and restarted mid-run', async () => {
  [scratch, http] = await Promise.all([prepareChaosScratch(), startHttpRecorder()]);
  const serverOptions = {
    port: await freePort(),
    uiPort: false as const,
    dbFilename: path.join(scratch.dir, 'temporal.db'),
  };
  server = await startLocalServer(serverOptions);
  http.route('/before', (req) => ({ json: { value: (req.body as { run: number }).run * 10 } }));
  http.route('/after', (req) => ({ json: { value: (req.body as { value: number }).value + 1 } }));
  worker = await startWorkerProcess({
    address: server.address,
    taskQueue: TASK_QUEUE,
    bundlePath: scratch.bundlePath,
  });
  connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });

  const handles: PipelineRunHandle[] = await Promise.all(
    Array.from({ length: RUNS }, (_, n) =>
      startPipelineRun(client, restartPipeline(http), { taskQueue: TASK_QUEUE, inputs: { n } }),
    ),
  );
  const results = Promise.all(handles.map((h) => h.result()));

  // Stop the server once every run has recorded `before` and sits in its timer.
  const waiting = async () => {
    const snapshots = await Promise.all(handles.map((h) => h.query(statusQuery)));
    return snapshots.filter((s) => s.nodes.before?.status === 'completed').length;
  };
  for (let settled = await waiting(); settled < RUNS; settled = await waiting()) await sleep(100);
  const stoppedAt = Date.now();
  await server.stop();
  server = undefined;
  await sleep(DOWN_MS);
  const restartAt = Date.now();
  server = await startLocalServer(serverOptions);
  const servingAt = Date.now();
  const outcomes = await results;
  const doneAt = Date.now();

  expect(outcomes.map((o) => o.outputs.result)).toEqual(Array.from({ length: RUNS }, (_, n) => n * 10 + 1));
  // The worker process rode out the outage: it never exited and no one restarted it.
  expect(worker.exitReason()).toBeUndefined();
  // The runs resumed rather than restarted: each side effect happened exactly once.
  const perRun = (p: string) =>
    http
      .requestsTo(p)
      .map((r) => (r.body as { run: number }).run)
      .sort((a, b) => a - b);
  const everyRun = Array.from({ length: RUNS }, (_, n) => n);
  expect(perRun('/before')).toEqual(everyRun);
  expect(perRun('/after')).toEqual(everyRun);
  // Every timer fired while the server was down or after: the `after` calls all came once it was back.
  const early = http.requestsTo('/after').filter((r) => r.time < restartAt);
  expect(early.map((r) => (r.body as { run: number }).run)).toEqual([]);

  report('server restart chaos', {
    runs: RUNS,
    'server down (stop → serving again)': `${((servingAt - stoppedAt) / 1000).toFixed(1)} s`,
    'of which restart': `${((servingAt - restartAt) / 1000).toFixed(1)} s`,
    'serving again → all runs completed': `${((doneAt - servingAt) / 1000).toFixed(1)} s`,
    'outputs correct': `${RUNS}/${RUNS}`,
  });
}, 240_000);
