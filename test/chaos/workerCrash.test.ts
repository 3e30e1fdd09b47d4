/**
 * Worker crashes: two worker processes (the real `src/worker.ts`) serve 100 runs of a 10-node
 * pipeline while one of them is SIGKILLed every few seconds and restarted at once. Every run must
 * complete with the right output; a node's side effect may repeat only when its attempt was in
 * flight on a worker that was killed.
 */
import { Client, Connection } from '@temporalio/client';
import { startLocalServer, type LocalServer } from '../../src/dev/localServer';
import { startPipelineRun } from '../../src/client/runs/startRun';
import { startHttpRecorder, type HttpRecorder, type RecordedRequest } from '../support/httpRecorder';
import { prepareChaosScratch, report, type ChaosScratch } from './support/chaosEnv';
import { startWorkerProcess, type WorkerProcess } from './support/workerProcess';

const RUNS = 100;
const TASK_QUEUE = 'chaos-crash';
/** Each worker process runs at most this many activities at once (WORKER_MAX_CONCURRENT_ACTIVITIES). */
const ACTIVITY_SLOTS_PER_WORKER = 20;
/** Between a restarted worker being up and the next kill (of the other one). */
const KILL_EVERY_MS = 4000;
/**
 * Kills stop after this many (or when every run is done) so the test's length stays bounded: on a
 * loaded 2-core machine a restart takes 5–10 s and each kill stalls the runs it caught for ~10 s.
 */
const MAX_KILLS = 10;

/**
 * The 10 `api_call` nodes and the nodes each one reads: one fans out to three, pairs join, and so
 * on, so up to three nodes of a run are in flight at once.
 */
const GRAPH: Record<string, string[]> = {
  s1: [],
  s2: ['s1'],
  s3: ['s1'],
  s4: ['s1'],
  s5: ['s2', 's3'],
  s6: ['s3', 's4'],
  s7: ['s5', 's6'],
  s8: ['s7'],
  s9: ['s7'],
  s10: ['s8', 's9'],
};
const NODES = Object.keys(GRAPH);
/**
 * Each step's start-to-close timeout: an attempt on a killed worker is given up after it (sooner
 * than the 15 s heartbeat timeout) and retried.
 */
const STEP_TIMEOUT_MS = 5000;

/** What the side-effect server answers node `node` given the values it was sent. */
const stepValue = (node: string, inputs: number[]) =>
  3 * inputs.reduce((a, b) => a + b, 0) + NODES.indexOf(node) + 1;

/** The run's expected final output, computed without the engine. */
function expectedResult(n: number): number {
  const values: Record<string, number> = {};
  for (const node of NODES) {
    const deps = GRAPH[node]!;
    values[node] = stepValue(node, deps.length === 0 ? [n] : deps.map((d) => values[d]!));
  }
  return values.s10!;
}

/** Each node POSTs its run number, its id and its inputs to `/step` and returns `body.value`. */
function chaosPipeline(stepUrl: string) {
  return {
    name: 'chaos_crash',
    steps: [
      { id: 'n', action: 'input', params: { type: 'integer' } },
      ...NODES.map((id) => ({
        id,
        action: 'api_call',
        timeout: STEP_TIMEOUT_MS / 1000,
        retry: { max_attempts: 20, initial_interval: '500ms', max_interval: '2s' },
        params: {
          url: stepUrl,
          method: 'POST',
          body: {
            run: '{{ inputs.n }}',
            node: id,
            in:
              GRAPH[id]!.length === 0
                ? ['{{ inputs.n }}']
                : GRAPH[id]!.map((d) => `{{ steps.${d}.output.body.value }}`),
          },
        },
      })),
      { id: 'result', action: 'output', params: { value: '{{ steps.s10.output.body.value }}' } },
    ],
  };
}

interface StepBody {
  run: number;
  node: string;
  in: number[];
}

let scratch: ChaosScratch;
let server: LocalServer;
let http: HttpRecorder;
let connection: Connection;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  [scratch, server, http] = await Promise.all([
    prepareChaosScratch(),
    startLocalServer({ uiPort: false }),
    startHttpRecorder(),
  ]);
  connection = await Connection.connect({ address: server.address });
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await connection?.close();
  await http?.close();
  await server?.stop();
  scratch?.remove();
}, 60_000);

const startWorker = () =>
  startWorkerProcess({
    address: server.address,
    taskQueue: TASK_QUEUE,
    bundlePath: scratch.bundlePath,
    env: { WORKER_MAX_CONCURRENT_ACTIVITIES: String(ACTIVITY_SLOTS_PER_WORKER) },
  });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Kill {
  /** Just before SIGKILL was sent. */
  sentAt: number;
  /** When the process was seen to have exited. */
  deadAt: number;
}

