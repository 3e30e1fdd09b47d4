/**
 * The runnable guides in examples/ run end to end: each as its own process, against the shared
 * test server (TEMPORAL_ADDRESS), with the offline model and a task queue of its own. They must
 * exit 0, print what their header comment promises, and leave nothing behind on the server: no
 * saved pipeline, no workflow (run or `pipeline:<name>` registry entity) still running on their
 * task queue — also when interrupted with Ctrl-C.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { connect, type PipelinesClient } from '../../src';
import { sharedTestEnv } from '../support/pipelineHarness';
import type { SharedTestEnv } from '../support/sharedEnv';

interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ROOT = path.join(__dirname, '..', '..');

let shared: SharedTestEnv;
let client: PipelinesClient;
beforeAll(async () => {
  shared = sharedTestEnv();
  client = await connect({ address: shared.address, namespace: shared.namespace });
});
afterAll(async () => {
  await client?.close();
});

/** The environment of an example on the shared server. */
function exampleEnv(more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: shared.address,
    TEMPORAL_NAMESPACE: shared.namespace,
    WORKFLOW_BUNDLE_PATH: shared.bundlePath,
  };
  // Offline model, a task queue of the example's own and no Web UI, whatever the developer's shell has set.
  for (const key of [
    'OPENAI_API_KEY',
    'OPENAI_BASE_URL',
    'OPENAI_MODEL',
    'TEMPORAL_TASK_QUEUE',
    'TEMPORAL_UI_URL',
  ])
    delete env[key];
  return { ...env, ...more };
}

