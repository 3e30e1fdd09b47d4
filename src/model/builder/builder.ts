/**
 * The typed fluent builder: pipelines written in code compile to the same `steps` document as
 * JSON/YAML ones. `pipeline.add({ name }).llm({ … })` returns a node handle whose fields are
 * {@link Ref}s; a Ref placed in another node's params becomes the template
 * `{{ steps.<id>.output.<field> }}`, so dependencies follow from use.
 *
 * Pure: no I/O. The client's `Pipeline` adds saving and running on top.
 */
import type { OnLimit } from '../limits/concurrency';
import type { ChatMessage, HttpMethod, OutputType } from '../kinds/catalog';
import type {
  ParamDeclaration,
  ParamType,
  PipelineDefinitionInput,
  StepDefinition,
} from '../definition/definition';
import { APPROVAL_SCHEMA, type EventSchema } from '../definition/eventSchema';
import type { MapItemError, OnItemFailure } from '../plan/mapItems';
import type { TokenUsage } from '../kinds/nodeRun';
import { escapeTemplateText } from '../expressions/templates';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The keys `ref.at()` accepts for a value of type T. */
export type RefKey<T> = unknown extends T
  ? string | number
  : T extends readonly unknown[]
    ? number
    : T extends object
      ? keyof T & (string | number)
      : never;
/** The type of `T[K]` as seen through {@link RefKey}. */
export type RefValue<T, K> = unknown extends T
  ? unknown
  : T extends readonly (infer E)[]
    ? E
    : K extends keyof T
      ? T[K]
      : never;

/**
 * A reference to a value that exists only while the pipeline runs (a step's output, a param).
 * In params it serialises to the template `{{ <expression> }}`, which keeps the value's type when
 * it is the whole param and interpolates as text inside a longer string.
 */
export class Ref<T = unknown> {
  /** Phantom: the type of the referenced value. */
  declare readonly valueType?: T;

  /** @param expression The CEL expression that reads the value, e.g. `steps.llm.output.response`. */
  constructor(readonly expression: string) {}

  /** A reference to a field or element: `ref.at('items').at(0)`. */
  at<K extends RefKey<T>>(key: K): Ref<RefValue<T, K>> {
    const access =
      typeof key === 'number' ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    return new Ref(`${this.expression}${access}`);
  }

  /** The same reference with a type you assert (for outputs with no fixed shape). */
  as<U>(): Ref<U> {
    return new Ref<U>(this.expression);
  }

