/**
 * The engine next to hand-written Temporal workflows (bench/rawWorkflow.ts) on the same local
 * server, worker settings and no-op activity, in one process run (issue 6 benchmarks):
 * - a 20-node sequential chain of no-op activity nodes (goal ≤ 1.10× the baseline);
 * - a 500-wide fan-out / fan-in (goal ≤ 1.2×);
 * - 1,000 pure transform nodes added to a one-activity run (goal < 50 ms added);
 * - throughput of 200 concurrent 5-node runs (goal ≥ 0.9× the baseline's runs/s; the median of
 *   alternating rounds after a warm-up round each), and the bench process's peak RSS meanwhile
 *   (both workers and the client live in it).
 * Writes bench/results/baseline.json and baseline.md. `npm run bench`; BENCH_RUNS changes the
 * sample count of the latency figures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { z } from 'zod';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { startLocalServer } from '../src/dev/localServer';
import { defineAction } from '../src/model';
import { prepareRun, startPreparedRun } from '../src/client/runs/startRun';
import { bundleWorkflows, createPipelineWorker } from '../src/worker';
import { quantile, timeRepeatedly } from './support';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 3;
/** Rounds of 200 concurrent runs for each side of the throughput figure. */
const THROUGHPUT_ROUNDS = 3;
/** With its one activity step, the most a document holds (1,000 steps). */
const PURE_NODES = 1000;

const noop = defineAction({
  name: 'noop',
  params: z.object({ i: z.number() }),
  run: ({ i }) => Promise.resolve({ i }),
});
const actions = { noop };

const chain = (n: number) => ({
  name: `chain-${n}`,
  steps: Array.from({ length: n }, (_, i) => ({
    id: `n${i}`,
    action: 'noop',
    params: { i },
    ...(i > 0 ? { depends_on: [`n${i - 1}`] } : {}),
  })),
});

const fanOut = (n: number) => ({
  name: `fan-${n}`,
  steps: [
    ...Array.from({ length: n }, (_, i) => ({ id: `n${i}`, action: 'noop', params: { i } })),
    {
      id: 'join',
      action: 'noop',
      params: { i: n },
      depends_on: Array.from({ length: n }, (_, i) => `n${i}`),
    },
  ],
});

/** One activity, then `n` chained pure transforms. */
const pureTail = (n: number) => ({
  name: `pure-${n}`,
  steps: [
    { id: 'start', action: 'noop', params: { i: 0 } },
    ...Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      action: 'transform',
      params: { expression: i === 0 ? 'steps.start.output.i + 1' : `steps.t${i - 1}.output + 1` },
      depends_on: [i === 0 ? 'start' : `t${i - 1}`],
    })),
  ],
});

async function sample(once: () => Promise<unknown>): Promise<number> {
  return quantile(await timeRepeatedly(RUNS, once, WARMUP), 0.5);
}

interface Row {
  figure: string;
  baseline: string;
  engine: string;
  ratio: string;
  goal: string;
  met: boolean;
}

