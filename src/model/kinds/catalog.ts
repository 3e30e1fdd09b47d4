/**
 * The built-in node kinds: where each runs, the params it takes and the output fields it
 * produces. The params schemas describe *rendered* params (templates already replaced); the
 * compiler checks written params against them while tolerating template strings (see compiler.ts).
 */
import { z } from 'zod';
import { boundedDuration, ParamType, RetryConfig, StepId } from '../definition/definition';
import { DEFAULT_MAP_CONCURRENCY, MAX_MAP_CONCURRENCY, MAX_MAP_ITEMS } from '../plan/mapItems';
import { DURATION_LIMITS, durationToMs } from '../definition/duration';
import { checkEventPayload, type EventSchema } from '../definition/eventSchema';
import { valueMatchesType } from '../plan/runValues';
import type { BuiltinKind, NodeExecution, NodeKind } from '../plan/plan';
import type { KindDefaults } from '../plan/planWire';
import { BUILTIN_KINDS } from '../plan/plan';
import { PARAM_ROLES, type ParamRoles } from './paramRoles';
import { isRecord } from '../util/records';

export { isTemplateParam, type ParamRoles } from './paramRoles';

/** What the compiler and the interpreter need to know about a node kind. */
export interface KindSpec extends ParamRoles {
  /** `inline` in the workflow, `activity`, or a durable `timer`. */
  readonly execution: NodeExecution;
  /** Schema of the rendered params. */
  readonly params: z.ZodType;
  /** Defaults merged under the written params in the plan. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** The fields of the node's output object, or `'any'` when its output has no fixed shape. */
  readonly outputs: readonly string[] | 'any';
  /** Default start-to-close timeout for activity kinds, ms. */
  readonly defaultTimeoutMs?: number;
  readonly description: string;
}

/** Run cross-field refinements even when a field failed (e.g. it holds a template). */
const always = { when: () => true } as const;

export const InputParams = z
  .strictObject({
    /** The key read from the run's inputs. @default the step id */
    name: z.string().min(1).max(128).optional(),
    /** @default 'any' */
    type: ParamType.optional(),
    /** @default true */
    required: z.boolean().optional(),
    default: z.unknown().optional(),
  })
  .refine(
    (v) =>
      !isRecord(v) ||
      v.default === undefined ||
      valueMatchesType(v.default, ParamType.catch('any').parse(v.type)),
    { message: 'default does not match the declared type', path: ['default'], ...always },
  );
export type InputParams = z.infer<typeof InputParams>;

/** What an `output` step's `type` may be: a param type, or `stream<string>` (see {@link OutputParams}). */
export const OutputType = z.union([ParamType, z.literal('stream<string>')]);
export type OutputType = z.infer<typeof OutputType>;

export const OutputParams = z
  .strictObject({
    /** The output's value; strings may hold templates, objects and arrays are rendered deeply. */
    value: z.unknown(),
    /** The key in `result().outputs`. @default the step id */
    name: z.string().min(1).max(128).optional(),
    /**
     * The type the rendered value must have; a mismatch fails the step. `stream<string>`: a
     * string that is streamed while it is produced — with a value of exactly
     * `{{ steps.<llm>.output.response }}` for an llm step with `stream: true`, that step's tokens
     * are streamed under this output's name; the output holds the final string at the end.
     * @default 'any'
     */
    type: OutputType.optional(),
  })
  .refine((v) => isRecord(v) && v.value !== undefined, {
    message: 'value is required',
    path: ['value'],
    ...always,
  });
export type OutputParams = z.infer<typeof OutputParams>;

export const ChatMessage = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const LlmParams = z
  .strictObject({
    /** @default 'openai' */
    provider: z.string().min(1).optional(),
    /** @default the worker's `defaultModel` for the provider */
    model: z.string().min(1).optional(),
    prompt: z.string().optional(),
    system: z.string().optional(),
    messages: z.array(ChatMessage).min(1).optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    stream: z.boolean().optional(),
    json: z.boolean().optional(),
  })
  .refine((v) => isRecord(v) && (v.prompt !== undefined || v.messages !== undefined), {
    message: 'an llm step needs a prompt or messages',
    ...always,
  });
