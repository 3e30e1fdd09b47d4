/**
 * The long-lived worker: runs `runPipeline` workflows and the node activities.
 *
 * `npm run worker` (or `node dist/worker.js`) reads its configuration from the environment;
 * `createPipelineWorker()` is the same worker for programs that register their own actions.
 */
import { setEnvValues } from './shared';
import { offlineProviderUnlessConfigured } from './dev';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { workerTracing, WORKFLOW_TRACING_MODULE, type TracingOptions } from './shared';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createActivities, ProviderConfig, type ActivitiesConfig } from './activities';

export type { ActivitiesConfig };
export type { RateLimitConfig } from './activities';
export type { SecretResolver, SecretsOption } from './activities';
import { ENCODED_FAILURES_MARKER } from './codec';
export type { EgressOptions } from './activities';
import {
  createDataConverter,
  encodedFailureConverterPath,
  PayloadEnv,
  payloadOptionsFromEnv,
  type PayloadOptions,
} from './codec';
import type { ActionDefinition } from './model';
import { PipelineError, unreachable } from './client';
import { ensureSearchAttributes } from './client';

const jsonRecord = <T extends z.ZodType>(value: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string(), value));

/** The worker's environment, validated. */
export const WorkerEnv = z.object({
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('pipelines'),
  /** Temporal Cloud API key; turns TLS on. */
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().positive().default(40),
  /** How long in-flight activities may finish after SIGINT/SIGTERM before they are cancelled. */
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().nonnegative().default(30),
  WORKER_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Serve Temporal's worker metrics for Prometheus at `http://<host>:<port>/metrics` (host:port or a port). */
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^([^:\s]+:)?\d{1,5}$/, 'host:port or a port')
    .optional(),
  /** A prebuilt workflow bundle (`npm run build` writes `dist/workflow-bundle.js`). */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  /** LLM providers besides `openai`, as JSON: `{"local":{"baseURL":"http://…/v1","apiKeyEnv":"LOCAL_KEY"}}`. */
  PIPELINE_PROVIDERS: jsonRecord(ProviderConfig).optional(),
  /** Notification channels, as JSON: `{"slack":"https://hooks.slack.com/…"}`. */
  PIPELINE_WEBHOOKS: jsonRecord(z.string().url()).optional(),
  /** A module whose exports include `defineAction(…)` values to register. */
  PIPELINE_ACTIONS_MODULE: z.string().optional(),
  /**
   * Where requests a definition causes may go besides public addresses, comma-separated host
   * names, `*.domain`, IPs, CIDRs and groups (`loopback`, `private`, …); see `EgressOptions`.
   */
  PIPELINE_EGRESS_ALLOW: z.string().optional(),
  /** Signs end-of-run callbacks (`x-pipeline-signature`); unsigned when unset. */
  PIPELINE_CALLBACK_SECRET: z.string().min(1).optional(),
  /** Payload encryption and claim check (see `PayloadEnv`). */
  ...PayloadEnv.shape,
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;

export interface PipelineWorkerOptions {
  connection: NativeConnection;
  /** @default 'default' */
  namespace?: string;
  /** @default 'pipelines' */
  taskQueue?: string;
  /** Providers, webhooks, secrets and users' own actions. */
  activities?: ActivitiesConfig;
  /** A prebuilt bundle; without one the workflows are bundled at start (1–2 s). */
  workflowBundle?: WorkflowBundleOption;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /** @default 30000 */
  shutdownGraceTimeMs?: number;
  identity?: string;
  /**
   * Payload encryption and the claim check for large payloads: the same value as the clients'
   * `connect({ payloads })`. With a claim check, node outputs of any size complete (they are
   * stored outside history); without one, an output over 2 MiB fails its step with `OutputTooLarge`.
   * @default off
   */
  payloads?: PayloadOptions;
  /**
   * OpenTelemetry tracing of workflows, node activities and their HTTP and LLM calls (see
   * `TracingOptions`). Without `workflowBundle`, the worker bundles the workflows with the tracing
   * interceptors; a bundle you pass must come from `bundleWorkflows({ tracing: true })`.
   * @default off
   */
  tracing?: TracingOptions;
  /**
   * Add the search attributes runs carry (`PipelineName`, `PipelineVersion`, `PipelineTags`,
   * `PipelinePriority`) to the namespace when it lacks them, through the operator service. Where
   * the connection may not (no operator rights, Temporal Cloud), the worker does not start:
   * `SearchAttributesMissingError` names them and the commands that add them. `false` skips the check.
   * @default true
   */
  registerSearchAttributes?: boolean;
}

/** Where the workflow code lives, for `bundleWorkflowCode` (TypeScript sources or compiled JS). */
export const workflowsPath = (): string => require.resolve('./workflows');

/**
 * Bundles the workflow code once; pass the result as `workflowBundle` to every worker. With
 * `tracing`, the bundle includes the OpenTelemetry workflow interceptors (for a worker with
 * `tracing` set). With `encodeFailures`, the workflow code encodes the text of the failures it
 * writes (run failures and their causes), as workers with `payloads.encryption` require.
 */
export async function bundleWorkflows(
  options: { tracing?: boolean; encodeFailures?: boolean } = {},
): Promise<{ code: string }> {
  return bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    ...(options.tracing && { workflowInterceptorModules: [WORKFLOW_TRACING_MODULE] }),
    ...(options.encodeFailures && { failureConverterPath: encodedFailureConverterPath() }),
    // Parsed expressions and the CEL environment, shared by every run (pure; see celShared.ts).
    preloadModules: [require.resolve('./model/expressions/celShared')],
    logger: quietBundlerLogger,
  });
}

