/**
 * What a concurrency limit adds to a run: the time from `start` to the run's result for a
 * one-step pipeline, without a limit, with a limit that is never reached (`queue`), and with
 * `onLimit: 'reject'` (the client reserves the slot before starting). Runs one at a time, so no
 * run ever waits for a slot: the difference is the limiter's own cost. Part of `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import type { StartRunOptions } from '../src/client/runs/startRun';
import { printSummary, startBenchStack } from './support';

const N = Number(process.env.BENCH_RUNS ?? 40);

async function main() {
  const { worker, client, close } = await startBenchStack('bench-concurrency');
  const doc = { name: 'limited', steps: [{ id: 'say', action: 'transform', params: { value: 1 } }] };
  const key = `bench-${randomBytes(3).toString('hex')}`;
  const variants: Array<[string, StartRunOptions]> = [
    ['no limit', {}],
    ["limit 1000, 'queue'", { concurrencyKey: key, maxConcurrentRuns: 1000 }],
    ["limit 1000, 'reject'", { concurrencyKey: `${key}-r`, maxConcurrentRuns: 1000, onLimit: 'reject' }],
  ];
  await worker.runUntil(async () => {
    for (const [, options] of variants) await (await client.start(doc, options)).result(); // warm-up
    const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
    for (let i = 0; i < N; i++) {
      for (const [name, options] of variants) {
        const t = performance.now();
        await (await client.start(doc, options)).result();
        times.get(name)!.push(performance.now() - t);
      }
    }
    for (const [name] of variants) printSummary(`start → result, ${name}`, times.get(name)!, 40);
  });
  await close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
