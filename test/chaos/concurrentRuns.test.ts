/**
 * Scale: 1,000 runs in flight at once on one worker with its default settings. Each run reads its
 * input, waits in a user action for a second (so the runs overlap), branches on the value and
 * returns an output derived from its input on the branch it took. Every run must complete with its own result.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { z } from 'zod';
import { startLocalServer, type LocalServer } from '../../src/dev/localServer';
import { defineAction } from '../../src/model';
import { startPipelineRun } from '../../src/client/runs/startRun';
import { createPipelineWorker } from '../../src/worker';
import { prepareChaosScratch, report, type ChaosScratch } from './support/chaosEnv';
import { readFileSync } from 'node:fs';

const RUNS = 1000;

const slowDouble = defineAction({
  name: 'slow_double',
  params: z.object({ n: z.number() }),
  run: async ({ n }) => {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return { value: n * 2 };
  },
});
const actions = { slow_double: slowDouble };

const pipeline = {
  name: 'scale_concurrent',
  steps: [
    { id: 'n', action: 'input', params: { type: 'integer' } },
    { id: 'double', action: 'slow_double', params: { n: '{{ inputs.n }}' } },
    {
      id: 'is_even_hundred',
      action: 'condition',
      depends_on: ['double'],
      params: {
        condition: 'steps.double.output.value % 200 == 0',
        on_true: ['round'],
        on_false: ['plus_one'],
      },
    },
    { id: 'round', action: 'output', params: { value: '{{ steps.double.output.value }}' } },
    { id: 'plus_one', action: 'transform', params: { expression: 'steps.double.output.value + 1' } },
    { id: 'other', action: 'output', params: { value: '{{ steps.plus_one.output }}' } },
  ],
};
/** Branch by branch: a multiple of 100 takes the `round` branch, every other run `other`. */
const expected = (n: number) => (n % 100 === 0 ? { round: n * 2 } : { other: n * 2 + 1 });

let scratch: ChaosScratch;
let server: LocalServer;
let native: NativeConnection;
let connection: Connection;
let worker: Worker | undefined;

afterAll(async () => {
  await connection?.close();
  await native?.close();
  await server?.stop();
  scratch?.remove();
}, 60_000);

test(`${RUNS} concurrent runs on one worker all complete with their own results`, async () => {
  [scratch, server] = await Promise.all([prepareChaosScratch(), startLocalServer({ uiPort: false })]);
  native = await NativeConnection.connect({ address: server.address });
  connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const taskQueue = `scale-${randomBytes(3).toString('hex')}`;
  worker = await createPipelineWorker({
    connection: native,
    taskQueue,
    workflowBundle: { code: readFileSync(scratch.bundlePath, 'utf8') },
    activities: { actions: [slowDouble] },
  });

  let peakRssMb = 0;
  let peakRunning = 0;
  const started = Date.now();
  const outcomes = await worker.runUntil(async () => {
    const sampler = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, process.memoryUsage.rss() / 2 ** 20);
    }, 200);
    let counting = true;
    const counter = (async () => {
      while (counting) {
        const { count } = await client.workflow.count(
          `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`,
        );
        peakRunning = Math.max(peakRunning, count);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    try {
      const handles = await Promise.all(
        Array.from({ length: RUNS }, (_, n) =>
          startPipelineRun(client, pipeline, { taskQueue, inputs: { n }, actions }),
        ),
      );
      return await Promise.all(handles.map((h) => h.result()));
    } finally {
      clearInterval(sampler);
      counting = false;
      await counter;
    }
  });
  const seconds = (Date.now() - started) / 1000;

  expect(outcomes.map((o) => o.outputs)).toEqual(Array.from({ length: RUNS }, (_, n) => expected(n)));
  // They were in flight together, not one after another: each holds an activity for a second.
  expect(peakRunning).toBeGreaterThan(RUNS / 2);

  report(`${RUNS} concurrent runs on one worker`, {
    'all completed in': `${seconds.toFixed(1)} s (${(RUNS / seconds).toFixed(1)} runs/s)`,
    'peak runs open at once (visibility)': peakRunning,
    'test process peak RSS (client + worker)': `${Math.round(peakRssMb)} MB`,
    'outputs correct': `${RUNS}/${RUNS}`,
  });
}, 600_000);
