/**
 * The registry of built-in node kinds: one module per kind (its params schema, the rendered
 * variant the worker parses where it has one, defaults, outputs and docs), gathered here for the
 * compiler, the activities and the generated reference. Which params are templates lives apart in
 * `paramRoles.ts` (workflow code reads it without building the schemas).
 */
import type { BuiltinKind, NodeKind } from '../plan/plan';
import { BUILTIN_KINDS } from '../plan/plan';
import type { KindDefaults } from '../plan/planWire';
import type { KindSpec } from './kindSpec';
import { INPUT_KIND } from './input';
import { OUTPUT_KIND } from './output';
import { LLM_KIND } from './llm';
import { API_CALL_KIND } from './apiCall';
import { NOTIFICATION_KIND } from './notification';
import { TRANSFORM_KIND } from './transform';
import { CONDITION_KIND } from './condition';
import { LOG_KIND } from './log';
import { DELAY_KIND } from './delay';
import { WAIT_FOR_EVENT_KIND } from './waitForEvent';
import { SUB_PIPELINE_KIND } from './subPipeline';
import { MAP_KIND } from './map';
import { USER_ACTION_SPEC } from './userAction';

export type { KindSpec } from './kindSpec';
export { isTemplateParam, type ParamRoles } from './paramRoles';
export * from './input';
export * from './output';
export * from './llm';
export * from './apiCall';
export * from './notification';
export * from './transform';
export * from './condition';
export * from './log';
export * from './delay';
export * from './waitForEvent';
export * from './subPipeline';
export * from './map';
export * from './userAction';

/** Every built-in kind. */
export const NODE_KINDS: Readonly<Record<BuiltinKind, KindSpec>> = Object.freeze({
  input: INPUT_KIND,
  output: OUTPUT_KIND,
  llm: LLM_KIND,
  api_call: API_CALL_KIND,
  notification: NOTIFICATION_KIND,
  transform: TRANSFORM_KIND,
  condition: CONDITION_KIND,
  log: LOG_KIND,
  delay: DELAY_KIND,
  wait_for_event: WAIT_FOR_EVENT_KIND,
  pipeline: SUB_PIPELINE_KIND,
  map: MAP_KIND,
} satisfies Record<BuiltinKind, KindSpec>);

/** Whether `action` names a built-in kind. */
export function isBuiltinKind(action: string): action is BuiltinKind {
  return (BUILTIN_KINDS as readonly string[]).includes(action);
}

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
