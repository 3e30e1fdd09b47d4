/**
 * The first hour against servers we did not prepare: a plain `temporal server start-dev` without
 * the engine's search attributes (the worker adds them, and a start before that says what is
 * missing), and an address where nothing listens (connect() and `npm run worker` say so quickly).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { ConnectionError, PipelineError, SearchAttributesMissingError } from '../../src/client/errors';
import { missingSearchAttributes } from '../../src/client/searchAttributes';
import { freePort } from '../../src/dev/localServer';
import { createPipelineWorker } from '../../src/worker';
import { sharedTestEnv } from '../support/pipelineHarness';

const ENGINE_ATTRIBUTES = ['PipelineName', 'PipelinePriority', 'PipelineTags', 'PipelineVersion'];

/** `temporal server start-dev` as a user runs it: no `--search-attribute` flags. */
async function startPlainDevServer(): Promise<{ address: string; child: ChildProcess }> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const child = spawn(
    'temporal',
    [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.close();
      return { address, child };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe('a plain temporal server start-dev', () => {
  let server: { address: string; child: ChildProcess };
  let client: PipelinesClient;
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    server = await startPlainDevServer();
    client = await connect({ address: server.address, taskQueue: 'first-hour' });
  }, 90_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await nativeConnection?.close();
    await client?.close();
    const exited = new Promise((r) => server?.child.once('exit', r));
    server?.child.kill('SIGTERM');
    await exited;
  });

  const document = {
    name: 'first-run',
    steps: [
      { id: 'who', action: 'input', params: { type: 'string' } },
      { id: 'greet', action: 'transform', params: { value: "{{ 'hello ' + inputs.who }}" } },
    ],
  };

  test('lacks the search attributes, and a start says which and the command that adds them', async () => {
    const connection = await Connection.connect({ address: server.address });
    try {
      expect((await missingSearchAttributes(connection, 'default')).map((a) => a.name).sort()).toEqual(
        ENGINE_ATTRIBUTES,
      );
    } finally {
      await connection.close();
    }
    const err = await client.start(document, { inputs: { who: 'x' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchAttributesMissingError);
    expect(err).toBeInstanceOf(PipelineError);
    const message = (err as Error).message;
    expect(message).toMatch(
      /^Namespace default has no search attribute Pipeline\w+ \((Keyword|KeywordList|Int)\)/,
    );
    expect(message).toMatch(
      /temporal operator search-attribute create --namespace default --name Pipeline\w+ --type (Keyword|KeywordList|Int)/,
    );
    expect(message).toContain('deploy/temporal/setup-namespace.sh');
  });

  test('the worker adds them at start, and a run then completes', async () => {
    nativeConnection = await NativeConnection.connect({ address: server.address });
    worker = await createPipelineWorker({
      connection: nativeConnection,
      taskQueue: 'first-hour',
      workflowBundle: { codePath: sharedTestEnv().bundlePath },
      shutdownGraceTimeMs: 1000,
    });
    running = worker.run();
    expect(await missingSearchAttributes(nativeConnection, 'default')).toEqual([]);
    const run = await client.start(document, { inputs: { who: 'world' } });
    expect(await run.result()).toEqual({ status: 'completed', outputs: { greet: 'hello world' } });
    // Found by the attribute the engine sets.
    const listed = await client.executions.list({ pipelineId: 'first-run' });
    expect(listed.executions.map((e) => e.id)).toContain(run.taskId);
  }, 60_000);
});

describe('no server at the address', () => {
  let closedPort: number;
  beforeAll(async () => {
    closedPort = await freePort();
  });

  test('connect() throws ConnectionError naming the address and how to start a server, within 5 s', async () => {
    const began = Date.now();
    const err = await connect({ address: `127.0.0.1:${closedPort}` }).catch((e: unknown) => e);
    const elapsed = Date.now() - began;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toBeInstanceOf(PipelineError);
    expect(err).toMatchObject({ code: 'connection_failed', address: `127.0.0.1:${closedPort}` });
    expect((err as Error).message).toContain(`Cannot reach a Temporal server at 127.0.0.1:${closedPort}`);
    expect((err as Error).message).toContain('tpipe dev');
    expect((err as Error).message).toContain('temporal server start-dev');
    expect(elapsed).toBeLessThan(8_000);
  });

  test('`npm run worker` prints that message, without a stack, and exits 1', () => {
    const root = path.resolve(__dirname, '../..');
    const began = Date.now();
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'src/worker.ts'], {
      cwd: root,
      env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`, WORKER_LOG_LEVEL: 'ERROR' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `Cannot reach a Temporal server at 127.0.0.1:${closedPort} (connection refused)`,
    );
    expect(result.stderr).toContain('tpipe dev');
    expect(result.stderr).not.toMatch(/TransportError|\n\s+at /);
    // Startup of tsx included; the connection attempt itself fails at once.
    expect(Date.now() - began).toBeLessThan(20_000);
  }, 40_000);
});
