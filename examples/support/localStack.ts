/**
 * Everything an example needs, in one call: a Temporal server, a model, a worker and a client.
 *
 *   const stack = await startLocalStack();
 *   try {
 *     const pipeline = await Pipeline.new({ name: stack.pipelineName('demo'), client: stack.client });
 *     // …
 *   } finally {
 *     await stack.close();
 *   }
 *
 * - Temporal: `TEMPORAL_ADDRESS` (with `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`) when
 *   set; else a local dev server with the Web UI on 127.0.0.1:7233 / :8233, or on free ports when
 *   7233 is taken (another dev server, another example).
 * - Model: the `openai` provider talks to OpenAI or any compatible server when `OPENAI_API_KEY` /
 *   `OPENAI_BASE_URL` are set (`OPENAI_MODEL` overrides the model names the examples use); else a
 *   small offline model server that answers `echo: <prompt>`.
 * - Worker: in this process, on `TEMPORAL_TASK_QUEUE` or a task queue of its own, so examples run
 *   against one shared server never take each other's work. `WORKFLOW_BUNDLE_PATH` (a bundle
 *   `npm run build` wrote) skips bundling the workflow code at start. Its egress policy allows
 *   loopback (`egress: { allow: ['loopback'] }`): the examples call servers on this machine.
 *   Worker logs are printed from `WORKER_LOG_LEVEL` up (default ERROR: the examples fail runs on
 *   purpose).
 * - Web UI links: the local server's UI; with `TEMPORAL_ADDRESS`, `TEMPORAL_UI_URL` when set, else
 *   http://localhost:8233 when the address is the dev server's default (localhost:7233), else none.
 * - Nothing left behind: `close()` (also on Ctrl-C) first deletes the pipelines this stack saved
 *   under a `pipelineName()` (those created after it started: a pipeline that was there before is
 *   kept), then, on a task queue of its own, terminates the workflows still running on it; then it
 *   stops the worker, the client, the model and the server it started.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { connect, type PipelinesClient } from '../../src';
import type { ActivitiesConfig } from '../../src/activities';
import { runsListUrl, runUrl } from '../../src/client/webUi';
import { freePort, startLocalServer, type LocalServer } from '../../src/dev/localServer';
import { createPipelineWorker } from '../../src/worker';
import type { OfflineModel, OfflineModelOptions } from '../../src/dev/offlineModel';
import { offlineProviderUnlessConfigured } from '../../src/dev/offlineProvider';
import { leaveNothingBehind } from './leaveNothingBehind';

export interface LocalStackOptions {
  /** How the offline model behaves (e.g. `{ replyDelayMs: 5000 }` for a slow one). Unused online. */
  offlineModel?: OfflineModelOptions;
  /** More worker configuration: providers, webhooks, your own actions. */
  activities?: ActivitiesConfig;
  /** Where the stack says what it started. @default console.log */
  log?: (line: string) => void;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface LocalStack {
  /** Connected to the stack's server and task queue. */
  client: PipelinesClient;
  /** The offline model server, when no OpenAI-compatible server is configured. */
  model?: OfflineModel;
  /** The Temporal frontend, `host:port`. */
  address: string;
  /** Whether this stack started the Temporal server (it stops with the stack). */
  ownServer: boolean;
  taskQueue: string;
  /** The Web UI: of the local dev server this stack started, else `TEMPORAL_UI_URL` (see above). */
  uiUrl?: string;
  /** The run's page in the Web UI, when the UI is known. */
  runUrl(taskId: string): string | undefined;
  /** Prints `Watch it: <the run's page>` when the Web UI is known. */
  printRunLink(taskId: string): void;
  /** Resolves on Ctrl-C (instead of the stack closing and the process exiting with 130). */
  untilCtrlC(): Promise<void>;
  /** The model name to use: `OPENAI_MODEL` when set, else `preferred`. */
  modelName(preferred: string): string;
  /**
   * A pipeline name for this stack. A saved pipeline lives in an entity workflow on the task queue
   * it was first saved through, so on a shared server with a task queue of our own the name gets
   * that queue's suffix; with our own server or a fixed `TEMPORAL_TASK_QUEUE` it is `base`.
   */
  pipelineName(base: string): string;
  /**
   * Deletes the pipelines it saved, ends the workflows left on its own task queue, then stops the
   * worker, closes the client, the model server and the local Temporal server. Once: later calls
   * return the same promise.
   */
  close(): Promise<void>;
}

const LOCAL_PORT = 7233;
const LOCAL_UI_PORT = 8233;

/** The Web UI of a server we did not start: `TEMPORAL_UI_URL`, else the dev server's default UI. */
function knownUiUrl(address: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.TEMPORAL_UI_URL) return env.TEMPORAL_UI_URL.replace(/\/+$/, '');
  return /^(localhost|127\.0\.0\.1):7233$/.test(address) ? `http://localhost:${LOCAL_UI_PORT}` : undefined;
}

/** Whether `port` can be listened on right now. */
async function portIsFree(port: number, ip = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, ip, () => probe.close(() => resolve(true)));
  });
}

function installWorkerLogger(level: LogLevel): void {
  try {
    // No shutdown signals: on Ctrl-C the stack cleans up first (which needs the worker), then stops it.
    Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: [] });
  } catch {
    // A runtime exists already (the caller installed its own): keep it.
  }
}