const quietBundlerLogger = new DefaultLogger('WARN');

/**
 * The bundle `npm run build` writes next to this module (`dist/workflow-bundle.js`, and
 * `dist/workflow-bundle-encoded-failures.js` for encrypting workers, shipped in the package), so
 * installed workers start without bundling; undefined when running from sources.
 */
function prebuiltBundle(encodeFailures: boolean): { codePath: string } | undefined {
  const codePath = path.join(
    __dirname,
    encodeFailures ? 'workflow-bundle-encoded-failures.js' : 'workflow-bundle.js',
  );
  return existsSync(codePath) ? { codePath } : undefined;
}

/**
 * With payload encryption, workflow code must encode the failure text it writes, or run failures
 * (which quote the failed step's message) would reach history in plain text.
 * @throws Error when `bundle` was not built with `bundleWorkflows({ encodeFailures: true })`.
 */
function checkBundleEncodesFailures(bundle: WorkflowBundleOption): void {
  const code = 'code' in bundle ? bundle.code : readFileSync(bundle.codePath, 'utf8');
  if (!code.includes(ENCODED_FAILURES_MARKER)) {
    throw new Error(
      'payloads.encryption is on but the workflowBundle does not encode failure messages and stack ' +
        'traces; build it with bundleWorkflows({ encodeFailures: true }) (or leave workflowBundle out)',
    );
  }
}

/**
 * Creates a worker for pipelines: the `runPipeline` workflow plus `llm`, `api_call`,
 * `notification` and the given actions as activities.
 * @example
 * const connection = await NativeConnection.connect({ address: 'localhost:7233' });
 * const worker = await createPipelineWorker({ connection, activities: { actions: [sendInvoice] } });
 * await worker.run(); // until SIGINT/SIGTERM
 */
export async function createPipelineWorker(options: PipelineWorkerOptions): Promise<Worker> {
  // The native layer treats an explicit `undefined` as a missing value, so pass only what is set.
  const optional = Object.fromEntries(
    Object.entries({
      maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
      maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions,
      identity: options.identity,
    }).filter(([, value]) => value !== undefined),
  );
  const dataConverter = createDataConverter(options.payloads);
  const activities: ActivitiesConfig = {
    ...options.activities,
    // A claim check stores large results outside history: no cap unless one is asked for.
    maxOutputBytes:
      options.activities?.maxOutputBytes ?? (options.payloads?.claimCheck ? Infinity : undefined),
  };
  const tracing = options.tracing ? workerTracing(options.tracing) : undefined;
  const encodeFailures = options.payloads?.encryption !== undefined;
  if (options.workflowBundle && encodeFailures) checkBundleEncodesFailures(options.workflowBundle);
  // Configuration errors first; then the namespace's search attributes, before any bundling.
  const namespace = options.namespace ?? 'default';
  if (options.registerSearchAttributes !== false) {
    const { added, unchecked } = await ensureSearchAttributes(options.connection, namespace);
    if (added.length > 0) Runtime.instance().logger.info('search attributes added', { namespace, added });
    if (unchecked)
      Runtime.instance().logger.warn(`search attributes not checked: ${unchecked}`, { namespace });
  }
  const workflowBundle =
    options.workflowBundle ??
    (tracing
      ? await bundleWorkflows({ tracing: true, encodeFailures })
      : (prebuiltBundle(encodeFailures) ?? (await bundleWorkflows({ encodeFailures }))));
  return Worker.create({
    ...tracing,
    connection: options.connection,
    namespace,
    taskQueue: options.taskQueue ?? 'pipelines',
    activities: createActivities(activities),
    ...(dataConverter && { dataConverter }),
    workflowBundle,
    shutdownGraceTime: options.shutdownGraceTimeMs ?? 30_000,
    // Node activities heartbeat every second; send them on so cancellation reaches them within ~1 s.
    maxHeartbeatThrottleInterval: '1s',
    ...optional,
  });
}

