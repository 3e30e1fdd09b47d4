/**
 * The shape a `wait_for_event` step expects its event's payload to have: the definition's param
 * type vocabulary (`string`, `number`, `integer`, `boolean`, `object`, `array`, `any`), with
 * `properties` / `required` for objects and `items` for arrays, nested. Checked when the
 * definition compiles (the schema itself, and a `default` against it) and again when an event
 * arrives (the payload, in the run's update validator, so a bad one never enters history).
 * The schema's own zod form, for the compiler, is `EventSchemaParam` in the catalog.
 */
import type { ParamType } from './definition';
import { typeMismatch, valueMatchesType } from '../plan/runValues';

/** A payload schema (see the module comment). */
export interface EventSchema {
  type: ParamType;
  /** Objects only: the schema of each named field (other fields are allowed and kept). */
  properties?: Record<string, EventSchema>;
  /** Objects only: fields that must be present (each one listed in `properties`). */
  required?: string[];
  /** Arrays only: the schema of every element. */
  items?: EventSchema;
  description?: string;
}

/** One way a payload does not fit its schema: where (`['approved']`) and why. */
export interface PayloadIssue {
  path: (string | number)[];
  message: string;
}

/** How deep {@link checkEventPayload} walks a payload (its schema is at most as deep). */
const MAX_CHECK_DEPTH = 64;
/** Most issues reported for one payload. */
const MAX_PAYLOAD_ISSUES = 20;

/**
 * Every way `payload` does not fit `schema` (none: it fits). Fields not in `properties` are
 * allowed; `required` fields must be present and not `null`.
 *
 * @example checkEventPayload(APPROVAL_SCHEMA, { approved: 'yes' })
 * // [{ path: ['approved'], message: 'payload.approved must be a boolean, got a string' }]
 */
export function checkEventPayload(schema: EventSchema, payload: unknown): PayloadIssue[] {
  const issues: PayloadIssue[] = [];
  walk(schema, payload, [], issues, 0);
  return issues.slice(0, MAX_PAYLOAD_ISSUES);
}

function walk(
  schema: EventSchema,
  value: unknown,
  path: (string | number)[],
  issues: PayloadIssue[],
  depth: number,
): void {
  if (issues.length >= MAX_PAYLOAD_ISSUES || depth > MAX_CHECK_DEPTH) return;
  if (!valueMatchesType(value, schema.type)) {
    issues.push({ path, message: `${where(path)} ${typeMismatch(schema.type, value)}` });
    return;
  }
  if (schema.type === 'object') {
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      if (!Object.hasOwn(record, name) || record[name] === null || record[name] === undefined) {
        issues.push({ path: [...path, name], message: `${where([...path, name])} is required` });
      }
    }
    for (const [name, field] of Object.entries(schema.properties ?? {})) {
      const member = Object.hasOwn(record, name) ? record[name] : undefined;
      if (member === undefined || member === null) continue; // absent: only `required` cares
      walk(field, member, [...path, name], issues, depth + 1);
    }
  } else if (schema.type === 'array' && schema.items) {
    (value as unknown[]).forEach((item, i) => walk(schema.items!, item, [...path, i], issues, depth + 1));
  }
}

/** `payload`, `payload.approved`, `payload.items[2]`. */
function where(path: readonly (string | number)[]): string {
  let out = 'payload';
  for (const segment of path) {
    out +=
      typeof segment === 'number'
        ? `[${segment}]`
        : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)
          ? `.${segment}`
          : `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * The payload of an approval: `{ approved: boolean, comment?: string, by?: string }`. The
 * builder's `approval()` waits for an event of this shape.
 */
export const APPROVAL_SCHEMA: EventSchema = Object.freeze({
  type: 'object',
  properties: {
    approved: { type: 'boolean', description: 'true to approve, false to reject' },
    comment: { type: 'string' },
    by: { type: 'string', description: 'who decided' },
  },
  required: ['approved'],
}) as EventSchema;
