/**
 * Document emission: how the builder's camelCase options become a step's snake_case fields and
 * params, as JSON/YAML authors would write them.
 */
import type { StepDefinition } from '../definition/definition';
import { IDENTIFIER, Ref } from './refs';
import type { Expression } from './valueTypes';
import type {
  ApiCallOptions,
  BudgetOptions,
  LlmOptions,
  MapItemSpec,
  StepRetryOptions,
  StepTarget,
  TransformOptions,
} from './options';

/** A step as the builder holds it: the node's name and the step it emits. */
export interface BuiltStep {
  name: string;
  step: StepDefinition;
}

export const budgetConfig = (b: BudgetOptions) => compact({ max_tokens: b.maxTokens, max_cost: b.maxCost });

export const retryConfig = (r: StepRetryOptions) =>
  compact({
    max_attempts: r.maxAttempts,
    backoff_multiplier: r.backoffMultiplier,
    initial_interval: r.initialInterval,
    max_interval: r.maxInterval,
    non_retryable_errors: r.nonRetryableErrors,
  });

export const expressionSource = (e: Expression): string => (e instanceof Ref ? e.expression : e);
export const targetId = (t: StepTarget): string => (typeof t === 'string' ? t : t.id);
export const targets = (t: StepTarget | StepTarget[]): string[] => (Array.isArray(t) ? t : [t]).map(targetId);

export const cloneJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** A valid step id from a node name: `'My LLM'` → `My_LLM`. */
export function stepIdFromName(name: string): string {
  if (IDENTIFIER.test(name)) return name;
  const id = name.replace(/[^A-Za-z0-9_]+/g, '_').slice(0, 64);
  return /^[A-Za-z_]/.test(id) ? id : `_${id}`.slice(0, 64);
}

/** Drops undefined fields so the document holds only what was written. */
export function compact<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

export const llmParams = (o: LlmOptions) => ({
  provider: o.provider,
  model: o.model,
  prompt: o.prompt,
  system: o.system,
  messages: o.messages,
  temperature: o.temperature,
  max_tokens: o.maxTokens,
  stream: o.stream,
  json: o.json,
});

export const apiCallParams = (o: ApiCallOptions) => ({
  url: o.url,
  method: o.method,
  headers: o.headers,
  query: o.query,
  body: o.body,
  body_type: o.bodyType,
  timeout: o.requestTimeout,
  max_response_bytes: o.maxResponseBytes,
});

export const transformParams = (o: TransformOptions) => ({ expression: o.expression, value: o.value });

/** A map's item step (`action` and `params`) from what `each` returned. */
export function mapItemStep(spec: MapItemSpec): { action: string; params?: Record<string, unknown> } {
  const kinds = (['llm', 'apiCall', 'notification', 'transform', 'action'] as const).filter(
    (key) => key in spec && (spec as Record<string, unknown>)[key] !== undefined,
  );
  if (kinds.length !== 1) {
    throw new TypeError(
      `map(): each must return exactly one of llm, apiCall, notification, transform and action; got ${kinds.join(', ') || 'none'}.`,
    );
  }
  if ('llm' in spec) return { action: 'llm', params: llmParams(spec.llm) };
  if ('apiCall' in spec) return { action: 'api_call', params: apiCallParams(spec.apiCall) };
  if ('notification' in spec) return { action: 'notification', params: { ...spec.notification } };
  if ('transform' in spec) return { action: 'transform', params: transformParams(spec.transform) };
  return { action: spec.action, ...(spec.params !== undefined && { params: spec.params }) };
}
