/**
 * End-to-end time of a 10-node sequential pipeline of no-op activity nodes, next to a hand-written
 * Temporal workflow calling the same no-op activity 10 times, on the same local server.
 * `npm run bench` (timing goals live here, never in unit tests).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { startLocalServer } from '../src/dev/localServer';
import { defineAction } from '../src/model';
import { startPipelineRun } from '../src/client/runs/startRun';
import { bundleWorkflows, createPipelineWorker } from '../src/worker';
import { quantile, timeRepeatedly } from './support';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const WARMUP = 5;

const noop = defineAction({
  name: 'noop',
  params: z.object({ i: z.number() }),
  run: ({ i }) => Promise.resolve({ i }),
});

const pipeline = {
  name: 'ten-noops',
  steps: Array.from({ length: 10 }, (_, i) => ({
    id: `n${i}`,
    action: 'noop',
    params: { i },
    ...(i > 0 ? { depends_on: [`n${i - 1}`] } : {}),
  })),
};

async function time(label: string, once: () => Promise<unknown>) {
  const samples = await timeRepeatedly(RUNS, once, WARMUP);
  const s = { median: quantile(samples, 0.5), p90: quantile(samples, 0.9), min: Math.min(...samples) };
  console.log(
    `${label.padEnd(34)} median ${s.median.toFixed(1).padStart(7)} ms   p90 ${s.p90.toFixed(1).padStart(7)} ms   min ${s.min.toFixed(1).padStart(7)} ms   (n=${RUNS})`,
  );
  return s;
}

async function main() {
  const server = await startLocalServer({ uiPort: false });
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const suffix = randomBytes(3).toString('hex');

  const pipelineWorker = await createPipelineWorker({
    connection: native,
    taskQueue: `bench-pipeline-${suffix}`,
    workflowBundle: await bundleWorkflows(),
    activities: { actions: [noop] },
  });
  const rawWorker = await Worker.create({
    connection: native,
    taskQueue: `bench-raw-${suffix}`,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./rawWorkflow') }),
    activities: { noop: (input: { params: { i: number } }) => Promise.resolve({ i: input.params.i }) },
  });

  await pipelineWorker.runUntil(
    rawWorker.runUntil(async () => {
      console.log(
        `Temporal dev server ${server.address}; ${RUNS} runs each after ${WARMUP} warm-up runs, one at a time.`,
      );
      const raw = await time('hand-written workflow, 10 activities', async () => {
        const handle = await client.workflow.start('tenSequentialActivities', {
          taskQueue: `bench-raw-${suffix}`,
          workflowId: `raw-${randomBytes(6).toString('hex')}`,
        });
        await handle.result();
      });
      const engine = await time('runPipeline, 10 sequential nodes', async () => {
        const handle = await startPipelineRun(client, pipeline, {
          taskQueue: `bench-pipeline-${suffix}`,
          actions: { noop },
        });
        await handle.result();
      });
      const overhead = engine.median - raw.median;
      console.log(
        `engine overhead (median): ${overhead.toFixed(1)} ms per run, ${(overhead / 10).toFixed(2)} ms per node`,
      );
    }),
  );
  await connection.close();
  await native.close();
  await server.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
