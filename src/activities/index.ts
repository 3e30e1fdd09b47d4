/**
 * The worker's activities: the node activities `llm`, `api_call`, `notification` and one per
 * user action, plus `pipelineCallback` (end-of-run callbacks), the concurrency limiter's activities
 * and `resolveSavedPipeline` (`pipeline` steps).
 * Register the result of {@link createActivities} as the worker's `activities`.
 */
import { PIPELINE_CALLBACK_ACTIVITY } from '../protocol';
import type { BuiltinNodeActivities } from '../protocol';
import { isBuiltinKind } from '../model';
import { createActionActivity } from './nodes/actions';
import { ActivitiesDataConfig, type ActivitiesConfig } from './config';
import { createCallbackActivity, type PipelineCallbackActivity } from './engine/deliverCallback';
import { createConcurrencyActivities, type ConcurrencyActivities } from './engine/concurrencyActivities';
import { createEgressPolicy, EGRESS_ALLOW_ENV, splitAllowList, type EgressPolicy } from './guards/egress';
import { createApiCallNode } from './nodes/http';
import { createLlmNode } from './nodes/llm';
import { wrapNodeActivity, type NodeActivity } from './nodes/wrapNodeActivity';
import { createSecretLookup } from './guards/secrets';
import { createNotificationNode } from './nodes/notify';
import { formatZodIssues } from './nodes/params';
import { createSubPipelineActivities, type SubPipelineActivities } from './engine/resolveSubPipeline';

export { ProviderConfig, type ActivitiesConfig, type RateLimitConfig } from './config';
export {
  HttpStatusError,
  NodeActivityError,
  codeForStatus,
  isRetryableCode,
  retryAfterMs,
  toNodeFailure,
} from './nodes/nodeFailures';
export {
  HEARTBEAT_INTERVAL_MS,
  makeTraceparent,
  wrapNodeActivity,
  type NodeActivity,
  type NodeContext,
  type NodeFn,
  type NodeOutcome,
  type StreamingOptions,
} from './nodes/wrapNodeActivity';
export {
  SECRET_ENV_PREFIX,
  createSecretLookup,
  type SecretLookup,
  type SecretResolver,
  type SecretsOption,
} from './guards/secrets';
export { MIN_REDACTED_LENGTH, Redactor } from './guards/redact';
export { createActionActivity } from './nodes/actions';
export { EGRESS_ALLOW_ENV, type EgressOptions } from './guards/egress';
export {
  callbackDeliveryId,
  createCallbackActivity,
  signCallback,
  type PipelineCallbackActivity,
} from './engine/deliverCallback';
export type { LlmOutput } from './nodes/llm';
export type { ApiCallOutput } from './nodes/http';
export type { NotificationOutput, NotificationMessage } from './nodes/notify';

/**
 * Node activity functions by activity type (= the step's `action`): the built-in ones
 * ({@link BuiltinNodeActivities}) and one per user action.
 */
export type PipelineActivities = Record<string, NodeActivity>;

/**
 * What {@link createActivities} returns: the node activities, the end-of-run callback, the
 * concurrency limiter's activities and the one that resolves saved pipelines for `pipeline` steps.
 */
export type WorkerActivities = PipelineActivities & {
  [PIPELINE_CALLBACK_ACTIVITY]: PipelineCallbackActivity;
} & ConcurrencyActivities &
  SubPipelineActivities;

/**
 * Builds the node activities for a worker.
 *
 * @throws Error when the providers or webhooks are malformed, an action is named after a
 * built-in kind (`llm`, `api_call`, …), or two actions share a name.
 * @example
 * const worker = await Worker.create({
 *   taskQueue: 'pipelines',
 *   activities: createActivities({
 *     providers: { local: { baseURL: 'http://localhost:11434/v1', defaultModel: 'llama3.2' } },
 *     webhooks: { ops: 'https://hooks.example.com/ops' },
 *     actions: [sendInvoice],
 *     secrets: { STRIPE_KEY: process.env.STRIPE_KEY! }, // or (name) => vault.read(name)
 *   }),
 *   workflowBundle,
 * });
 */
export function createActivities(config: ActivitiesConfig = {}): WorkerActivities {
  const parsed = ActivitiesDataConfig.safeParse({
    providers: config.providers,
    webhooks: config.webhooks,
    streaming: config.streaming,
  });
  if (!parsed.success) {
    throw new Error(`Invalid activities configuration: ${formatZodIssues(parsed.error.issues, 'config')}`);
  }
  const env = config.env ?? process.env;
  // The allow-list: the `secrets` option, then PIPELINE_SECRET_<NAME>; never any other variable.
  const secrets = createSecretLookup(config.secrets, env);
  const providers = parsed.data.providers ?? {};
  const webhooks = parsed.data.webhooks ?? {};
  const { maxOutputBytes } = config;
  let egress: EgressPolicy;
  try {
    egress = createEgressPolicy({
      allow: [...(config.egress?.allow ?? []), ...splitAllowList(env[EGRESS_ALLOW_ENV])],
      resolve: config.egress?.resolve,
    });
  } catch (err) {
    throw new Error(`Invalid activities configuration: ${(err as Error).message}`, { cause: err });
  }

  const builtins = {
    llm: wrapNodeActivity(createLlmNode({ providers, env }), {
      secrets,
      maxOutputBytes,
      streaming: parsed.data.streaming,
    }),
    api_call: wrapNodeActivity(createApiCallNode({ egress }), { secrets, maxOutputBytes }),
    notification: wrapNodeActivity(createNotificationNode({ webhooks, egress }), { secrets, maxOutputBytes }),
  } satisfies BuiltinNodeActivities;
  const activities: PipelineActivities = { ...builtins };
  const engineActivities = {
    [PIPELINE_CALLBACK_ACTIVITY]: createCallbackActivity({ secret: config.callbackSecret, egress }),
    ...createConcurrencyActivities(),
    ...createSubPipelineActivities(),
  };
  for (const action of config.actions ?? []) {
    if (Object.hasOwn(engineActivities, action.name)) {
      throw new Error(
        `Action name "${action.name}" is reserved for the engine's own activities; choose another name`,
      );
    }
    if (isBuiltinKind(action.name)) {
      throw new Error(`Action "${action.name}" is named after a built-in node kind; choose another name`);
    }
    if (Object.hasOwn(activities, action.name)) {
      throw new Error(`Two actions are named "${action.name}"`);
    }
    activities[action.name] = createActionActivity(action, { secrets, maxOutputBytes });
  }
  const all: WorkerActivities = Object.assign(activities, engineActivities);
  return all;
}