/**
 * Starts Temporal (or connects to `TEMPORAL_ADDRESS`), the model, a worker and a client.
 * On failure, whatever was started is stopped again before the error is thrown.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const startedAt = Date.now();
  const cleanup: Array<() => Promise<void>> = [];
  let closing: Promise<void> | undefined;
  const closeAll = () =>
    (closing ??= (async () => {
      for (const step of cleanup.splice(0).reverse()) {
        await step().catch((err: unknown) => console.error('while closing the local stack:', err));
      }
      process.removeListener('SIGINT', onCtrlC);
    })());
  // Ctrl-C: resolve untilCtrlC() when the example waits for it; else clean up and exit (130, as
  // shells report an interrupted program). A second Ctrl-C exits at once.
  const ctrlCWaiters: Array<() => void> = [];
  let interrupted = false;
  const onCtrlC = () => {
    if (interrupted) process.exit(130);
    if (ctrlCWaiters.length > 0) return ctrlCWaiters.splice(0).forEach((resolve) => resolve());
    interrupted = true;
    log('Interrupted: cleaning up (Ctrl-C again to quit at once)');
    void closeAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onCtrlC);

  try {
    installWorkerLogger((env.WORKER_LOG_LEVEL as LogLevel | undefined) ?? 'ERROR');

    let server: LocalServer | undefined;
    let address = env.TEMPORAL_ADDRESS;
    let namespace = env.TEMPORAL_NAMESPACE ?? 'default';
    if (address) {
      const ui = knownUiUrl(address, env);
      log(`Temporal: ${address} (TEMPORAL_ADDRESS), namespace ${namespace}${ui ? `, Web UI ${ui}` : ''}`);
    } else {
      const defaultPorts = await portIsFree(LOCAL_PORT);
      const uiPort = defaultPorts && (await portIsFree(LOCAL_UI_PORT)) ? LOCAL_UI_PORT : await freePort();
      server = await startLocalServer({ port: defaultPorts ? LOCAL_PORT : undefined, uiPort, namespace });
      const started = server;
      cleanup.push(() => started.stop());
      address = server.address;
      namespace = server.namespace;
      log(
        `Temporal: local dev server on ${address}, Web UI (pipeline runs) ${server.uiUrl && runsListUrl(server.uiUrl, namespace)}` +
          (defaultPorts ? '' : ` (port ${LOCAL_PORT} is taken, so on free ports)`),
      );
    }

    // The same offline model `npm run worker` and `tpipe dev` use when no model is configured.
    const offline = await offlineProviderUnlessConfigured(
      env,
      options.activities?.providers,
      options.offlineModel,
    );
    const model = offline?.model;
    if (offline) {
      cleanup.push(() => offline.model.close());
      const delay = options.offlineModel?.replyDelayMs;
      log(`Model: ${offline.notice}${delay ? ` (This example's replies take ${delay / 1000} s.)` : ''}`);
    } else {
      log(`Model: the openai provider (${env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'})`);
    }

    const fixedQueue = env.TEMPORAL_TASK_QUEUE;
    const queueSuffix = randomBytes(4).toString('hex');
    const taskQueue = fixedQueue ?? `examples-${queueSuffix}`;
    const apiKey = env.TEMPORAL_API_KEY;
    const tls = env.TEMPORAL_TLS === 'true' || apiKey !== undefined;

    const native = await NativeConnection.connect({ address, tls, apiKey });
    cleanup.push(() => native.close());
    const activities: ActivitiesConfig = {
      ...options.activities,
      // The examples call services on this machine: loopback is allowed explicitly.
      egress: {
        ...options.activities?.egress,
        allow: ['loopback', ...(options.activities?.egress?.allow ?? [])],
      },
      providers: {
        ...(offline && { openai: offline.provider }),
        ...options.activities?.providers,
      },
    };
    const worker = await createPipelineWorker({
      connection: native,
      namespace,
      taskQueue,
      activities,
      workflowBundle: env.WORKFLOW_BUNDLE_PATH ? { codePath: env.WORKFLOW_BUNDLE_PATH } : undefined,
      shutdownGraceTimeMs: 2000,
    });
    const running = worker.run();
    void running.catch((err: unknown) => console.error('The worker stopped:', err));
    cleanup.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    });
    log(`Worker: in this process, task queue ${taskQueue}; egress allows loopback (local services)`);

    // The client knows the worker's own actions, so definitions using them validate before saving.
    const actions = options.activities?.actions;
    const client = await connect({ address, namespace, taskQueue, env, ...(actions && { actions }) });
    cleanup.push(() => client.close());

    // On a server we did not start, remove what this example saved and left running (before the
    // worker stops: deleting a pipeline is an update its registry workflow handles on our queue).
    const pipelineNames = new Set<string>();
    if (!server) {
      cleanup.push(() =>
        leaveNothingBehind({
          client,
          pipelineNames,
          startedAt,
          ownTaskQueue: fixedQueue === undefined ? taskQueue : undefined,
          log,
        }),
      );
    }

    const uiUrl = server?.uiUrl ?? knownUiUrl(address, env);
    const privateQueueOnSharedServer = !server && fixedQueue === undefined;
    const runPage = (taskId: string) => uiUrl && runUrl(uiUrl, namespace, taskId);
    return {
      client,
      model,
      address,
      ownServer: server !== undefined,
      taskQueue,
      uiUrl,
      runUrl: runPage,
      printRunLink: (taskId) => {
        const url = runPage(taskId);
        if (url) log(`Watch it: ${url}`);
      },
      untilCtrlC: () => new Promise<void>((resolve) => ctrlCWaiters.push(resolve)),
      modelName: (preferred) => env.OPENAI_MODEL ?? preferred,
      pipelineName: (base) => {
        const name = privateQueueOnSharedServer ? `${base}_${queueSuffix}` : base;
        pipelineNames.add(name);
        return name;
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
