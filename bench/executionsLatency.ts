/**
 * Latency of `executions.list`, `count` and `get` with 1,000 executions in the namespace, on the
 * local server (SQLite visibility). Part of `npm run bench`; BENCH_EXECUTIONS changes the 1,000.
 */
import { printSummary, startBenchStack, timeRepeatedly } from './support';

const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 1000);
const SAMPLES = 30;

async function main() {
  const { worker, client, close } = await startBenchStack('bench-executions');
  const name = 'bench-executions';
  await worker.runUntil(async () => {
    await client.pipelines.save({
      name,
      definition: {
        name,
        params: { n: { type: 'integer', required: true } },
        steps: [{ id: 'double', action: 'transform', params: { expression: 'params.n * 2' } }],
      },
      deploy: true,
    });
    const t0 = performance.now();
    const started = await client.executions.createMany(
      Array.from({ length: EXECUTIONS }, (_, n) => ({
        pipelineId: name,
        params: { n },
        tags: [n % 2 ? 'odd' : 'even'],
      })),
      { concurrency: 16 },
    );
    await client.executions.waitAll(started);
    console.log(
      `${EXECUTIONS} executions created and finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    while ((await client.executions.count({ pipelineId: name, status: 'completed' })) < EXECUTIONS) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const ids = started.map((run) => run.taskId);
    printSummary(
      'executions.list({ limit: 50 })',
      await timeRepeatedly(SAMPLES, () => client.executions.list({ pipelineId: name, limit: 50 })),
    );
    printSummary(
      'list({ tags, limit: 50 })',
      await timeRepeatedly(SAMPLES, () => client.executions.list({ tags: ['odd'], limit: 50 })),
    );
    printSummary(
      "list({ sortOrder: 'asc', limit: 50 })",
      await timeRepeatedly(10, () =>
        client.executions.list({ pipelineId: name, sortOrder: 'asc', limit: 50 }),
      ),
    );
    const first = await client.executions.list({ pipelineId: name, limit: 50 });
    printSummary(
      'list({ limit: 50, pageToken }) (2nd page)',
      await timeRepeatedly(SAMPLES, () =>
        client.executions.list({ pipelineId: name, limit: 50, pageToken: first.nextPageToken }),
      ),
    );
    printSummary(
      'list({ offset: 900, limit: 50 })',
      await timeRepeatedly(10, () => client.executions.list({ pipelineId: name, offset: 900, limit: 50 })),
    );
    printSummary(
      'executions.count({ status })',
      await timeRepeatedly(SAMPLES, () => client.executions.count({ status: 'completed' })),
    );
    printSummary(
      'executions.get(id) (closed run)',
      await timeRepeatedly(SAMPLES, () =>
        client.executions.get(ids[Math.floor(Math.random() * ids.length)]!),
      ),
    );
  });
  await close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
