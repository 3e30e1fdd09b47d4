/**
 * `npm run worker` with no model configured (issue 18 item 3): a worker process started from the
 * environment with neither OPENAI_API_KEY nor OPENAI_BASE_URL says on screen that it uses the
 * offline model and how to use a real one, runs llm steps against it, and stops on SIGINT. With
 * OPENAI_BASE_URL set it starts no model of its own and calls the one it was given.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startPipelineRun } from '../../src/client/runs/startRun';
import { startOfflineModel } from '../../src/dev/offlineModel';
import { waitUntil } from '../support/eventually';
import { sharedTestEnv } from '../support/pipelineHarness';

const ROOT = path.join(__dirname, '..', '..');

let connection: Connection;
beforeAll(async () => {
  connection = await Connection.connect({ address: sharedTestEnv().address });
});
afterAll(async () => {
  await connection?.close();
});

interface WorkerProcess {
  child: ChildProcessWithoutNullStreams;
  taskQueue: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm run worker`'s program (`tsx src/worker.ts`) on a task queue of its own, against the test server. */
function spawnWorker(extraEnv: NodeJS.ProcessEnv): WorkerProcess {
  const shared = sharedTestEnv();
  const taskQueue = `offline-${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: shared.address,
    TEMPORAL_NAMESPACE: shared.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WORKFLOW_BUNDLE_PATH: shared.bundlePath,
    WORKER_SHUTDOWN_GRACE_SECONDS: '1',
  };
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'PIPELINE_PROVIDERS', 'PIPELINE_EGRESS_ALLOW'])
    delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'worker.ts')], {
    cwd: ROOT,
    env: { ...env, ...extraEnv },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, taskQueue, output: () => out, exited };
}

/** Runs one llm step on the worker's task queue; resolves with the run's outputs. */
async function askOnce(taskQueue: string, prompt: string) {
  const client = new Client({ connection, namespace: sharedTestEnv().namespace });
  const handle = await startPipelineRun(
    client,
    {
      steps: [
        { id: 'answer', action: 'llm', params: { model: 'gpt-4o-mini', prompt } },
        { id: 'out', action: 'output', params: { value: '{{ steps.answer.output.response }}' } },
      ],
    },
    { taskQueue },
  );
  return (await handle.result()).outputs;
}

async function stop(worker: WorkerProcess): Promise<number | null> {
  worker.child.kill('SIGINT');
  return worker.exited;
}

test('with no key and no base URL, the worker says it uses the offline model, runs llm steps on it, and stops on SIGINT', async () => {
  const worker = spawnWorker({});
  try {
    await waitUntil(() => worker.output().includes('"worker started"'), 60_000, 'the worker to start');
    const out = worker.output();
    expect(out).toMatch(
      /No OPENAI_API_KEY or OPENAI_BASE_URL: llm steps use the offline model at http:\/\/127\.0\.0\.1:\d+\/v1, which replies \\"echo: <prompt>\\"/,
    );
    expect(out).toContain('For a real model, set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL');
    expect(out).toMatch(/"model":"offline model http:\/\/127\.0\.0\.1:\d+\/v1"/);

    // The worker's egress policy is the default (public addresses only): the model is worker
    // configuration, not a definition's address, so loopback is not needed for it.
    expect(out).toContain('"egressAllow":"public addresses only"');
    await expect(askOnce(worker.taskQueue, 'Name a moon of Mars.')).resolves.toEqual({
      out: 'echo: Name a moon of Mars.',
    });

    expect(await stop(worker)).toBe(0);
    expect(worker.output()).toContain('"worker stopped"');
  } finally {
    if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  }
}, 120_000);

test('with OPENAI_BASE_URL set, the worker starts no model of its own and calls the one it was given', async () => {
  const given = await startOfflineModel();
  given.script({ reply: 'from the configured server' });
  const worker = spawnWorker({ OPENAI_BASE_URL: given.baseURL, OPENAI_API_KEY: 'sk-configured' });
  try {
    await waitUntil(() => worker.output().includes('"worker started"'), 60_000, 'the worker to start');
    expect(worker.output()).not.toContain('offline model');
    expect(worker.output()).toContain('"model":"openai provider"');
    await expect(askOnce(worker.taskQueue, 'Hello?')).resolves.toEqual({ out: 'from the configured server' });
    expect(given.chatRequests()[0]!.headers.authorization).toBe('Bearer sk-configured');
    expect(await stop(worker)).toBe(0);
  } finally {
    if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await given.close();
  }
}, 120_000);
