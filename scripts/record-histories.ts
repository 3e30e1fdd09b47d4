/**
 * Records the histories of representative runs as replay fixtures (`test/fixtures/histories/*.json`).
 *
 * `npm run record-histories` starts its own local Temporal server, a worker with the current
 * workflow code, a fake OpenAI server and an HTTP recorder, runs each scenario to its end and
 * writes the run's full history in Temporal's JSON history format (the one `temporal workflow
 * show --output json` writes and `Worker.runReplayHistories` reads).
 *
 * Re-record only for a deliberate, drained breaking change (docs/development.md, "Replay safety"): a change that
 * fails `test/integration/replay.test.ts` otherwise needs `patched()`. To add a new scenario
 * without touching the others, name the fixtures to write:
 * `npm run record-histories -- llm-retried-attempts` (every scenario still runs).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  Client,
  Connection,
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { historyToJson } from '../test/support/historyJson';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { connect } from '../src/client/connect';
import { startPipelineRun } from '../src/client/runs/startRun';
import { startLocalServer } from '../src/dev/localServer';
import { bundleWorkflows, createPipelineWorker } from '../src/worker';
import { sendEventUpdate, statusQuery } from '../src/protocol/messages/runMessages';
import { registryWorkflowId } from '../src/protocol/messages/registryMessages';
import { startOfflineModel } from '../src/dev/offlineModel';
import { startHttpRecorder } from '../test/support/httpRecorder';

const OUT_DIR = path.join(__dirname, '..', 'test', 'fixtures', 'histories');
/** Fixture names given on the command line: only these are written (all when none). */
const ONLY = process.argv.slice(2);
const TASK_QUEUE = 'record-histories';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function settle(handle: WorkflowHandle): Promise<void> {
  try {
    await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
  }
}

