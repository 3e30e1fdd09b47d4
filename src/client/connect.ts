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
import { createDataConverter, payloadOptionsFromEnv, type PayloadOptions } from '../codec';
import type { ActionDefinition, ActionSpec } from '../model';
import { z } from 'zod';
import { translateError, unreachable } from './errors';
import { Executions } from './executions/executionsApi';
import { PipelineRegistry } from './pipelines/pipelineRegistry';
import { RunHandle } from './runs/runHandle';
import { Schedules } from './schedules/schedulesApi';
import { clientTracingInterceptor } from '../shared';
import { RATE_LIMIT_RETRY_DEFAULTS, type RateLimitRetryOptions } from './runs/rateLimitRetry';
import { DEFAULT_MAX_CONCURRENT_STARTS, RunStarter } from './runs/loadAwareStarts';
import { StartLimiter } from './runs/inFlightStarts';
import { prepareRun, type StartRunOptions } from './runs/startRun';

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
   * limited throws `RateLimitError` only after about 40 s. Run starts refused for load are
   * retried by this client instead, with jittered backoff (see `rateLimited`).
   * `{ rateLimited: false }` throws `RateLimitError` at once (other transient errors are still
   * retried); `{ maxAttempts: 1 }` retries nothing.
   * @default { maxAttempts: 10, rateLimited: true }
   */
  retry?: ConnectRetryOptions;
  /**
   * At most this many run starts in flight from this client (`start`, `startSaved`, `run`,
   * `executions.create`, `runEphemeral`, `createMany`); further starts wait inside the client and
   * go in the order they were called, so `Promise.all(items.map(() => client.start(…)))` never
   * sends more than this many at once. A start keeps its slot while it backs off from a rate
   * limit, so a limited server is not hit by the whole queue. An integer ≥ 1 (else `RangeError`).
   * @default 16
   */
  maxConcurrentStarts?: number;
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
   * See docs/payloads.md.
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
  /**
   * How long `connect()` waits for the server to answer before it throws `ConnectionError`.
   * @default 4000
   */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 4_000;

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
  /**
   * Whether a call refused for load (RESOURCE_EXHAUSTED: rate limits, concurrency limits) is
   * retried. Run starts are retried by the client: a random wait up to a ceiling that doubles
   * from `initialDelayMs` to `maxDelayMs` ("full jitter", so refused starts do not come back
   * together), at least the refusal's `retryAfterMs` when it has one, up to `maxAttempts`
   * (default: the `maxAttempts` above); pass an object to tune that or to watch retries
   * (`onRetry`). A single start does not retry a refusal by the engine's own concurrency limit
   * (`reason: 'CONCURRENCY_LIMIT'`, a pipeline with `onLimit: 'reject'`); `createMany` does. Other
   * calls are retried inside the call with the SDK's backoff. `false` throws `RateLimitError` at
   * once.
   * @default true: starts `{ maxAttempts: 10, initialDelayMs: 250, maxDelayMs: 10000 }` (at most
   * about 46 s of waiting in all)
   */
  rateLimited?: boolean | RateLimitRetryOptions;
}

const RESOURCE_EXHAUSTED = 8;
type GrpcInterceptor = ReturnType<typeof makeGrpcRetryInterceptor>;

const START_WORKFLOW_PATH = '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution';

/**
 * The SDK's retry interceptor with its backoff, deciding per `ConnectRetryOptions`; a start
 * refused for load is left to the client's own retry (`RunStarter`), which jitters it and keeps
 * it within `maxConcurrentStarts`.
 */
function retryInterceptor({ maxAttempts, rateLimited = true }: ConnectRetryOptions): GrpcInterceptor {
  const sdk = defaultGrpcRetryOptions(maxAttempts === undefined ? {} : { maxAttempts });
  return (options, nextCall) => {
    const retryRateLimited = rateLimited !== false && options.method_definition.path !== START_WORKFLOW_PATH;
    return makeGrpcRetryInterceptor({
      delayFunction: sdk.delayFunction,
      retryableDecider: (attempt, status) =>
        (retryRateLimited || (status.code as number) !== RESOURCE_EXHAUSTED) &&
        sdk.retryableDecider(attempt, status),
    })(options, nextCall);
  };
}

/** How the client retries run starts refused for load, from `ConnectRetryOptions`; `false`: never. */
function startRetry({ maxAttempts, rateLimited = true }: ConnectRetryOptions): RateLimitRetryOptions | false {
  if (rateLimited === false) return false;
  return {
    maxAttempts: maxAttempts ?? RATE_LIMIT_RETRY_DEFAULTS.maxAttempts,
    ...(rateLimited === true ? {} : rateLimited),
  };
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

  const pipelines = new PipelineRegistry(temporal, taskQueue, actions);

  return {
    temporal,
    pipelines,
    executions: new Executions(temporal, pipelines, taskQueue, actions, maxInputBytes, starter),
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