  /** The template this reference is written as in a definition. */
  toString(): string {
    return `{{ ${this.expression} }}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Text composed with {@link template}: literal text and references. */
export class Template {
  constructor(readonly source: string) {}

  toString(): string {
    return this.source;
  }

  toJSON(): string {
    return this.source;
  }
}

/** What {@link template} accepts between `${ }`. */
export type Interpolation = Ref<unknown> | Template | string | number | boolean;

/**
 * Composes text from references: `` template`Summarise ${doc.value} in ${words} words` ``.
 * References become `{{ }}` templates; plain values are inserted as text, with any `{{` or `}}`
 * they contain escaped so data can never become a template.
 */
export function template(strings: TemplateStringsArray, ...values: Interpolation[]): Template {
  let source = strings[0] ?? '';
  values.forEach((value, i) => {
    source += interpolate(value) + (strings[i + 1] ?? '');
  });
  return new Template(source);
}

function interpolate(value: Interpolation): string {
  if (value instanceof Ref || value instanceof Template) return value.toString();
  return escapeTemplateText(String(value));
}

/** A duration written with its unit, e.g. `"500ms"`, `"30s"`, `"5m"`, `"2h"`, `"1d"`. */
export type DurationText = `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

/** Text params: a string (which may hold `{{ }}` templates), a string reference or a {@link template}. */
export type Text = string | Ref<string> | Template;
/** A CEL expression param: source text, or a boolean reference. */
export type Expression = string | Ref<boolean>;
/** A value that may contain references anywhere inside it. */
export type Value<T = unknown> = T | Ref<T> | Template;

/** What an input's declared type admits, and what its reference yields. */
export type ValueOfType<T extends OutputType> = T extends 'string' | 'stream<string>'
  ? string
  : T extends 'number' | 'integer'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'object'
        ? Record<string, unknown>
        : T extends 'array'
          ? unknown[]
          : unknown;

/** The declared types a value type admits (all of them for `unknown`). */
export type TypeNameOf<V> = unknown extends V
  ? ParamType
  : V extends string
    ? 'string' | 'any'
    : V extends number
      ? 'number' | 'integer' | 'any'
      : V extends boolean
        ? 'boolean' | 'any'
        : V extends readonly unknown[]
          ? 'array' | 'any'
          : V extends object
            ? 'object' | 'any'
            : 'any';

/** Input types allowed for an input node named N, given the pipeline's declared `Inputs`. */
export type InputTypeFor<Inputs, N extends string> = N extends keyof Inputs ? TypeNameOf<Inputs[N]> : never;

/** What an output node's value may be, given its declared type. */
export type OutputValueFor<T extends OutputType> = T extends 'string'
  ? Text
  : T extends 'stream<string>'
    ? Ref<string>
    : T extends 'number' | 'integer'
      ? number | Ref<number>
      : T extends 'boolean'
        ? boolean | Ref<boolean>
        : T extends 'array'
          ? readonly unknown[] | Ref<readonly unknown[]>
          : T extends 'object'
            ? object
            : unknown;

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

const budgetConfig = (b: BudgetOptions) => compact({ max_tokens: b.maxTokens, max_cost: b.maxCost });

const retryConfig = (r: StepRetryOptions) =>
  compact({
    max_attempts: r.maxAttempts,
    backoff_multiplier: r.backoffMultiplier,
    initial_interval: r.initialInterval,
    max_interval: r.maxInterval,
    non_retryable_errors: r.nonRetryableErrors,
  });

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

/** What every node handle has. */
export interface StepHandle {
  readonly id: string;
  readonly name: string;
  /** The step's status while the run goes on (`completed`, `skipped`, …). */
  readonly status: Ref<string>;
}

export type InputHandle<V> = StepHandle & { readonly value: Ref<V> } & (V extends string
    ? { /** The input's text (same as `value`). */ readonly text: Ref<string> }
    : unknown);

export interface LlmHandle extends StepHandle {
  /** The model's answer (parsed JSON when `json: true`). */
  readonly response: Ref<string>;
  readonly usage: Ref<TokenUsage>;
  readonly model: Ref<string>;
  readonly finishReason: Ref<string>;
}

export interface ApiCallHandle<Body = unknown> extends StepHandle {
  readonly status: Ref<string>;
  /** The HTTP status code. */
  readonly httpStatus: Ref<number>;
  readonly ok: Ref<boolean>;
  readonly headers: Ref<Record<string, string>>;
  readonly body: Ref<Body>;
}

export interface NotificationHandle extends StepHandle {
  readonly httpStatus: Ref<number>;
  readonly delivered: Ref<boolean>;
}

export interface ConditionHandle extends StepHandle {
  readonly result: Ref<boolean>;
}

export interface ValueHandle<T> extends StepHandle {
  /** The step's whole output. */
  readonly output: Ref<T>;
}

export interface LogHandle extends StepHandle {
  readonly message: Ref<string>;
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

/** A `pipeline` step: another saved pipeline run as a child (see {@link SubPipelineOptions}). */
export interface SubPipelineHandle<O = Record<string, unknown>> extends StepHandle {
  /** The whole output: `{ outputs, executionId, version }`. */
  readonly output: Ref<{ outputs: O; executionId: string; version: number }>;
  /** The child run's `result().outputs`. */
  readonly outputs: Ref<O>;
  /** The child run's execution id (`<this run's id>/<step id>`). */
  readonly executionId: Ref<string>;
  /** The saved version the child ran. */
  readonly version: Ref<number>;
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

/** A `wait_for_event` step: its output's fields (see `WaitForEventOutput`). */
export interface EventHandle<P = unknown> extends StepHandle {
  /** The whole output: `{ payload, timedOut, receivedAt, by }`. */
  readonly output: Ref<{ payload: P; timedOut: boolean; receivedAt: string | null; by: string | null }>;
  /** The event's payload (or the default, when it timed out). */
  readonly payload: Ref<P>;
  /** No event arrived in time and the default was taken. */
  readonly timedOut: Ref<boolean>;
  /** When the event was accepted (ISO); null when it timed out. */
  readonly receivedAt: Ref<string | null>;
  /** Who sent the event, when the sender said; else null. */
  readonly by: Ref<string | null>;
}

/** The payload of an approval (see `APPROVAL_SCHEMA`). */
export interface ApprovalPayload {
  approved: boolean;
  comment?: string;
  by?: string;
}

export interface ApprovalHandle extends EventHandle<ApprovalPayload> {
  /** The decision: `payload.approved` (a boolean; use it as a `condition`). */
  readonly approved: Ref<boolean>;
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

/** A `map` step: `R` is what one item yields (an item step's output, or a child run's outputs). */
export interface MapHandle<R = unknown> extends StepHandle {
  /** The whole output: `{ results, errors, executionId }`. */
  readonly output: Ref<{ results: (R | null)[]; errors: MapItemError[]; executionId: string }>;
  /** One result per item, in the items' order (null for an item that failed, with `onItemFailure: 'continue'`). */
  readonly results: Ref<R[]>;
  /** The items that failed for good, by index (only with `onItemFailure: 'continue'`). */
  readonly errors: Ref<MapItemError[]>;
  /** The map workflow's execution id (`<this run's id>/<step id>`). */
  readonly executionId: Ref<string>;
}

interface BuiltStep {
  name: string;
  step: StepDefinition;
}

/** Turns references and templates anywhere inside a value into their template strings. */
export function serialiseValue(value: unknown): unknown {
  if (value instanceof Ref || value instanceof Template) return value.toString();
  if (Array.isArray(value)) return value.map(serialiseValue);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = serialiseValue(v);
    return out;
  }
  return value;
}

const expressionSource = (e: Expression): string => (e instanceof Ref ? e.expression : e);
const targetId = (t: StepTarget): string => (typeof t === 'string' ? t : t.id);
const targets = (t: StepTarget | StepTarget[]): string[] => (Array.isArray(t) ? t : [t]).map(targetId);

const cloneJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** A valid step id from a node name: `'My LLM'` → `My_LLM`. */
export function stepIdFromName(name: string): string {
  if (IDENTIFIER.test(name)) return name;
  const id = name.replace(/[^A-Za-z0-9_]+/g, '_').slice(0, 64);
  return /^[A-Za-z_]/.test(id) ? id : `_${id}`.slice(0, 64);
}

/** Drops undefined fields so the document holds only what was written. */
function compact<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

const llmParams = (o: LlmOptions) => ({
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

const apiCallParams = (o: ApiCallOptions) => ({
  url: o.url,
  method: o.method,
  headers: o.headers,
  query: o.query,
  body: o.body,
  body_type: o.bodyType,
  timeout: o.requestTimeout,
  max_response_bytes: o.maxResponseBytes,
});

const transformParams = (o: TransformOptions) => ({ expression: o.expression, value: o.value });

/** A map's item step (`action` and `params`) from what `each` returned. */
function mapItemStep(spec: MapItemSpec): { action: string; params?: Record<string, unknown> } {
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

/** One `add()`: choose the node's kind to put it in the pipeline and get its handle. */
export class NodeBuilder<Inputs, N extends string> {
  constructor(
    private readonly pipeline: PipelineBuilder<Inputs>,
    private readonly options: AddOptions<N>,
  ) {}

  private get id(): string {
    return this.options.id ?? stepIdFromName(this.options.name);
  }

  private put(action: string, params: Record<string, unknown>): StepHandle {
    const o = this.options;
    const step = compact({
      id: this.id,
      action,
      params: serialiseValue(compact(params)) as Record<string, unknown>,
      depends_on: o.dependsOn?.map(targetId),
      retry: o.retry && retryConfig(o.retry),
      condition: o.condition === undefined ? undefined : expressionSource(o.condition),
      timeout: o.timeout,
      allow_failure: o.allowFailure,
      budget: o.budget && budgetConfig(o.budget),
      description: o.description,
    }) as StepDefinition;
    this.pipeline.putStep({ name: o.name, step });
    return { id: this.id, name: o.name, status: new Ref(`steps.${this.id}.status`) };
  }

  private field<T>(name: string): Ref<T> {
    return new Ref<T>(`steps.${this.id}.output.${name}`);
  }

  /** An input of the run, read from `start({ inputs: { [name]: … } })`. */
  input<T extends InputTypeFor<Inputs, N>>(options: {
    inputType: T;
    /** @default true */
    required?: boolean;
    default?: ValueOfType<T>;
  }): InputHandle<ValueOfType<T>> {
    const base = this.put('input', {
      name: this.options.name === this.id ? undefined : this.options.name,
      type: options.inputType,
      required: options.required,
      default: options.default,
    });
    const value = this.field<ValueOfType<T>>('value');
    return { ...base, value, text: value } as unknown as InputHandle<ValueOfType<T>>;
  }

  /** Calls a language model. */
  llm(options: LlmOptions): LlmHandle {
    const base = this.put('llm', llmParams(options));
    return {
      ...base,
      response: this.field('response'),
      usage: this.field('usage'),
      model: this.field('model'),
      finishReason: this.field('finishReason'),
    };
  }

  /** Makes an HTTP request. `Body` is the type you expect the response body to have. */
  apiCall<Body = unknown>(options: ApiCallOptions): ApiCallHandle<Body> {
    const base = this.put('api_call', apiCallParams(options));
    return {
      ...base,
      httpStatus: this.field('status'),
      ok: this.field('ok'),
      headers: this.field('headers'),
      body: this.field('body'),
    };
  }

  /** Posts to a webhook URL or a channel configured on the worker. */
  notification(options: NotificationOptions): NotificationHandle {
    const base = this.put('notification', { ...options });
    return { ...base, httpStatus: this.field('status'), delivered: this.field('delivered') };
  }

  /** Computes a value: a CEL `expression`, or a `value` whose strings may hold references. */
  transform<T = unknown>(options: TransformOptions): ValueHandle<T> {
    const base = this.put('transform', transformParams(options));
    return { ...base, output: new Ref<T>(`steps.${this.id}.output`) };
  }

  /** Evaluates a condition; `onTrue` / `onFalse` steps run only on their branch. */
  condition(options: ConditionOptions): ConditionHandle {
    const base = this.put('condition', {
      condition: expressionSource(options.condition),
      on_true: options.onTrue === undefined ? undefined : targets(options.onTrue),
      on_false: options.onFalse === undefined ? undefined : targets(options.onFalse),
    });
    return { ...base, result: this.field('result') };
  }

  /** Writes a message to the run's log. */
  log(options: { message: Text; level?: 'debug' | 'info' | 'warn' | 'error' }): LogHandle {
    const base = this.put('log', { ...options });
    return { ...base, message: this.field('message') };
  }

  /** Waits on a durable timer. */
  delay(options: { duration: DurationText }): StepHandle {
    return this.put('delay', { ...options });
  }

  /**
   * Pauses the run until an event for this step arrives (`client.executions.signal(id, { node,
   * payload })` or `run.sendEvent(node, payload)`) or `timeout` passes. `P` types the payload.
   * @example
   * const review = pipeline.add({ name: 'review' }).waitForEvent<{ score: number }>({
   *   prompt: template`Score this draft: ${draft.response}`,
   *   schema: { type: 'object', properties: { score: { type: 'integer' } }, required: ['score'] },
   *   timeout: '2d',
   * });
   */
  waitForEvent<P = unknown>(options: WaitForEventOptions<P> = {}): EventHandle<P> {
    const base = this.put('wait_for_event', {
      event: options.event,
      prompt: options.prompt,
      schema: options.schema,
      timeout: options.timeout,
      on_timeout: options.onTimeout,
      default: options.default,
    });
    return {
      ...base,
      output: new Ref(`steps.${this.id}.output`),
      payload: this.field('payload'),
      timedOut: this.field('timedOut'),
      receivedAt: this.field('receivedAt'),
      by: this.field('by'),
    };
  }

  /**
   * A `wait_for_event` step whose payload is an approval, `{ approved: boolean, comment?, by? }`
   * ({@link APPROVAL_SCHEMA}); `approved` reads the decision.
   * @example
   * const approve = pipeline.add({ name: 'approve' }).approval({ prompt: template`Publish? ${draft.response}`, timeout: '3d' });
   * pipeline.add({ name: 'publish', condition: approve.approved }).notification({ channel: 'blog', message: draft.response });
   */
  approval(options: Omit<WaitForEventOptions<ApprovalPayload>, 'schema'> = {}): ApprovalHandle {
    const handle = this.waitForEvent<ApprovalPayload>({
      event: 'approval',
      ...options,
      schema: APPROVAL_SCHEMA,
    });
    return { ...handle, approved: handle.payload.at('approved') };
  }

  /**
   * Runs another saved pipeline as a child run; its outputs become this step's `outputs`. `O`
   * types them. Cancelling the run cancels the child; terminating it terminates the child.
   * @example
   * const summary = pipeline.add({ name: 'summary' }).subPipeline<{ text: string }>({
   *   pipeline: 'summarize',
   *   inputs: { document: doc.value },
   * });
   * pipeline.add({ name: 'out' }).output({ value: summary.outputs.at('text') });
   */
  subPipeline<O = Record<string, unknown>>(options: SubPipelineOptions): SubPipelineHandle<O> {
    const base = this.put('pipeline', {
      pipeline: options.pipeline,
      version: options.version,
      inputs: options.inputs,
      params: options.params,
    });
    return {
      ...base,
      output: new Ref(`steps.${this.id}.output`),
      outputs: this.field('outputs'),
      executionId: this.field('executionId'),
      version: this.field('version'),
    };
  }

  /**
   * A value of the run's result: `result().outputs[name]`. `outputType` types `value`.
   * `'stream<string>'` with `value: llm.response` of an llm step with `stream: true` streams that
   * step's tokens under this output's name; the output holds the final string at the end.
   */
  output<T extends OutputType = 'any'>(options: {
    outputType?: T;
    value: OutputValueFor<T>;
  }): ValueHandle<ValueOfType<T>> {
    const base = this.put('output', {
      name: this.options.name === this.id ? undefined : this.options.name,
      type: options.outputType,
      value: options.value,
    });
    return { ...base, output: new Ref(`steps.${this.id}.output`) };
  }

  /**
   * Runs a step (`each`) or a saved pipeline (`pipeline`) once for each element of `items`, at
   * most `concurrency` at a time, in a child workflow of its own; `results` holds one output per
   * item, in the items' order. `item` and `index` are references to the current item and its
   * 0-based index, rendered per item. `T` types an item, `R` what one item yields.
   *
   * @throws TypeError when `each` returns none, or more than one, of `llm`, `apiCall`,
   *   `notification`, `transform` and `action`.
   * @example
   * const summaries = pipeline.add({ name: 'summaries' }).map<{ text: string }, string>({
   *   items: fetch.body.at('documents'),
   *   concurrency: 5,
   *   each: (item, index) => ({
   *     llm: { prompt: template`Summarise document ${index}: ${item.at('text')}`, maxTokens: 200 },
   *     retry: { maxAttempts: 5 },
   *   }),
   * });
   * pipeline.add({ name: 'out' }).output({ value: summaries.results });
   */
  map<T = unknown, R = unknown>(options: MapOptions<T>): MapHandle<R> {
    const item = new Ref<T>('item');
    const index = new Ref<number>('index');
    const common = {
      items: options.items,
      concurrency: options.concurrency,
      on_item_failure: options.onItemFailure,
    };
    let params: Record<string, unknown>;
    if (options.pipeline !== undefined) {
      params = {
        ...common,
        pipeline: options.pipeline,
        version: options.version,
        inputs: options.inputs?.(item, index),
        params: options.params?.(item, index),
      };
    } else {
      const spec = options.each(item, index);
      params = {
        ...common,
        step: {
          ...mapItemStep(spec),
          retry: spec.retry && retryConfig(spec.retry),
          timeout: spec.timeout,
        },
      };
    }
    const base = this.put('map', params);
    return {
      ...base,
      output: new Ref(`steps.${this.id}.output`),
      results: this.field('results'),
      errors: this.field('errors'),
      executionId: this.field('executionId'),
    };
  }

  /** One of your own actions, registered on the worker under `action`. `T` types its output. */
  action<T = unknown>(action: string, params: Record<string, unknown> = {}): ValueHandle<T> {
    const base = this.put(action, params);
    return { ...base, output: new Ref<T>(`steps.${this.id}.output`) };
  }
}

/**
 * Builds a pipeline document in code.
 *
 * `Inputs` declares the run's inputs by input-node name; with it, an input node whose type does
 * not match, or a `start()` with a wrong input, does not compile.
 */
export class PipelineBuilder<Inputs = Record<string, unknown>> {
  private readonly steps: BuiltStep[] = [];
  private readonly params: Record<string, ParamDeclaration> = {};
  private failFast: boolean | undefined;
  private concurrency: { max_concurrent_runs?: number; on_limit?: OnLimit } = {};
  private budget: BudgetOptions | undefined;

  constructor(
    readonly name: string,
    public description?: string,
  ) {}

  /** Starts a node: `pipeline.add({ name: 'llm' }).llm({ … })`. */
  add<N extends string>(options: AddOptions<N>): NodeBuilder<Inputs, N> {
    return new NodeBuilder(this, options);
  }

  /** @internal Puts a step in place of one with the same name (or id), else at the end. */
  putStep(built: BuiltStep): void {
    const at = this.steps.findIndex((s) => s.name === built.name || s.step.id === built.step.id);
    if (at === -1) this.steps.push(built);
    else this.steps[at] = built;
  }

  /** Removes the node with this name; true if there was one. */
  remove(name: string): boolean {
    const at = this.steps.findIndex((s) => s.name === name);
    if (at !== -1) this.steps.splice(at, 1);
    return at !== -1;
  }

  /** Node names, in the order they were added. */
  get nodeNames(): string[] {
    return this.steps.map((s) => s.name);
  }

  /** Declares a run param (`start({ params })`) and returns a reference to it. */
  param<T extends ParamType = 'any'>(
    name: string,
    declaration: { type?: T; required?: boolean; default?: ValueOfType<T>; description?: string } = {},
  ): Ref<ValueOfType<T>> {
    this.params[name] = compact({ ...declaration, type: declaration.type ?? 'any' });
    return new Ref(`params.${name}`);
  }

  /** Cancel the nodes in flight as soon as one fails for good. */
  setFailFast(failFast: boolean): this {
    this.failFast = failFast;
    return this;
  }

  /**
   * At most `maxConcurrentRuns` runs of this pipeline execute at once (across all workers and
   * clients); at the limit a run waits as `pending`, or with `onLimit: 'reject'` its `start`
   * throws `RateLimitError`. The definition's `max_concurrent_runs` / `on_limit`.
   */
  setConcurrencyLimit(maxConcurrentRuns: number, onLimit?: OnLimit): this {
    this.concurrency = compact({ max_concurrent_runs: maxConcurrentRuns, on_limit: onLimit });
    return this;
  }

  /**
   * The run's token / cost budget over its llm steps (`budget` in the definition): once it is used
   * up, llm steps not started yet fail with `BudgetExceeded`. A run's own `budget` option
   * overrides it field by field. `undefined` removes it.
   * @example pipeline.setBudget({ maxTokens: 50_000, maxCost: 0.5 })
   */
  setBudget(budget: BudgetOptions | undefined): this {
    this.budget = budget && { ...budget };
    return this;
  }

  /** The definition document, as JSON/YAML authors would write it. */
  get definition(): PipelineDefinitionInput {
    return compact({
      name: this.name,
      description: this.description,
      params: Object.keys(this.params).length > 0 ? { ...this.params } : undefined,
      fail_fast: this.failFast,
      ...this.concurrency,
      budget: this.budget && budgetConfig(this.budget),
      steps: this.steps.map((s) => cloneJson(s.step)),
    });
  }

  toJSON(): PipelineDefinitionInput {
    return this.definition;
  }

  /** @internal Replaces this builder's content with a document's (used when fetching). */
  protected load(document: PipelineDefinitionInput): void {
    this.steps.length = 0;
    for (const step of document.steps) {
      const named =
        (step.action === 'input' || step.action === 'output') && typeof step.params?.name === 'string';
      this.steps.push({ name: named ? (step.params!.name as string) : step.id, step: cloneJson(step) });
    }
    for (const key of Object.keys(this.params)) delete this.params[key];
    Object.assign(this.params, document.params ?? {});
    this.failFast = document.fail_fast;
    this.concurrency = compact({
      max_concurrent_runs: document.max_concurrent_runs,
      on_limit: document.on_limit,
    });
    this.budget = document.budget && {
      maxTokens: document.budget.max_tokens,
      maxCost: document.budget.max_cost,
    };
    this.description = document.description ?? this.description;
  }
}