async function untilNodeRunning(handle: WorkflowHandle, node: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const snapshot = await handle.query(statusQuery).catch(() => undefined);
    if (snapshot?.nodes[node]?.status === 'running') return;
    await sleep(50);
  }
  throw new Error(`node ${node} never started`);
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [server, bundle] = await Promise.all([startLocalServer({ uiPort: false }), bundleWorkflows()]);
  const http = await startHttpRecorder();
  const llm = await startOfflineModel();
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await createPipelineWorker({
    connection: nativeConnection,
    namespace: server.namespace,
    taskQueue: TASK_QUEUE,
    workflowBundle: { code: bundle.code },
    shutdownGraceTimeMs: 1000,
    activities: {
      providers: { openai: { baseURL: llm.baseURL, apiKey: 'test-key' } },
      callbackSecret: 'record-histories-secret',
      // The recorded pipelines call the local recorder.
      egress: { allow: ['loopback'] },
    },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const pipelines = await connect({
    address: server.address,
    namespace: server.namespace,
    taskQueue: TASK_QUEUE,
  });
  mkdirSync(OUT_DIR, { recursive: true });

  const write = async (name: string, handle: WorkflowHandle) => {
    if (ONLY.length > 0 && !ONLY.includes(name)) return;
    const history = await handle.fetchHistory();
    // The workflow id too: a run's child ids derive from it, so replay must use the same one.
    const json = `${JSON.stringify({ workflowId: handle.workflowId, ...(historyToJson(history) as object) }, null, 1)}\n`;
    writeFileSync(path.join(OUT_DIR, `${name}.json`), json);
    process.stdout.write(
      `${name}: ${history.events?.length ?? 0} events, ${(json.length / 1024).toFixed(1)} KiB\n`,
    );
  };
  const start = (document: unknown, options: Parameters<typeof startPipelineRun>[2] = {}) =>
    startPipelineRun(client, document, { taskQueue: TASK_QUEUE, ...options });

  try {
    // A linear llm → output run.
    llm.script({ reply: 'Paris is the capital.' });
    const linear = await start(
      {
        name: 'replay-linear',
        steps: [
          { id: 'question', action: 'input', params: { type: 'string' } },
          { id: 'answer', action: 'llm', params: { model: 'gpt-test', prompt: 'Q: {{ inputs.question }}' } },
          { id: 'out', action: 'output', params: { value: '{{ steps.answer.output.response }}' } },
        ],
      },
      { inputs: { question: 'Capital of France?' } },
    );
    await settle(linear);
    await write('linear-llm', linear);

    // A condition node taking one branch; the other branch and its dependents are skipped.
    const branching = await start(
      {
        name: 'replay-branching',
        params: { env: { type: 'string', default: 'dev' } },
        steps: [
          { id: 'n', action: 'input', params: { type: 'integer' } },
          {
            id: 'big',
            action: 'condition',
            params: { condition: 'steps.n.output.value > 100', on_true: 'path_a', on_false: ['path_b'] },
          },
          { id: 'path_a', action: 'transform', params: { value: 'A' } },
          { id: 'path_b', action: 'transform', params: { value: 'B' } },
          { id: 'after_b', action: 'log', params: { message: 'after {{ steps.path_b.output }}' } },
          {
            id: 'prod_only',
            action: 'transform',
            params: { value: 'prod' },
            condition: "params.env == 'prod'",
          },
        ],
      },
      { inputs: { n: 500 } },
    );
    await settle(branching);
    await write('condition-branches', branching);

    // An api_call retried after two 5xx answers.
    http.script(
      '/flaky',
      { status: 500, text: 'boom' },
      { status: 503, text: 'busy' },
      { json: { value: 42 } },
    );
    const retried = await start({
      name: 'replay-retried',
      steps: [
        {
          id: 'fetch',
          action: 'api_call',
          params: { url: http.url('/flaky') },
          retry: { max_attempts: 4, initial_interval: '100ms', backoff_multiplier: 2 },
        },
        { id: 'out', action: 'output', params: { value: '{{ steps.fetch.output.body.value }}' } },
      ],
    });
    await settle(retried);
    await write('api-call-retried', retried);

    // A failing run: the node fails after its retries, a failure handler still runs.
    http.route('/deploy', { status: 502, text: 'bad gateway' });
    const failing = await start({
      name: 'replay-failing',
      steps: [
        {
          id: 'deploy',
          action: 'api_call',
          params: { url: http.url('/deploy'), method: 'POST' },
          retry: { max_attempts: 2, initial_interval: '100ms' },
        },
        {
          id: 'on_failure',
          action: 'log',
          params: { message: 'deploy failed: {{ steps.deploy.error }}' },
          condition: "steps.deploy.status == 'failed'",
        },
      ],
    });
    await settle(failing);
    await write('failing-run', failing);

    // A cancelled run: cancel() while a delay node waits.
    const cancelled = await start({
      name: 'replay-cancelled',
      steps: [
        { id: 'first', action: 'transform', params: { value: 'ok' } },
        { id: 'wait', action: 'delay', params: { duration: '10m' }, depends_on: ['first'] },
      ],
    });
    await untilNodeRunning(cancelled, 'wait');
    await cancelled.cancel();
    await settle(cancelled);
    await write('cancelled-run', cancelled);

    // An llm node with stream: true (token chunks go through the run's stream).
    llm.script({ reply: 'once upon a time', tokens: ['once ', 'upon ', 'a ', 'time'], chunkDelayMs: 50 });
    const streamed = await start(
      {
        name: 'replay-stream',
        steps: [
          { id: 'topic', action: 'input', params: { type: 'string' } },
          {
            id: 'story',
            action: 'llm',
            params: { model: 'gpt-test', prompt: 'Tell a story about {{ inputs.topic }}', stream: true },
          },
          { id: 'out', action: 'output', params: { value: '{{ steps.story.output.response }}' } },
        ],
      },
      { inputs: { topic: 'dragons' } },
    );
    await settle(streamed);
    await write('llm-stream', streamed);

    // A streamed llm node retried twice: a 429 with retry-after, then a stream broken mid-way;
    // its activity signals each failed attempt and each retry's start (attemptEvent).
    llm.script(
      { status: 429, retryAfter: 1 },
      { breakAfterChunks: 2, reply: 'lost words here' },
      { reply: 'the whole answer', tokens: ['the ', 'whole ', 'answer'] },
    );
    const attempts = await start({
      name: 'replay-attempts',
      steps: [
        {
          id: 'gen',
          action: 'llm',
          params: { model: 'gpt-test', prompt: 'answer', stream: true },
          retry: { max_attempts: 3, initial_interval: '100ms' },
        },
      ],
    });
    await settle(attempts);
    await write('llm-retried-attempts', attempts);

    // A long run, made short: it continues as new twice at 20 events (the patch marker and the
    // continue-as-new command are in the first history; the carried state in the last one's input).
    http.route('/count', { json: { value: 1 } });
    const countSteps = Array.from({ length: 6 }, (_, i) => ({
      id: `c${i}`,
      action: 'api_call',
      params: { url: http.url('/count'), method: 'POST', body: { i } },
      ...(i > 0 && { depends_on: [`c${i - 1}`] }),
    }));
    const long = await start(
      {
        name: 'replay-continued',
        steps: [
          ...countSteps,
          {
            id: 'sum',
            action: 'transform',
            params: { expression: 'steps.c0.output.body.value + steps.c5.output.body.value' },
          },
          { id: 'out', action: 'output', params: { name: 'sum', value: '{{ steps.sum.output }}' } },
        ],
      },
      { continueAsNewAfterEvents: 20 },
    );
    await settle(long);
    const firstRunId = (long as WorkflowHandleWithFirstExecutionRunId).firstExecutionRunId;
    await write('continued-as-new-first', client.workflow.getHandle(long.workflowId, firstRunId));
    await write('continued-as-new-last', client.workflow.getHandle(long.workflowId));

    // A completed run with an end-of-run callback (delivered on the second attempt).
    http.script('/done', { status: 500, text: 'later' }, { json: { ok: true } });
    const withCallback = await start(
      {
        name: 'replay-callback',
        steps: [
          { id: 'hello', action: 'transform', params: { value: 'hello' } },
          { id: 'out', action: 'output', params: { name: 'greeting', value: '{{ steps.hello.output }}' } },
        ],
      },
      { callbacks: { onComplete: http.url('/done'), onFailure: http.url('/failed') } },
    );
    await settle(withCallback);
    await write('run-with-callback', withCallback);

    // wait_for_event steps: one answered by an event (a refused event first, which leaves nothing in
    // history, then an accepted sendEvent update), then one that times out and takes its default.
    const waiting = await start({
      name: 'replay-wait-for-event',
      steps: [
        { id: 'draft', action: 'transform', params: { value: 'v2' } },
        {
          id: 'approve',
          action: 'wait_for_event',
          params: {
            event: 'approval',
            prompt: 'Ship {{ steps.draft.output }}?',
            schema: { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] },
            timeout: '1h',
          },
        },
        {
          id: 'ack',
          action: 'wait_for_event',
          params: { timeout: '1s', on_timeout: 'default', default: 'no answer' },
          depends_on: ['approve'],
        },
        {
          id: 'decide',
          action: 'condition',
          params: { condition: 'steps.approve.output.payload.approved', on_true: 'ship' },
        },
        { id: 'ship', action: 'transform', params: { value: 'shipped {{ steps.ack.output.payload }}' } },
      ],
    });
    await untilNodeRunning(waiting, 'approve');
    await waiting
      .executeUpdate(sendEventUpdate, { args: [{ node: 'approve', payload: { approved: 'yes' } }] })
      .catch(() => undefined);
    await waiting.executeUpdate(sendEventUpdate, {
      args: [{ node: 'approve', payload: { approved: true }, by: 'recorder' }],
    });
    await settle(waiting);
    await write('wait-for-event', waiting);

    // A map step: four llm items, two at a time, the second retried after a 500; the run's
    // history and the map workflow's (runMap) are both recorded.
    llm.script({ reply: 'one' }, { status: 500 }, { reply: 'two' }, { reply: 'three' }, { reply: 'four' });
    const mapped = await start({
      name: 'replay-map',
      steps: [
        { id: 'docs', action: 'transform', params: { value: ['a', 'b', 'c', 'd'] } },
        {
          id: 'summaries',
          action: 'map',
          params: {
            items: '{{ steps.docs.output }}',
            concurrency: 2,
            step: {
              action: 'llm',
              params: { model: 'm', prompt: 'Summarise {{ item }} ({{ index }})' },
              retry: { max_attempts: 3, initial_interval: '100ms' },
            },
          },
        },
        {
          id: 'texts',
          action: 'transform',
          params: { expression: 'steps.summaries.output.results.map(r, r.response)' },
        },
      ],
    });
    await settle(mapped);
    await write('map-run', mapped);
    const mapItems = client.workflow.getHandle(`${mapped.workflowId}/summaries`);
    await settle(mapItems);
    await write('map-items', mapItems);

    // A run whose plan carries the engine defaults (recorded after they moved into the plan): an
    // api_call step, then a map of two api_call items (the map's input carries its thresholds and
    // the heartbeat timeout).
    http.route('/echo', { json: { ok: true } });
    const withDefaults = await start({
      name: 'replay-engine-defaults',
      steps: [
        {
          id: 'ping',
          action: 'api_call',
          params: { url: http.url('/echo'), method: 'POST', body: { n: 0 } },
        },
        {
          id: 'each',
          action: 'map',
          params: {
            items: [1, 2],
            concurrency: 2,
            step: {
              action: 'api_call',
              params: { url: http.url('/echo'), method: 'POST', body: { n: '{{ item }}' } },
            },
          },
          depends_on: ['ping'],
        },
        { id: 'out', action: 'output', params: { value: '{{ steps.each.output.results.size() }}' } },
      ],
    });
    await settle(withDefaults);
    await write('engine-defaults-in-plan', withDefaults);

    // The registry entity: two saves, a deploy, a metadata update, then delete.
    const name = 'replay-registry';
    const greeter = (greeting: string) => ({
      name: 'greeter',
      steps: [{ id: 'say', action: 'transform', params: { value: greeting } }],
    });
    await pipelines.pipelines.save({ name, definition: greeter('hello'), deploy: true });
    await pipelines.pipelines.save({ name, definition: greeter('bonjour'), deploy: false });
    await pipelines.pipelines.deploy(name, 2);
    await pipelines.pipelines.update({ pipelineId: `pipeline:${name}`, description: 'says hello' });
    await pipelines.pipelines.delete(name);
    const registry = client.workflow.getHandle(registryWorkflowId(name));
    await settle(registry);
    await write('registry-entity', registry);
  } finally {
    worker.shutdown();
    await running;
    await pipelines.close();
    await connection.close();
    await nativeConnection.close();
    await llm.close();
    await http.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
