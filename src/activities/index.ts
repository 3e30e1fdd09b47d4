/**
 * The worker's node activities: `llm`, `api_call`, `notification` and one per user action.
 * Register the result of {@link createActivities} as the worker's `activities`.
 */
import { isBuiltinKind } from '../pipeline/catalog';
import { createActionActivity } from './actions';
import { ActivitiesDataConfig, type ActivitiesConfig } from './config';
import { createApiCallNode } from './http';
import { createLlmNode } from './llm';
import { wrapNodeActivity, type NodeActivity, type SecretLookup } from './nodeActivity';
import { createNotificationNode } from './notify';
import { formatIssues } from './params';

export { ProviderConfig, type ActivitiesConfig } from './config';
export {
  HttpStatusError,
  NodeError,
  codeForStatus,
  isRetryableCode,
  retryAfterMs,
  toNodeFailure,
} from './errors';
export {
  HEARTBEAT_INTERVAL_MS,
  makeTraceparent,
  wrapNodeActivity,
  type NodeActivity,
  type NodeContext,
  type NodeFn,
  type NodeOutcome,
  type SecretLookup,
} from './nodeActivity';
export { createActionActivity } from './actions';
export type { LlmOutput } from './llm';
export type { ApiCallOutput } from './http';
export type { NotificationOutput, NotificationMessage } from './notify';

/** Activity functions by activity type (= the step's `action`). */
export type PipelineActivities = Record<string, NodeActivity>;

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
 *   }),
 *   workflowBundle,
 * });
 */
export function createActivities(config: ActivitiesConfig = {}): PipelineActivities {
  const parsed = ActivitiesDataConfig.safeParse({ providers: config.providers, webhooks: config.webhooks });
  if (!parsed.success) {
    throw new Error(`Invalid activities configuration: ${formatIssues(parsed.error.issues, 'config')}`);
  }
  const env = config.env ?? process.env;
  const secrets: SecretLookup = config.secrets ?? ((name) => env[name]);
  const providers = parsed.data.providers ?? {};
  const webhooks = parsed.data.webhooks ?? {};

  const activities: PipelineActivities = {
    llm: wrapNodeActivity(createLlmNode({ providers, env }), { secrets }),
    api_call: wrapNodeActivity(createApiCallNode(), { secrets }),
    notification: wrapNodeActivity(createNotificationNode({ webhooks }), { secrets }),
  };
  for (const action of config.actions ?? []) {
    if (isBuiltinKind(action.name)) {
      throw new Error(`Action "${action.name}" is named after a built-in node kind; choose another name`);
    }
    if (Object.hasOwn(activities, action.name)) {
      throw new Error(`Two actions are named "${action.name}"`);
    }
    activities[action.name] = createActionActivity(action, { secrets });
  }
  return activities;
}
