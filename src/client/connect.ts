/**
 * `connect()`: the entry point of the client library.
 */
import { Client, Connection } from '@temporalio/client';
import { createDataConverter, payloadOptionsFromEnv } from '../codec';
import type { ActionSpec } from '../model';
import { clientTracingInterceptor } from '../shared';
import { ClientEnv, type ConnectOptions, type ConnectRetryOptions } from './connectOptions';
import { retryInterceptor, startRetry } from './connectRetry';
import type { ClientContext } from './context';
import { translateError, unreachable } from './errors';
import { Executions } from './executions/executionsApi';
import { PipelineRegistry } from './pipelines/pipelineRegistry';
import { StartLimiter } from './runs/inFlightStarts';
import { DEFAULT_MAX_CONCURRENT_STARTS, RunStarter } from './runs/loadAwareStarts';
import { RunHandle } from './runs/runHandle';
import { prepareRun, type StartRunOptions } from './runs/startRun';
import { Schedules } from './schedules/schedulesApi';

export { ClientEnv, type ConnectOptions, type ConnectRetryOptions };

export interface PipelinesClient {
  /** The Temporal client underneath. */
  readonly temporal: Client;
  readonly namespace: string;
  readonly taskQueue: string;
  /**
   * Starts a run of a pipeline document and returns its handle at once.
   * @throws PipelineValidationError before anything starts when the document, params or inputs are invalid.
   */
  start(document: unknown, options?: StartRunOptions): Promise<RunHandle>;
  /**
   * Starts a run of a saved pipeline: `version`, else its deployed version, else its latest.
   * The run pins that version: later saves and deploys never change it.
   * @throws NotFoundError
   */
  startSaved(name: string, options?: StartRunOptions & { version?: number }): Promise<RunHandle>;
  /** Saved, versioned pipelines. */
  readonly pipelines: PipelineRegistry;
  /** Starts a run and waits for its result. @throws PipelineRunFailedError */
  run(document: unknown, options?: StartRunOptions): Promise<Record<string, unknown>>;
  /** Runs as data: create (and wait), get, list, count, cancel, terminate, ephemeral and batch runs. */
  readonly executions: Executions;
  /**
   * Runs of saved pipelines on a timetable (cron or interval), as Temporal Schedules: create,
   * list, get (next and recent runs), pause, unpause, trigger, update, delete.
   */
  readonly schedules: Schedules;
  /** Handles on runs by id, from any process. */
  readonly runs: { get(taskId: string): RunHandle };
  close(): Promise<void>;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 4_000;

function knownActions(actions: ConnectOptions['actions']): Record<string, ActionSpec> | undefined {
  if (!actions) return undefined;
  return Object.fromEntries(actions.map((a) => (typeof a === 'string' ? [a, {}] : [a.name, a])));
}

/**
 * Connects to Temporal.
 * @example
 * const client = await connect(); // TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE
 * const run = await client.start(document, { inputs: { ticket: 'help' } });
 * console.log((await run.runStatus()).status);
 * @throws ConnectionError when no Temporal server answers at the address within `connectTimeoutMs`.
 */
export async function connect(options: ConnectOptions = {}): Promise<PipelinesClient> {
  const env = ClientEnv.parse(options.env ?? process.env);
  const apiKey = options.apiKey ?? env.TEMPORAL_API_KEY;
  const tls = options.tls ?? (env.TEMPORAL_TLS === 'true' || apiKey !== undefined);
  const namespace = options.namespace ?? env.TEMPORAL_NAMESPACE;
  const taskQueue = options.taskQueue ?? env.TEMPORAL_TASK_QUEUE;
  // Configuration errors (payloads, maxConcurrentStarts) are thrown before anything connects.
  const dataConverter = createDataConverter(
    options.payloads ?? payloadOptionsFromEnv(options.env ?? process.env),
  );
  const startLimiter = new StartLimiter(options.maxConcurrentStarts ?? DEFAULT_MAX_CONCURRENT_STARTS);
  const address = options.address ?? env.TEMPORAL_ADDRESS;
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address,
      tls,
      apiKey,
      connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      interceptors: [retryInterceptor(options.retry ?? {})],
    });
  } catch (err) {
    throw unreachable(address, err) ?? translateError(err);
  }
  const temporal = new Client({
    connection,
    namespace,
    ...(dataConverter && { dataConverter }),
    ...(options.tracing && { interceptors: { workflow: [clientTracingInterceptor()] } }),
  });
  const maxInputBytes = options.maxInputBytes;
  const starter = new RunStarter(temporal, startLimiter, startRetry(options.retry ?? {}));

  const actions = knownActions(options.actions);
  const start = async (document: unknown, startOptions: StartRunOptions = {}) => {
    try {
      const input = prepareRun(document, { actions, ...startOptions });
      const started = await starter.startOne(input, { taskQueue, maxInputBytes, ...startOptions });
      return new RunHandle(started.workflow, started.traceId);
    } catch (err) {
      throw translateError(err);
    }
  };

  const context: ClientContext = { temporal, namespace, taskQueue, actions, maxInputBytes, starter };
  const pipelines = new PipelineRegistry(context);

  return {
    temporal,
    pipelines,
    executions: new Executions(context, pipelines),
    schedules: new Schedules(context, pipelines),
    async startSaved(name, { version, ...startOptions } = {}) {
      const saved = await pipelines.version(name, version);
      return start(saved.definition, { ...startOptions, pipelineVersion: String(saved.version) });
    },
    namespace,
    taskQueue,
    start,
    async run(document, startOptions) {
      return (await (await start(document, startOptions)).result()).outputs;
    },
    runs: { get: (taskId) => new RunHandle(temporal.workflow.getHandle(taskId)) },
    close: () => connection.close(),
  };
}
