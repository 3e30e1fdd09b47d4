/**
 * `connect()`: the entry point of the client library.
 */
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type TLSConfig,
} from '@temporalio/client';
import { createDataConverter, payloadOptionsFromEnv, type PayloadOptions } from '../codec/payloadOptions';
import type { ActionDefinition, ActionSpec } from '../pipeline';
import { z } from 'zod';
import { translateError } from './errors';
import { Executions } from './executions';
import { PipelineRegistry } from './pipelines';
import { RunHandle } from './runHandle';
import { Schedules } from './schedules';
import { clientTracingInterceptor } from '../tracing';
import { prepareRun, startPreparedRun, type StartRunOptions } from './startRun';

/** The environment `connect()` reads its defaults from. */
export const ClientEnv = z.object({
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('pipelines'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
});

export interface ConnectOptions {
  /** @default env TEMPORAL_ADDRESS, else 'localhost:7233' */
  address?: string;
  /** @default env TEMPORAL_NAMESPACE, else 'default' */
  namespace?: string;
  /** Task queue the workers poll. @default env TEMPORAL_TASK_QUEUE, else 'pipelines' */
  taskQueue?: string;
  /** Temporal Cloud API key (turns TLS on). @default env TEMPORAL_API_KEY */
  apiKey?: string;
  /** TLS on, or mTLS settings. @default env TEMPORAL_TLS === 'true', or on with an API key */
  tls?: boolean | TLSConfig;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * How each Temporal call is retried on transient gRPC errors (UNAVAILABLE, RESOURCE_EXHAUSTED,
   * …) before its error reaches you. The Temporal SDK's default makes 10 attempts; on a rate
   * limit it waits about 1.7 s, 2.9 s, 4.9 s, then 5 s between them, so a call that stays rate
   * limited throws `RateLimitError` only after about 40 s. `{ rateLimited: false }` throws it at
   * once (other transient errors are still retried); `{ maxAttempts: 1 }` retries nothing.
   * @default { maxAttempts: 10, rateLimited: true } (the SDK's)
   */
  retry?: ConnectRetryOptions;
  /**
   * OpenTelemetry: each run's start is a span of the run's trace (its `traceId`), which the
   * workflow and its node activities continue on a worker with `tracing` set. Spans go to the
   * tracer provider your process registered. A run started inside an active span joins that trace.
   * @default false
   */
  tracing?: boolean;
  /**
   * The users' own actions your workers register, so that definitions using them validate here
   * before anything is saved or started: `defineAction()` values (their params are checked too)
   * or just names (params unchecked).
   */
  actions?: ReadonlyArray<ActionDefinition | string>;
  /**
   * Payload encryption and the claim check for large payloads; give the worker the same value.
   * See README "Payload encryption and large payloads".
   * @default from env PIPELINE_ENCRYPTION_KEYS, PIPELINE_ENCRYPTION_KEY_ID, PIPELINE_CLAIM_CHECK_DIR,
   * PIPELINE_CLAIM_CHECK_THRESHOLD_BYTES; off when they are unset
   */
  payloads?: PayloadOptions;
  /**
   * Largest run start (the run's inputs, params and plan, encoded) this client sends; a bigger
   * one is refused with `PipelineValidationError` before anything starts.
   * @default 1.94 MiB (fits Temporal's 2 MiB payload limit); 64 MiB with a claim check
   */
  maxInputBytes?: number;
}

function knownActions(actions: ConnectOptions['actions']): Record<string, ActionSpec> | undefined {
  if (!actions) return undefined;
  return Object.fromEntries(actions.map((a) => (typeof a === 'string' ? [a, {}] : [a.name, a])));
}

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

/** See `ConnectOptions.retry`. */
export interface ConnectRetryOptions {
  /** Attempts per call, the first included. @default 10 */
  maxAttempts?: number;
  /** Whether RESOURCE_EXHAUSTED (rate limits, concurrency limits) is retried inside the call. @default true */
  rateLimited?: boolean;
}

const RESOURCE_EXHAUSTED = 8;

/** The SDK's retry interceptor with its backoff, deciding per `ConnectRetryOptions`. */
function retryInterceptor({ maxAttempts, rateLimited = true }: ConnectRetryOptions) {
  const sdk = defaultGrpcRetryOptions(maxAttempts === undefined ? {} : { maxAttempts });
  return makeGrpcRetryInterceptor({
    delayFunction: sdk.delayFunction,
    retryableDecider: (attempt, status) =>
      (rateLimited || (status.code as number) !== RESOURCE_EXHAUSTED) &&
      sdk.retryableDecider(attempt, status),
  });
}

/**
 * Connects to Temporal.
 * @example
 * const client = await connect(); // TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE
 * const run = await client.start(document, { inputs: { ticket: 'help' } });
 * console.log((await run.runStatus()).status);
 * @throws InternalServerError when Temporal cannot be reached.
 */
export async function connect(options: ConnectOptions = {}): Promise<PipelinesClient> {
  const env = ClientEnv.parse(options.env ?? process.env);
  const apiKey = options.apiKey ?? env.TEMPORAL_API_KEY;
  const tls = options.tls ?? (env.TEMPORAL_TLS === 'true' || apiKey !== undefined);
  const namespace = options.namespace ?? env.TEMPORAL_NAMESPACE;
  const taskQueue = options.taskQueue ?? env.TEMPORAL_TASK_QUEUE;
  // Payload configuration errors are thrown before anything connects.
  const dataConverter = createDataConverter(
    options.payloads ?? payloadOptionsFromEnv(options.env ?? process.env),
  );
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: options.address ?? env.TEMPORAL_ADDRESS,
      tls,
      apiKey,
      ...(options.retry ? { interceptors: [retryInterceptor(options.retry)] } : {}),
    });
  } catch (err) {
    throw translateError(err);
  }
  const temporal = new Client({
    connection,
    namespace,
    ...(dataConverter && { dataConverter }),
    ...(options.tracing && { interceptors: { workflow: [clientTracingInterceptor()] } }),
  });
  const maxInputBytes = options.maxInputBytes;

  const actions = knownActions(options.actions);
  const start = async (document: unknown, startOptions: StartRunOptions = {}) => {
    try {
      const input = prepareRun(document, { actions, ...startOptions });
      const handle = await startPreparedRun(temporal, input, { taskQueue, maxInputBytes, ...startOptions });
      return new RunHandle(handle, input.traceId);
    } catch (err) {
      throw translateError(err);
    }
  };

  const pipelines = new PipelineRegistry(temporal, taskQueue, actions);

  return {
    temporal,
    pipelines,
    executions: new Executions(temporal, pipelines, taskQueue, actions, maxInputBytes),
    schedules: new Schedules(temporal, pipelines, taskQueue, actions, maxInputBytes),
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