test('100 runs complete correctly while workers are SIGKILLed and restarted', async () => {
  // Answers take 200–700 ms so that every kill finds attempts in flight.
  http.route('/step', (req) => {
    const body = req.body as StepBody;
    const delayMs = 200 + ((body.run * 7 + NODES.indexOf(body.node) * 13) % 6) * 100;
    return { delayMs, json: { value: stepValue(body.node, body.in) } };
  });
  workers.push(await startWorker(), await startWorker());
  const client = new Client({ connection, namespace: server.namespace });
  const started = Date.now();

  const handles = await Promise.all(
    Array.from({ length: RUNS }, (_, n) =>
      startPipelineRun(client, chaosPipeline(http.url('/step')), { taskQueue: TASK_QUEUE, inputs: { n } }),
    ),
  );
  let open = RUNS;
  const results = Promise.all(
    handles.map((h) =>
      h.result().finally(() => {
        open -= 1;
      }),
    ),
  );

  const kills: Kill[] = [];
  const restartMs: number[] = [];
  while (open > 0 && kills.length < MAX_KILLS) {
    await sleep(KILL_EVERY_MS);
    if (open === 0) break;
    const slot = kills.length % 2;
    const sentAt = Date.now();
    await workers[slot]!.crash();
    kills.push({ sentAt, deadAt: Date.now() });
    workers[slot] = await startWorker();
    restartMs.push(Date.now() - kills.at(-1)!.deadAt);
  }
  const outcomes = await results;
  const wallMs = Date.now() - started;

  // Every run completed with the output computed without the engine.
  const wrong = outcomes
    .map((o, n) => ({ n, got: o.outputs.result, want: expectedResult(n) }))
    .filter((r) => r.got !== r.want);
  expect(wrong).toEqual([]);

  // Every node's side effect happened at least once; collect the repeated ones.
  const byStep = new Map<string, RecordedRequest[]>();
  for (const req of http.requestsTo('/step')) {
    const body = req.body as StepBody;
    const key = `${body.run}/${body.node}`;
    byStep.set(key, [...(byStep.get(key) ?? []), req]);
  }
  const missing = Array.from({ length: RUNS }, (_, n) => NODES.map((node) => `${n}/${node}`))
    .flat()
    .filter((key) => !byStep.has(key));
  expect(missing).toEqual([]);
  const repeated = [...byStep].filter(([, reqs]) => reqs.length > 1);
  const duplicates = repeated.reduce((sum, [, reqs]) => sum + reqs.length - 1, 0);

  // A side effect repeats only when the attempt that made it was in flight on a worker when that
  // worker was killed: the server then times the attempt out (start-to-close) and retries it. So
  // between any two requests of one step there must be a kill that caught the earlier one: that
  // request arrived before the process died and at most STEP_TIMEOUT_MS before the kill (an attempt
  // running longer would have timed out on its own), and the later one after the kill was sent.
  const caughtBy = (earlier: RecordedRequest, later: RecordedRequest, k: Kill) =>
    earlier.time <= k.deadAt && earlier.time >= k.sentAt - STEP_TIMEOUT_MS && later.time >= k.sentAt;
  const unexplained = repeated.filter(([, reqs]) =>
    reqs.slice(1).some((req, i) => !kills.some((k) => caughtBy(reqs[i]!, req, k))),
  );
  expect(unexplained.map(([key]) => key)).toEqual([]);
  // A killed worker held at most ACTIVITY_SLOTS_PER_WORKER attempts (its activity slots; a slot
  // stays taken until the server has the attempt's result), and only those can be repeated, each
  // once per kill that caught it: duplicates ≤ kills × slots.
  expect(duplicates).toBeLessThanOrEqual(kills.length * ACTIVITY_SLOTS_PER_WORKER);
  // The test proves something only if workers really died while runs were open.
  expect(kills.length).toBeGreaterThanOrEqual(3);

  const repeatedPerNode: Record<string, number> = {};
  for (const [key] of repeated) {
    const node = key.split('/')[1]!;
    repeatedPerNode[node] = (repeatedPerNode[node] ?? 0) + 1;
  }
  report('worker crash chaos', {
    runs: RUNS,
    'wall time': `${(wallMs / 1000).toFixed(1)} s`,
    kills: kills.length,
    'worker restart (spawn → polling), median': `${((restartMs.sort((a, b) => a - b)[restartMs.length >> 1] ?? 0) / 1000).toFixed(1)} s`,
    'side effects (requests)': http.requestsTo('/step').length,
    'steps (runs × nodes)': RUNS * NODES.length,
    'duplicate side effects': duplicates,
    'steps repeated': repeated.length,
    'repeated steps per node': repeatedPerNode,
    'bound (kills × slots)': kills.length * ACTIVITY_SLOTS_PER_WORKER,
    'outputs correct': `${RUNS - wrong.length}/${RUNS}`,
  });
}, 480_000);
