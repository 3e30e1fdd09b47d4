/**
 * Latency of `client.start` (returns a handle) and `runStatus()` on the local server.
 * Part of `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { connect } from '../src/client/connect';
import { startLocalServer } from '../src/dev/localServer';
import { bundleWorkflows, createPipelineWorker } from '../src/worker';

const N = Number(process.env.BENCH_RUNS ?? 50);

function summary(label: string, ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  console.log(
    `${label.padEnd(24)} median ${at(0.5).toFixed(1).padStart(6)} ms   p90 ${at(0.9).toFixed(1).padStart(6)} ms   (n=${N})`,
  );
}

async function main() {
  const server = await startLocalServer({ uiPort: false });
  const taskQueue = `bench-client-${randomBytes(3).toString('hex')}`;
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await createPipelineWorker({
    connection: native,
    taskQueue,
    workflowBundle: await bundleWorkflows(),
  });
  const client = await connect({ address: server.address, taskQueue });
  const doc = { name: 'latency', steps: [{ id: 'wait', action: 'delay', params: { duration: '30s' } }] };
  await worker.runUntil(async () => {
    const starts: number[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < N; i++) {
      let t = performance.now();
      const run = await client.start(doc);
      starts.push(performance.now() - t);
      t = performance.now();
      await run.runStatus();
      statuses.push(performance.now() - t);
      await run.terminate();
    }
    summary('client.start', starts);
    summary('run.runStatus()', statuses);
  });
  await client.close();
  await native.close();
  await server.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