async function main() {
  const server = await startLocalServer({ uiPort: false });
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const suffix = randomBytes(3).toString('hex');
  const engineQueue = `bench-engine-${suffix}`;
  const rawQueue = `bench-raw-${suffix}`;
  const workerLimits = { maxConcurrentActivityTaskExecutions: 200, maxConcurrentWorkflowTaskExecutions: 40 };

  const engineWorker = await createPipelineWorker({
    connection: native,
    taskQueue: engineQueue,
    workflowBundle: await bundleWorkflows(),
    activities: { actions: [noop] },
    ...workerLimits,
  });
  const rawWorker = await Worker.create({
    connection: native,
    taskQueue: rawQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('./rawWorkflow'),
      logger: new DefaultLogger('WARN'),
    }),
    activities: { noop: (input: { params: { i: number } }) => Promise.resolve({ i: input.params.i }) },
    ...workerLimits,
  });

  const prepared = new Map<string, ReturnType<typeof prepareRun>>();
  const runEngine = async (doc: { name: string }, maxParallelism?: number) => {
    const key = `${doc.name}/${maxParallelism ?? ''}`;
    if (!prepared.has(key)) prepared.set(key, prepareRun(doc, { actions, maxParallelism }));
    const input = { ...prepared.get(key)!, traceId: randomBytes(16).toString('hex') };
    const handle = await startPreparedRun(client, input, { taskQueue: engineQueue });
    await handle.result();
  };
  const runRaw = async (workflow: string, n: number) => {
    const handle = await client.workflow.start(workflow, {
      taskQueue: rawQueue,
      workflowId: `raw-${randomBytes(6).toString('hex')}`,
      args: [n],
    });
    await handle.result();
  };

  const rows: Row[] = [];
  let peakRssMb = 0;
  await engineWorker.runUntil(
    rawWorker.runUntil(async () => {
      console.log(`Temporal dev server ${server.address}; medians of ${RUNS} runs after ${WARMUP} warm-ups.`);

      const rawChain = await sample(() => runRaw('sequentialActivities', 20));
      const engineChain = await sample(() => runEngine(chain(20)));
      rows.push(row('20-node sequential chain', rawChain, engineChain, 1.1, 'ms'));

      const rawFan = await sample(() => runRaw('fanOutActivities', 500));
      const engineFan = await sample(() => runEngine(fanOut(500), 500));
      rows.push(row('500-wide fan-out / fan-in', rawFan, engineFan, 1.2, 'ms'));

      const oneActivity = await sample(() => runEngine(pureTail(0)));
      const withPure = await sample(() => runEngine(pureTail(PURE_NODES)));
      const added = withPure - oneActivity;
      rows.push({
        figure: `${PURE_NODES} pure transform nodes added to a run`,
        baseline: `${oneActivity.toFixed(0)} ms (1 activity)`,
        engine: `${withPure.toFixed(0)} ms`,
        ratio: `+${added.toFixed(0)} ms`,
        goal: '< 50 ms added',
        met: added < 50,
      });

      const sampler = setInterval(() => {
        peakRssMb = Math.max(peakRssMb, process.memoryUsage.rss() / 2 ** 20);
      }, 50);
      const throughput = async (one: () => Promise<void>) => {
        const t0 = performance.now();
        await Promise.all(Array.from({ length: 200 }, one));
        return 200 / ((performance.now() - t0) / 1000);
      };
      // One warm-up round each, then rounds alternating between the two (the server's database
      // grows as the bench runs, so back-to-back blocks would favour whichever runs first);
      // the median round's rate of each.
      const rawRound = () => throughput(() => runRaw('sequentialActivities', 5));
      const engineRound = () => throughput(() => runEngine(chain(5)));
      await rawRound();
      await engineRound();
      const rawRates: number[] = [];
      const engineRates: number[] = [];
      peakRssMb = 0;
      for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
        rawRates.push(await rawRound());
        engineRates.push(await engineRound());
      }
      clearInterval(sampler);
      const rawRate = quantile(rawRates, 0.5);
      const engineRate = quantile(engineRates, 0.5);
      rows.push({
        figure: `throughput, 200 concurrent 5-node runs (median of ${THROUGHPUT_ROUNDS} alternating rounds)`,
        baseline: `${rawRate.toFixed(1)} runs/s`,
        engine: `${engineRate.toFixed(1)} runs/s`,
        ratio: `${(engineRate / rawRate).toFixed(2)}×`,
        goal: '≥ 0.9×',
        met: engineRate / rawRate >= 0.9,
      });
      rows.push({
        figure: 'bench process peak RSS (both workers and the client) during the throughput rounds',
        baseline: '',
        engine: `${peakRssMb.toFixed(0)} MB`,
        ratio: '',
        goal: '(measured)',
        met: true,
      });
    }),
  );
  await connection.close();
  await native.close();
  await server.stop();

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, Temporal CLI dev server (SQLite)`;
  const table = [
    `Measured ${new Date().toISOString()} on ${machine}; medians of ${RUNS} runs.`,
    '',
    '| figure | hand-written Temporal | engine | ratio | goal | met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.figure} | ${r.baseline} | ${r.engine} | ${r.ratio} | ${r.goal} | ${r.met ? 'yes' : 'no'} |`,
    ),
  ].join('\n');
  console.log(`\n${table}`);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'baseline.json'),
    `${JSON.stringify({ machine, runs: RUNS, rows }, null, 2)}\n`,
  );
  writeFileSync(path.join(dir, 'baseline.md'), `${table}\n`);
}

function row(figure: string, baseline: number, engine: number, goal: number, unit: string): Row {
  const ratio = engine / baseline;
  return {
    figure,
    baseline: `${baseline.toFixed(1)} ${unit}`,
    engine: `${engine.toFixed(1)} ${unit}`,
    ratio: `${ratio.toFixed(2)}×`,
    goal: `≤ ${goal.toFixed(2)}×`,
    met: ratio <= goal,
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
