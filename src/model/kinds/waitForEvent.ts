/**
 * The `wait_for_event` kind: a durable wait for an event sent to the step, its payload schema and timeout.
 */
import { z } from 'zod';
import { boundedDuration, ParamType } from '../definition/definition';
import { DURATION_LIMITS, durationToMs } from '../definition/duration';
import { checkEventPayload, type EventSchema } from '../definition/eventSchema';
import { PARAM_ROLES } from './paramRoles';
import type { KindSpec } from './kindSpec';

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

/** The `wait_for_event` kind. */
export const WAIT_FOR_EVENT_KIND: KindSpec = Object.freeze({
  execution: 'event',
  params: WaitForEventParams,
  defaults: {},
  outputs: ['payload', 'timedOut', 'receivedAt', 'by'] satisfies (keyof WaitForEventOutput)[],
  ...PARAM_ROLES.wait_for_event,
  description:
    'Pauses the run until an event for this step arrives (`client.executions.signal(id, { node, payload })`, ' +
    'a Temporal update validated against `schema`) or `timeout` passes; then fails with code `EventTimeout` ' +
    "(`on_timeout: 'fail'`, the default) or completes with `default` (`on_timeout: 'default'`). No timeout: it " +
    'waits until an event arrives or the run is cancelled. While it waits the step is `running` with ' +
    '`waitingFor` in its status, and no worker slot is held. Output: { payload, timedOut, receivedAt, by }.',
});
