/** The options the builder's node kinds take, camelCase (the document's fields are snake_case). */
import type { ChatMessage, HttpMethod } from '../kinds/catalog';
import type { EventSchema } from '../definition/eventSchema';
import type { OnItemFailure } from '../plan/mapItems';
import type { Ref } from './refs';
import type { DurationText, Expression, Text, Value } from './valueTypes';
import type { StepHandle } from './handles';

/** Retry policy of an I/O step, camelCase. */
export interface StepRetryOptions {
  /** Total attempts including the first. @default 3 */
  maxAttempts?: number;
  /** @default 2 */
  backoffMultiplier?: number;
  /** @default "1s" */
  initialInterval?: DurationText;
  maxInterval?: DurationText;
  /** Error codes that are never retried. */
  nonRetryableErrors?: string[];
}

/**
 * A token / cost budget, camelCase (the definition's `budget: { max_tokens, max_cost }`).
 * Not `LlmOptions.maxTokens`, which caps one reply's completion.
 */
export interface BudgetOptions {
  /** At most this many tokens (prompt + completion, as the provider reports them). */
  maxTokens?: number;
  /** At most this many US dollars, at the worker's prices for the models called. */
  maxCost?: number;
}

/** A step that can be depended on or branched to: a handle or a step id. */
export type StepTarget = StepHandle | string;

/** Options of `pipeline.add()`, shared by every node kind. */
export interface AddOptions<N extends string = string> {
  /**
   * The node's name: the key of its input in `start({ inputs })` for input nodes, of its value
   * in `result().outputs` for output nodes. `add` with a name already in the pipeline replaces
   * that node.
   */
  name: N;
  /** The step id used in references (`steps.<id>`). @default name (non-identifier characters → `_`) */
  id?: string;
  /** Steps that must finish first, beyond those whose outputs this node references. */
  dependsOn?: StepTarget[];
  /** A CEL expression; false makes the step `skipped`. */
  condition?: Expression;
  retry?: StepRetryOptions;
  /** Per-attempt timeout of an I/O step. */
  timeout?: DurationText;
  /** A failure of this step does not fail the run. */
  allowFailure?: boolean;
  /**
   * llm nodes only: the step's own token / cost budget; its reply is capped to stay within it.
   * Any other kind is refused when the pipeline is compiled.
   */
  budget?: BudgetOptions;
  description?: string;
}

export interface LlmOptions {
  /** A provider configured on the worker. @default 'openai' */
  provider?: string;
  /** @default the provider's default model on the worker */
  model?: string;
  prompt?: Text;
  system?: Text;
  messages?: Array<{ role: ChatMessage['role']; content: Text }>;
  temperature?: number;
  maxTokens?: number;
  /** Stream tokens while the model answers. */
  stream?: boolean;
  /** Ask for a JSON object and parse it into `response`. */
  json?: boolean;
}

export interface ApiCallOptions {
  url: Text;
  /** @default 'GET' */
  method?: HttpMethod;
  headers?: Record<string, Text>;
  query?: Record<string, Text | number | boolean>;
  body?: unknown;
  /** @default 'json' */
  bodyType?: 'json' | 'text';
  /** Timeout of the HTTP request itself. */
  requestTimeout?: DurationText;
  /** @default 1 MiB */
  maxResponseBytes?: number;
}

export interface NotificationOptions {
  /** A webhook URL; or use `channel`. */
  url?: Text;
  /** A channel configured on the worker. */
  channel?: string;
  message?: Text;
  payload?: unknown;
  headers?: Record<string, Text>;
}

export type TransformOptions = { expression: string; value?: never } | { value: unknown; expression?: never };

export interface ConditionOptions {
  /** A CEL expression yielding a bool. */
  condition: Expression;
  /** Steps that run only when the condition is true. */
  onTrue?: StepTarget | StepTarget[];
  /** Steps that run only when the condition is false. */
  onFalse?: StepTarget | StepTarget[];
}

export interface WaitForEventOptions<P = unknown> {
  /** A label for what the step waits for, shown in the run's status. @default the step id */
  event?: string;
  /** What the person (or system) is asked; references are rendered when the wait starts. */
  prompt?: Text;
  /** The payload's shape; an event whose payload does not fit is refused. @default any payload */
  schema?: EventSchema;
  /** How long to wait. @default none: until an event arrives or the run is cancelled */
  timeout?: DurationText;
  /** When `timeout` passes: fail the step (code `EventTimeout`) or take `default`. @default 'fail' */
  onTimeout?: 'fail' | 'default';
  /** With `onTimeout: 'default'`: the payload taken instead (it must fit `schema`). */
  default?: Value<P>;
}

export interface SubPipelineOptions {
  /** The saved pipeline's name. */
  pipeline: string;
  /** A saved version to pin. @default the version deployed (else the latest) when the step starts */
  version?: number;
  /** The child's inputs by input name; values may hold references. */
  inputs?: Record<string, Value>;
  /** The child's params by name; values may hold references. */
  params?: Record<string, Value>;
}

/**
 * What a map step runs for each item: one kind of step (`llm`, `apiCall`, `notification`,
 * `transform`, or a user's `action` with its `params`), with that step's own `retry` and
 * `timeout` (per item's attempt).
 */
export type MapItemSpec = (
  | { llm: LlmOptions }
  | { apiCall: ApiCallOptions }
  | { notification: NotificationOptions }
  | { transform: TransformOptions }
  | { action: string; params?: Record<string, unknown> }
) & {
  retry?: StepRetryOptions;
  /** Per-attempt timeout of each item's activity. */
  timeout?: DurationText;
};

/** Options of a map step, whichever it runs per item. `T` is the type of an item. */
export interface MapBaseOptions<T> {
  /** The list: usually a reference to a step's output, e.g. `fetch.body.at('documents')`. */
  items: Value<readonly T[]> | Ref<unknown>;
  /** Items in flight at once (1…500). @default 10 */
  concurrency?: number;
  /**
   * `'fail'`: an item that fails for good fails the step (items in flight are cancelled);
   * `'continue'`: its result is null and it is listed in `errors`. @default 'fail'
   */
  onItemFailure?: OnItemFailure;
}

/** A map step that runs a step for each item. */
export interface MapStepOptions<T> extends MapBaseOptions<T> {
  /** The step for one item; `item` and `index` are references, rendered per item. */
  each: (item: Ref<T>, index: Ref<number>) => MapItemSpec;
  pipeline?: never;
}

/** A map step that runs a saved pipeline for each item (a child run per item). */
export interface MapPipelineOptions<T> extends MapBaseOptions<T> {
  /** The saved pipeline's name. */
  pipeline: string;
  /** A saved version to pin. @default the version deployed (else the latest) when the step starts */
  version?: number;
  /** The child's inputs for one item, by input name. */
  inputs?: (item: Ref<T>, index: Ref<number>) => Record<string, Value>;
  /** The child's params for one item, by name. */
  params?: (item: Ref<T>, index: Ref<number>) => Record<string, Value>;
  each?: never;
}

/** Options of `map()`: `each` (a step per item) or `pipeline` (a saved pipeline per item). */
export type MapOptions<T> = MapStepOptions<T> | MapPipelineOptions<T>;