export type LlmParams = z.infer<typeof LlmParams>;

export const HttpMethod = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);
export type HttpMethod = z.infer<typeof HttpMethod>;

export const ApiCallParams = z.strictObject({
  url: z.string().regex(/^https?:\/\/\S+$/i, 'an http:// or https:// URL'),
  /** @default 'GET' */
  method: HttpMethod.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  body: z.unknown().optional(),
  /** @default 'json' */
  body_type: z.enum(['json', 'text']).optional(),
  /** Timeout of the HTTP request itself, at most 1 day. */
  timeout: boundedDuration(DURATION_LIMITS.requestTimeout).optional(),
  /** @default 1048576 (1 MiB) */
  max_response_bytes: z.number().int().positive().optional(),
});
export type ApiCallParams = z.infer<typeof ApiCallParams>;

export const NotificationParams = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/i, 'an http:// or https:// URL')
      .optional(),
    channel: z.string().min(1).optional(),
    message: z.string().optional(),
    payload: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .refine((v) => isRecord(v) && (v.url !== undefined || v.channel !== undefined), {
    message: 'a notification step needs a url or a channel',
    ...always,
  });
export type NotificationParams = z.infer<typeof NotificationParams>;

export const TransformParams = z
  .strictObject({
    /** A CEL expression whose value is the output. */
    expression: z.string().min(1).max(4096).optional(),
    /** A JSON value whose strings may hold templates. */
    value: z.unknown().optional(),
  })
  .refine((v) => isRecord(v) && (v.expression === undefined) !== (v.value === undefined), {
    message: 'a transform step needs exactly one of expression or value',
    ...always,
  });
export type TransformParams = z.infer<typeof TransformParams>;

const BranchTargets = z.union([StepId, z.array(StepId).min(1)]);

export const ConditionParams = z.strictObject({
  /** A CEL expression that must yield a bool. */
  condition: z.string().min(1).max(4096),
  on_true: BranchTargets.optional(),
  on_false: BranchTargets.optional(),
});
export type ConditionParams = z.infer<typeof ConditionParams>;

export const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);
export const LogParams = z.strictObject({
  message: z.string(),
  /** @default 'info' */
  level: LogLevel.optional(),
});
export type LogParams = z.infer<typeof LogParams>;

/** At most 365 days (`DURATION_LIMITS.delay`). */
export const DelayParams = z.strictObject({ duration: boundedDuration(DURATION_LIMITS.delay) });
export type DelayParams = z.infer<typeof DelayParams>;

const FIELD_NAME = z.string().min(1).max(128);

/**
 * The zod form of {@link EventSchema} (a `wait_for_event` step's `schema`), with its cross-field
 * rules (`properties` / `required` only for objects, `items` only for arrays, every `required`
 * field in `properties`) reported at their paths.
 */
export const EventSchemaParam: z.ZodType<EventSchema> = z.lazy(() =>
  z
    .strictObject({
      type: ParamType,
      properties: z.record(FIELD_NAME, EventSchemaParam).optional(),
      required: z.array(FIELD_NAME).optional(),
      items: EventSchemaParam.optional(),
      description: z.string().max(4096).optional(),
    })
    .superRefine((schema, ctx) => {
      if (schema.type !== 'object') {
        for (const key of ['properties', 'required'] as const) {
          if (schema[key] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `'${key}' applies only to type 'object' (this schema's type is '${schema.type}')`,
            });
          }
        }
      }
      if (schema.type !== 'array' && schema.items !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['items'],
          message: `'items' applies only to type 'array' (this schema's type is '${schema.type}')`,
        });
      }
      (schema.required ?? []).forEach((name, i) => {
        if (!Object.hasOwn(schema.properties ?? {}, name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['required', i],
            message: `required field '${name}' is not in properties`,
          });
        }
      });
    }),
);

/** What a `wait_for_event` step does when its `timeout` passes with no event. */
export const OnTimeout = z.enum(['fail', 'default']);
export type OnTimeout = z.infer<typeof OnTimeout>;