/** Runs `examples/<file>` with Node and tsx; resolves with its exit code and output, never rejects. */
function runExample(file: string, more: NodeJS.ProcessEnv = {}): Promise<ExampleRun> {
  const env = exampleEnv(more);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join('examples', file)],
      { cwd: ROOT, env, timeout: 50_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Exit code 0 (with the output in the failure message when it is not) and nothing left behind. */
async function expectSuccess(run: ExampleRun): Promise<string> {
  if (run.code !== 0) {
    throw new Error(`exit code ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  }
  await expectNothingLeftBehind(run.stdout);
  return run.stdout;
}

/**
 * No workflow still running on the example's task queue (runs, `pipeline:<name>` registry
 * entities) and no saved pipeline under the example's names (they end in its queue's suffix).
 */
async function expectNothingLeftBehind(out: string): Promise<void> {
  const taskQueue = /Worker: in this process, task queue (examples-([0-9a-f]{8}))/.exec(out);
  expect(taskQueue).not.toBeNull();
  const [, queue, suffix] = taskQueue!;
  const running = async () => {
    const ids: string[] = [];
    const query = `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'`;
    for await (const e of client.temporal.workflow.list({ query })) ids.push(e.workflowId);
    return ids;
  };
  // Visibility is eventually consistent: what ended may show as running for a moment.
  let left = await running();
  for (let i = 0; i < 30 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = await running();
  }
  expect(left).toEqual([]);
  const saved = await client.pipelines.list({ nameContains: `_${suffix!}` });
  expect(saved.map((p) => p.name)).toEqual([]);
}

test('background-run: start, one status check, result with poll interval and timeout', async () => {
  const ui = 'http://temporal-ui.example:8080';
  const out = await expectSuccess(await runExample('background-run.ts', { TEMPORAL_UI_URL: `${ui}/` }));
  expect(out).toContain(
    `Temporal: ${shared.address} (TEMPORAL_ADDRESS), namespace ${shared.namespace}, Web UI ${ui}\n`,
  );
  // The run's page, from TEMPORAL_UI_URL; then what it saved is deleted as it ends.
  const taskId = /^ {2}task_id {2}= (\S+)$/m.exec(out)?.[1];
  expect(out).toContain(`Watch it: ${ui}/namespaces/${shared.namespace}/workflows/${taskId}\n`);
  expect(out).toMatch(/^Deleted pipeline bg_summariser_[0-9a-f]{8} \(saved by this example\)$/m);
  expect(out).toMatch(/Worker: in this process, task queue examples-[0-9a-f]{8}/);
  // A private task queue on a shared server gives the pipeline a name of its own.
  expect(out).toMatch(/^created pipeline id=pipeline:bg_summariser_[0-9a-f]{8}$/m);
  expect(out).toMatch(/^saved version 1, deployed$/m);
  expect(out).toMatch(/^ {2}task_id {2}= bg-summariser-[0-9a-f]{8}-[0-9a-f]{12}$/m);
  expect(out).toMatch(/^ {2}trace_id = [0-9a-f]{32}$/m);
  expect(out).toMatch(/^status = (pending|running)$/m);
  expect(out).toMatch(/^final status = completed$/m);
  expect(out).toContain('outputs      = {"output_0":"echo: Tell me a fun fact about space in 50 words."}');
});

test('retry-wrapper: a success, a failed run that is not retried, a timed-out wait that terminates', async () => {
  const out = await expectSuccess(await runExample('retry-wrapper.ts'));
  expect(out).toMatch(/^Deleted pipeline retry_summariser_[0-9a-f]{8} /m);
  expect(out).toMatch(/^Deleted pipeline retry_flaky_upstream_[0-9a-f]{8} /m);
  expect(out).not.toContain('Watch it:'); // no Web UI known for this server
  const [success, failure, timeout] = out.split(/^\d\. /m).slice(1);
  expect(success).toContain('outputs = {"output_0":"echo: Name three moons of Jupiter."}');
  expect(success).toMatch(/runs started: 1$/m);

  expect(failure).toMatch(/failed at node fetch after 1 attempt\(s\): .*500/);
  expect(failure).toContain('runs started: 1, upstream called 1 time(s)');
  expect(failure).not.toMatch(/attempt 2\/3/);

  expect(timeout).toMatch(/timed out waiting on retry-summariser-\S+; terminated/);
  expect(timeout).toMatch(/status = terminated$/m);
});

test('approval-flow: the run waits for an approval, shows what for, refuses a bad payload, publishes once approved', async () => {
  const out = await expectSuccess(await runExample('approval-flow.ts'));
  expect(out).toMatch(/^started approval-flow-[0-9a-f]{12}$/m);
  expect(out).toMatch(/^status = running; step approve waits for 'approval' until \d{4}-\d\d-\d\dT/m);
  expect(out).toContain(
    'approve asks: Publish this announcement? echo: Write a two-sentence announcement of: dark mode',
  );
  expect(out).toMatch(/^refused: .*payload\.approved must be a boolean, got a string\.$/m);
  expect(out).toMatch(/^sent approval \(accepted at \S+\)$/m);
  expect(out).toMatch(/^final status = completed$/m);
  expect(out).toMatch(
    /^decision {2}= \{"payload":\{"approved":true,"comment":"Ship it"\},"timedOut":false,.*"by":"editor@example\.com"\}$/m,
  );
  expect(out).toContain('published = PUBLISHED: echo: Write a two-sentence announcement of: dark mode');
});

test('map-reduce-summariser: a map summarises 12 documents 4 at a time, shows progress, then a digest', async () => {
  const out = await expectSuccess(await runExample('map-reduce-summariser.ts'));
  expect(out).toMatch(/^started map-reduce-summariser-[0-9a-f]{12}$/m);
  // Progress is read while the map runs: never more than 4 running, counts that only grow.
  const progress = [...out.matchAll(/^progress: (\d+) of 12 documents summarised, (\d+) running$/gm)].map(
    (m) => [Number(m[1]), Number(m[2])] as const,
  );
  expect(progress.length).toBeGreaterThan(0);
  expect(progress.some(([settled]) => settled < 12)).toBe(true);
  for (const [, running] of progress) expect(running).toBeLessThanOrEqual(4);
  const settled = progress.map(([n]) => n);
  expect(settled).toEqual([...settled].sort((a, b) => a - b));
  expect(out).toMatch(/^final status = completed \(12 summaries, 0 failed\)$/m);
  // In the documents' order.
  for (let i = 0; i < 12; i++) {
    expect(out).toMatch(new RegExp(`^summary ${i} = echo: Summarise document #${i} \\(`, 'm'));
  }
  expect(out).toContain(
    'summary 0 = echo: Summarise document #0 (Release notes 1.0) in one sentence: Release notes 1.0.',
  );
  expect(out).toMatch(
    /^digest = echo: Combine these 12 summaries into a short digest: \["echo: Summarise document #0/m,
  );
});

test('terminate-run: terminate through the handle and through the pipeline by task id', async () => {
  const out = await expectSuccess(await runExample('terminate-run.ts'));
  expect(out).toMatch(/^created pipeline id=pipeline:terminate_example_[0-9a-f]{8}$/m);
  expect(out).toMatch(/^status before = running$/m);
  expect(out).toMatch(/^Terminated via handle$/m);
  expect(out).toMatch(/^result\(\) → PipelineRunFailedError: /m);
  expect(out).toMatch(/^Terminated via pipeline\.terminate\(\{ runId: 'terminate-example-[^']+' \}\)$/m);
  expect(out.match(/^status = terminated$/gm)).toHaveLength(2);
  expect(out.match(/^Started: terminate-example-/gm)).toHaveLength(2);
});

test('deploy-model: own actions, params, retry, a condition gate, a failure notification, retry from the failed step', async () => {
  const out = await expectSuccess(await runExample('deploy-model.ts'));
  expect(out).toMatch(/^created pipeline deploy-model_[0-9a-f]{8} \(version 1\)$/m);
  expect(out).toMatch(/^execution deploy-model-\S+ completed in \d+\.\d s$/m);
  expect(out).toMatch(/^ {2}health_check +completed +attempts=2$/m);
  expect(out).toMatch(/^ {2}notify_failure +skipped/m);
  expect(out).toContain(
    'outputs = {"deployment":{"deployment_id":"dep-llama-deployment","endpoint_url":"https://cluster-prod.example/llama-deployment"}}',
  );
  expect(out).toContain('slack ← Deployment llama-deployment failed: cluster cluster_full has no free GPUs');
  expect(out).toMatch(
    /^execution deploy-model-\S+ completed; deploy failed: cluster cluster_full has no free GPUs$/m,
  );
  expect(out).toMatch(/^retry deploy-model-\S+-retry-[0-9a-f]+ completed \(reused: add_model\)$/m);
  expect(out).toMatch(/^3 executions tagged customer-123$/m);
  expect(out).toContain('platform: 6 health checks, 2 models added, 3 deployments tried');
});

test('stream-tokens: node events and tokens as they arrive, then the same run as reference SSE frames', async () => {
  const out = await expectSuccess(await runExample('stream-tokens.ts'));
  const reply =
    'echo: Tell me a story about a brave adventurer who crosses the sea of glass, climbs the lighthouse ' +
    'and finds the keeper asleep over a map of the stars.';
  expect(out).toMatch(/^\[node\] llm running$/m);
  expect(out).toContain(`[node] llm running\n${reply}\n[node] llm completed (attempt 1)`);
  expect(out).toMatch(/^\[result\] status=completed, run_id=[0-9a-f-]{36}$/m);
  expect(out).toContain(`    output_0: ${reply}`);
  expect(out).toMatch(/^streamed \d+ token batches; first text \d+ ms after start$/m);
  expect(out).toContain(`run(stream=True): ${reply}\n`);
});

test('sse-server: POST /runs streams SSE; a reconnect with Last-Event-ID loses and repeats nothing', async () => {
  const out = await expectSuccess(await runExample('sse-server.ts'));
  expect(out).toMatch(/^POST \/runs → 200 text\/event-stream; task x-task-id=sse-demo-[0-9a-f]{12}$/m);
  expect(out).toMatch(/^read 6 events \(ids 1–6\), disconnected$/m);
  expect(out).toMatch(/^GET \/runs\/sse-demo-[0-9a-f]{12}\/events, Last-Event-ID: 6 → 200$/m);
  expect(out).toMatch(/^read \d+ more events \(ids 7–\d+\), the last: result completed$/m);
  expect(out).toMatch(/^ids 1–\d+ in order: nothing lost, nothing twice$/m);
  expect(out).toContain('text: echo: Write a haiku about a lighthouse keeper who counts the waves at night.');
  expect(out).toContain('GET after the result → 204 (EventSource stops reconnecting)');
});

test('the demo (npm run example): branches, streams the llm tokens to the terminal, prints every step', async () => {
  const out = await expectSuccess(await runExample('run-example.ts'));
  // The offline model echoes the prompt, token by token, on the line of the step that asked.
  expect(out).toMatch(/^ {2}classify says: echo: .*URGENT: checkout is down/m);
  expect(out).toMatch(/^ {2}completed +page_oncall$/m);
  expect(out).toMatch(/^ {2}skipped +file_ticket$/m);
  expect(out).toMatch(/ticketing API ← POST \/page/);
  expect(out).toMatch(/"triage": "echo: /);
});

test('the demo on its own local server: a Web UI link that serves, then it keeps serving until Ctrl-C', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, WORKFLOW_BUNDLE_PATH: shared.bundlePath };
  for (const key of [
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'OPENAI_API_KEY',
    'OPENAI_BASE_URL',
    'TEMPORAL_TASK_QUEUE',
  ])
    delete env[key];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('examples', 'run-example.ts')], {
    cwd: ROOT,
    env,
  });
  let out = '';
  child.stdout.on('data', (data: Buffer) => (out += data.toString()));
  child.stderr.on('data', (data: Buffer) => (out += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!out.includes('Ctrl-C to stop') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(out).toContain('Ctrl-C to stop');
    const runUrl = out.match(/^Watch it: (http:\/\/\S+)$/m)?.[1];
    expect(runUrl).toMatch(/\/namespaces\/default\/workflows\/support-triage-/);
    // The Web UI is up while the demo waits.
    expect((await fetch(runUrl!)).status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 90_000);

test('Ctrl-C in an example on a shared server: it deletes the pipeline it saved, ends its runs and exits 130', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('examples', 'terminate-run.ts')], {
    cwd: ROOT,
    env: exampleEnv(),
  });
  let out = '';
  child.stdout.on('data', (data: Buffer) => (out += data.toString()));
  child.stderr.on('data', (data: Buffer) => (out += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 40_000;
    while (!out.includes('Started: ') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(out).toContain('Started: ');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  expect(out).toContain('Interrupted: cleaning up');
  expect(out).toMatch(/^Deleted pipeline terminate_example_[0-9a-f]{8} \(saved by this example\)$/m);
  await expectNothingLeftBehind(out);
}, 60_000);