/** Loads `defineAction` values exported by a user module. */
export async function loadActions(modulePath: string): Promise<ActionDefinition[]> {
  const mod = (await import(path.resolve(modulePath))) as Record<string, unknown>;
  const isAction = (v: unknown): v is ActionDefinition =>
    typeof v === 'object' && v !== null && typeof (v as ActionDefinition).run === 'function' && 'name' in v;
  const exported = Object.values(mod).flatMap((v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v]));
  return exported.filter(isAction);
}

/**
 * The worker's connection; `ConnectionError` (naming the address and how to start a server) when
 * nothing answers there.
 */
async function connectWorker(address: string, tls: boolean, apiKey: string | undefined) {
  try {
    return await NativeConnection.connect({ address, tls, apiKey });
  } catch (err) {
    throw unreachable(address, err) ?? err;
  }
}

/**
 * Runs a worker configured from the environment until SIGINT/SIGTERM.
 * @throws ConnectionError when no Temporal server answers at TEMPORAL_ADDRESS.
 * @throws SearchAttributesMissingError when the namespace lacks the engine's search attributes
 * and this worker may not add them.
 */
export async function runWorkerFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const parsed = WorkerEnv.safeParse(setEnvValues(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid worker configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  Runtime.install({
    logger: new DefaultLogger(config.WORKER_LOG_LEVEL, (entry) => {
      const { level, message, meta, timestampNanos } = entry;
      const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
      process.stdout.write(`${JSON.stringify({ time, level, message, ...meta })}\n`);
    }),
    ...(config.WORKER_METRICS_ADDRESS && {
      telemetryOptions: {
        metrics: {
          prometheus: {
            bindAddress: config.WORKER_METRICS_ADDRESS.includes(':')
              ? config.WORKER_METRICS_ADDRESS
              : `0.0.0.0:${config.WORKER_METRICS_ADDRESS}`,
          },
        },
      },
    }),
  });
  const payloads = payloadOptionsFromEnv(env);
  const tls = config.TEMPORAL_TLS === 'true' || config.TEMPORAL_API_KEY !== undefined;
  const connection = await connectWorker(config.TEMPORAL_ADDRESS, tls, config.TEMPORAL_API_KEY);

  // OTLP over HTTP when the standard OpenTelemetry variables name an endpoint.
  const otlp = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const spanProcessor = otlp ? new BatchSpanProcessor(new OTLPTraceExporter()) : undefined;
  // No key and no base URL: llm steps use the offline model (src/dev/offlineProvider.ts).
  const offline = await offlineProviderUnlessConfigured(env, config.PIPELINE_PROVIDERS);
  if (offline) Runtime.instance().logger.warn(offline.notice);
  const worker = await createPipelineWorker({
    connection,
    ...(spanProcessor && {
      tracing: {
        spanProcessor,
        resource: new Resource({ 'service.name': env.OTEL_SERVICE_NAME || 'temporal-pipelines-worker' }),
      },
    }),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: config.WORKFLOW_BUNDLE_PATH ? { codePath: config.WORKFLOW_BUNDLE_PATH } : undefined,
    activities: {
      providers: offline
        ? { ...config.PIPELINE_PROVIDERS, openai: offline.provider }
        : config.PIPELINE_PROVIDERS,
      webhooks: config.PIPELINE_WEBHOOKS,
      actions: config.PIPELINE_ACTIONS_MODULE ? await loadActions(config.PIPELINE_ACTIONS_MODULE) : [],
      callbackSecret: config.PIPELINE_CALLBACK_SECRET,
      // `{{ secrets.NAME }}` reads PIPELINE_SECRET_<NAME> from this environment, nothing else.
      env,
    },
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    shutdownGraceTimeMs: config.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
    payloads,
  });
  Runtime.instance().logger.info('worker started', {
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    encryption: payloads.encryption ? `on (key ${payloads.encryption.currentKeyId})` : 'off',
    claimCheck: payloads.claimCheck ? 'on' : 'off',
    tracing: otlp ? `OTLP ${otlp}` : 'off',
    egressAllow: config.PIPELINE_EGRESS_ALLOW ?? 'public addresses only',
    model: offline ? `offline model ${offline.model.baseURL}` : 'openai provider',
  });
  // Worker.run resolves after SIGINT/SIGTERM: polling stops, in-flight activities get the grace
  // time to finish, then are cancelled and handed back to the server for another worker.
  await worker.run().finally(() => offline?.model.close());
  await spanProcessor?.shutdown(); // sends the spans still batched
  await connection.close();
  Runtime.instance().logger.info('worker stopped');
}

if (require.main === module) {
  runWorkerFromEnv().catch((err: unknown) => {
    // Our errors say what to do; a stack would bury that. Anything else keeps its stack.
    const text =
      err instanceof PipelineError
        ? err.message
        : err instanceof Error
          ? (err.stack ?? err.message)
          : String(err);
    process.stderr.write(`${text}\n`);
    process.exit(1);
  });
}