export const WaitForEventParams = z
  .strictObject({
    /** A label for what the step waits for, shown in the run's status. @default the step id */
    event: z.string().min(1).max(128).optional(),
    /** What the person (or system) is asked; templates are rendered when the wait starts. */
    prompt: z.string().max(16_384).optional(),
    /** The payload's shape; an event whose payload does not fit is rejected. @default { type: 'any' } */
    schema: EventSchemaParam.optional(),
    /** How long to wait, at most 365 days. @default none: wait until an event arrives or the run is cancelled */
    timeout: boundedDuration(DURATION_LIMITS.eventTimeout).optional(),
    /** When `timeout` passes: `fail` (code `EventTimeout`) or `default` (the step completes with `default`). @default 'fail' */
    on_timeout: OnTimeout.optional(),
    /** With `on_timeout: 'default'`: the payload used instead; must fit `schema`. */
    default: z.unknown().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.timeout !== undefined && durationToMs(v.timeout) <= 0) {
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'timeout must be longer than 0' });
    }
    if (v.on_timeout !== undefined && v.timeout === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['on_timeout'],
        message: 'on_timeout applies only with a timeout (without one the step waits until an event arrives)',
      });
    }
    if (v.on_timeout === 'default' && v.default === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: "on_timeout: 'default' needs a default payload",
      });
    }
    if (v.default !== undefined && v.on_timeout !== 'default') {
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: "default is used only with on_timeout: 'default'",
      });
    }
    if (v.default !== undefined && v.schema !== undefined) {
      for (const issue of checkEventPayload(v.schema, v.default)) {
        ctx.addIssue({
          code: 'custom',
          path: ['default', ...issue.path],
          message: `the default does not fit the schema: ${issue.message.replace(/^payload/, 'default')}`,
        });
      }
    }
  });
export type WaitForEventParams = z.infer<typeof WaitForEventParams>;

/** The output of a `wait_for_event` step. */
export interface WaitForEventOutput {
  /** The event's payload, or the `default` when the step timed out with `on_timeout: 'default'`. */
  payload: unknown;
  /** True when no event arrived in time and `default` was taken. */
  timedOut: boolean;
  /** When the event was accepted (ISO, workflow time); null when the step timed out. */
  receivedAt: string | null;
  /** Who sent the event, when the sender said (`sendEvent`'s `by`); else null. */
  by: string | null;
}

export const SubPipelineParams = z.strictObject({
  /** The saved pipeline's name (as given to `client.pipelines.save`). */
  pipeline: z.string().min(1).max(128),
  /** The saved version to run. @default the version deployed (else the latest) when the step starts */
  version: z.number().int().positive().optional(),
  /** The child's inputs, keyed by its input names; strings may hold templates, rendered deeply. */
  inputs: z.record(z.string(), z.unknown()).optional(),
  /** The child's params, keyed by its param names; strings may hold templates, rendered deeply. */
  params: z.record(z.string(), z.unknown()).optional(),
});
export type SubPipelineParams = z.infer<typeof SubPipelineParams>;

/** A map step's per-item step: a step without id, dependencies, condition or budget. */
export const MapItemStep = z.strictObject({
  /** `llm`, `api_call`, `notification`, `transform`, or a user's action. */
  action: z.string().min(1).max(128),
  /** The step's params; templates may read `item` and `index` besides steps, params and inputs. */
  params: z.record(z.string(), z.unknown()).optional(),
  retry: RetryConfig.optional(),
  /** Per-attempt timeout of each item's activity, at most 30 days. */
  timeout: boundedDuration(DURATION_LIMITS.stepTimeout).optional(),
  description: z.string().optional(),
});
export type MapItemStep = z.infer<typeof MapItemStep>;

