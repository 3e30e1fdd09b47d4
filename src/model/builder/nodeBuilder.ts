/** `pipeline.add({ name })`: the node builder whose methods, one per node kind, emit the step and return its handle. */
import type { StepDefinition } from '../definition/definition';
import type { OutputType } from '../kinds/catalog';
import { APPROVAL_SCHEMA } from '../definition/eventSchema';
import { Ref, serialiseValue } from './refs';
import type { DurationText, InputTypeFor, OutputValueFor, Text, ValueOfType } from './valueTypes';
import type {
  AddOptions,
  ApiCallOptions,
  ConditionOptions,
  LlmOptions,
  MapOptions,
  NotificationOptions,
  SubPipelineOptions,
  TransformOptions,
  WaitForEventOptions,
} from './options';
import type {
  ApiCallHandle,
  ApprovalHandle,
  ApprovalPayload,
  ConditionHandle,
  EventHandle,
  InputHandle,
  LlmHandle,
  LogHandle,
  MapHandle,
  NotificationHandle,
  StepHandle,
  SubPipelineHandle,
  ValueHandle,
} from './handles';
import {
  apiCallParams,
  budgetConfig,
  compact,
  expressionSource,
  llmParams,
  mapItemStep,
  retryConfig,
  stepIdFromName,
  targetId,
  targets,
  transformParams,
  type BuiltStep,
} from './stepParams';

/** Where a node builder puts the step it emits (the pipeline builder). */
export interface StepSink {
  /** Puts a step in place of one with the same name (or id), else at the end. */
  putStep(built: BuiltStep): void;
}

/** One `add()`: choose the node's kind to put it in the pipeline and get its handle. */
export class NodeBuilder<Inputs, N extends string> {
  /** @internal `pipeline.add()` makes node builders. */
  constructor(
    private readonly pipeline: StepSink,
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