export const MapParams = z
  .strictObject({
    /** The list: usually one template, e.g. `{{ steps.fetch.output.body.documents }}`. */
    items: z.union([z.array(z.unknown()).max(MAX_MAP_ITEMS), z.string()]),
    /** Items in flight at once. @default 10 */
    concurrency: z.number().int().min(1).max(MAX_MAP_CONCURRENCY).optional(),
    /**
     * The most the outputs of all items may add up to (bytes of JSON): they travel in one Temporal
     * payload, so more fails the step with `MapOutputTooLarge` as soon as it is passed. Raise it
     * only when the worker and client use the claim check. @default 2031616 (2 MiB less 64 KiB)
     */
    max_output_bytes: z.number().int().positive().optional(),
    /** `fail`: the first item that fails for good fails the step (items in flight are cancelled); `continue`: its result is null and it is listed in `errors`. @default 'fail' */
    on_item_failure: z.enum(['fail', 'continue']).optional(),
    /** The step run for each item (exactly one of `step` and `pipeline`). */
    step: MapItemStep.optional(),
    /** The saved pipeline run for each item, as a child run (exactly one of `step` and `pipeline`). */
    pipeline: z.string().min(1).max(128).optional(),
    /** With `pipeline`: the saved version to run. @default the deployed version (else the latest) when the step starts */
    version: z.number().int().positive().optional(),
    /** With `pipeline`: the child's inputs per item; templates may read `item` and `index`. */
    inputs: z.record(z.string(), z.unknown()).optional(),
    /** With `pipeline`: the child's params per item; templates may read `item` and `index`. */
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.step === undefined) === (v.pipeline === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [v.step === undefined ? 'step' : 'pipeline'],
        message:
          'a map step needs exactly one of step (run for each item) and pipeline (a saved pipeline run for each item)',
      });
    }
    if (v.step !== undefined) {
      for (const key of ['version', 'inputs', 'params'] as const) {
        if (v[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key} applies only with pipeline; with step, write the item step's own params`,
          });
        }
      }
    }
  });
export type MapParams = z.infer<typeof MapParams>;

/** Every built-in kind. */
export const NODE_KINDS: Readonly<Record<BuiltinKind, KindSpec>> = Object.freeze({
  input: {
    execution: 'inline',
    params: InputParams,
    defaults: { type: 'any', required: true },
    outputs: ['value'],
    ...PARAM_ROLES.input,
    description: "Reads one of the run's inputs; its output is { value }.",
  },
  output: {
    execution: 'inline',
    params: OutputParams,
    defaults: {},
    outputs: 'any',
    ...PARAM_ROLES.output,
    description: 'Renders a value into result().outputs under its name.',
  },
  llm: {
    execution: 'activity',
    params: LlmParams,
    defaults: { provider: 'openai' },
    outputs: ['response', 'usage', 'model', 'finishReason'],
    ...PARAM_ROLES.llm,
    defaultTimeoutMs: 120_000,
    description: 'Calls a language model (prompt or messages); streams tokens when stream is true.',
  },
  api_call: {
    execution: 'activity',
    params: ApiCallParams,
    defaults: { method: 'GET', body_type: 'json', max_response_bytes: 1_048_576 },
    outputs: ['status', 'ok', 'headers', 'body'],
    ...PARAM_ROLES.api_call,
    defaultTimeoutMs: 30_000,
    description: 'Makes an HTTP request.',
  },
  notification: {
    execution: 'activity',
    params: NotificationParams,
    defaults: {},
    outputs: ['status', 'delivered'],
    ...PARAM_ROLES.notification,
    defaultTimeoutMs: 30_000,
    description: 'Posts a message to a webhook url or a configured channel.',
  },
  transform: {
    execution: 'inline',
    params: TransformParams,
    defaults: {},
    outputs: 'any',
    ...PARAM_ROLES.transform,
    description: 'Computes a value from a CEL expression or a templated JSON value.',
  },
  condition: {
    execution: 'inline',
    params: ConditionParams,
    defaults: {},
    outputs: ['result'],
    ...PARAM_ROLES.condition,
    description: 'Evaluates a CEL condition to { result }; on_true / on_false steps run only on that branch.',
  },
  log: {
    execution: 'inline',
    params: LogParams,
    defaults: { level: 'info' },
    outputs: ['message', 'level'],
    ...PARAM_ROLES.log,
    description: 'Writes a message to the run log.',
  },
  delay: {
    execution: 'timer',
    params: DelayParams,
    defaults: {},
    outputs: ['duration_ms'],
    ...PARAM_ROLES.delay,
    description: 'Waits for a duration on a durable timer.',
  },
  wait_for_event: {
    execution: 'event',
    params: WaitForEventParams,
    defaults: {},
    outputs: ['payload', 'timedOut', 'receivedAt', 'by'],
    ...PARAM_ROLES.wait_for_event,
    description:
      'Pauses the run until an event for this step arrives (`client.executions.signal(id, { node, payload })`, ' +
      'a Temporal update validated against `schema`) or `timeout` passes; then fails with code `EventTimeout` ' +
      "(`on_timeout: 'fail'`, the default) or completes with `default` (`on_timeout: 'default'`). No timeout: it " +
      'waits until an event arrives or the run is cancelled. While it waits the step is `running` with ' +
      '`waitingFor` in its status, and no worker slot is held. Output: { payload, timedOut, receivedAt, by }.',
  },
  pipeline: {
    execution: 'child',
    params: SubPipelineParams,
    defaults: {},
    outputs: ['outputs', 'executionId', 'version'],
    ...PARAM_ROLES.pipeline,
    description:
      'Runs another saved pipeline as a child workflow (id `<run id>/<step id>`, same task queue and trace): ' +
      "`version` pins one, else the version deployed (none deployed: the latest) when the step starts. `inputs` and `params` map this run's " +
      "values into the child's; the child's run inputs and params are checked against its declarations before it " +
      "starts. Output: { outputs, executionId, version }: `outputs` is the child's `result().outputs`. An unknown " +
      'pipeline or version fails the step with code `PipelineNotFound`, a mapping the child refuses with ' +
      '`InvalidChildInputs`, a failed child with `ChildPipelineFailed`. Cancelling this run cancels the child; ' +
      "terminating it terminates the child. Once the child starts, the step's status shows " +
      "`child: { executionId, pipeline, version }`; read the child's steps with `executions.get(executionId)`.",
  },
  map: {
    execution: 'map',
    params: MapParams,
    defaults: { concurrency: DEFAULT_MAP_CONCURRENCY, on_item_failure: 'fail' },
    outputs: ['results', 'errors', 'executionId'],
    ...PARAM_ROLES.map,
    description:
      'Runs `step` (an llm, api_call, notification or transform step, or a user action) or the saved `pipeline` once for ' +
      'each element of `items`, at most `concurrency` at a time, in a child workflow of its own (id `<run id>/<step id>`) ' +
      "that continues as new while it works through long lists. Per-item templates read `item` and `index` besides the run's " +
      'steps, params and inputs. Output: { results, errors, executionId }: `results` holds one output per item, in the ' +
      "items' order (an item step's output, or the child run's `outputs`). An item that fails for good fails the step with " +
      "code `MapItemFailed` (`on_item_failure: 'fail'`, the default; items in flight are cancelled), or leaves null in " +
      "`results` and an entry in `errors` (`'continue'`). `items` that is not a list fails with `MapItemsNotAList`; " +
      'outputs adding up to more than `max_output_bytes` fail it with `MapOutputTooLarge`.',
  },
} satisfies Record<BuiltinKind, KindSpec>);

/** Default start-to-close timeout of a user action, ms. */
export const ACTION_DEFAULT_TIMEOUT_MS = 300_000;

/** Whether `action` names a built-in kind. */
export function isBuiltinKind(action: string): action is BuiltinKind {
  return (BUILTIN_KINDS as readonly string[]).includes(action);
}

/** How users' actions are treated: activities whose params are all templates. */
export const USER_ACTION_SPEC: KindSpec = Object.freeze({
  execution: 'activity',
  params: z.record(z.string(), z.unknown()),
  defaults: {},
  outputs: 'any',
  ...PARAM_ROLES.action,
  defaultTimeoutMs: ACTION_DEFAULT_TIMEOUT_MS,
  description: "A user's action, run by the worker that registered it.",
});

/** Each kind's default params and timeout, as a packed plan leaves them out (see `packPlan`). */
export const KIND_DEFAULTS: Readonly<Record<NodeKind, KindDefaults>> = Object.freeze(
  Object.fromEntries(
    [...Object.entries(NODE_KINDS), ['action', USER_ACTION_SPEC] as const].map(([kind, spec]) => [
      kind,
      {
        params: spec.defaults,
        ...(spec.defaultTimeoutMs !== undefined && { timeoutMs: spec.defaultTimeoutMs }),
      },
    ]),
  ) as Record<NodeKind, KindDefaults>,
);
