/**
 * Which params of a node kind hold CEL source and which hold `{{ }}` templates. Kept apart from
 * the catalog's zod schemas: the interpreter renders params with it, and workflow code must not
 * build the schemas on every run it starts.
 */
import type { BuiltinKind } from '../plan/plan';

export interface ParamRoles {
  /** Params holding CEL source (evaluated as expressions, never rendered as templates). */
  readonly expressionParams: readonly string[];
  /** Params whose string values are `{{ }}` templates: `'all'` (except `expressionParams`) or a list. */
  readonly templateParams: 'all' | readonly string[];
}

const ALL: ParamRoles = { expressionParams: [], templateParams: 'all' };

/** The roles of every built-in kind's params, and of users' actions (`action`: all templates). */
export const PARAM_ROLES: Readonly<Record<BuiltinKind | 'action', ParamRoles>> = Object.freeze({
  input: { expressionParams: [], templateParams: [] },
  output: { expressionParams: [], templateParams: ['value'] },
  llm: ALL,
  api_call: ALL,
  notification: ALL,
  transform: { expressionParams: ['expression'], templateParams: ['value'] },
  condition: { expressionParams: ['condition'], templateParams: [] },
  log: ALL,
  delay: ALL,
  wait_for_event: { expressionParams: [], templateParams: ['prompt', 'default'] },
  pipeline: { expressionParams: [], templateParams: ['inputs', 'params'] },
  // Only `items` is rendered in the run's scope; `step`, `inputs` and `params` are per-item
  // templates, rendered by the map workflow for each item (with `item` and `index` in scope).
  map: { expressionParams: [], templateParams: ['items'] },
  action: ALL,
});

/** Whether a param holds templates. */
export function isTemplateParam(roles: ParamRoles, param: string): boolean {
  if (roles.expressionParams.includes(param)) return false;
  return roles.templateParams === 'all' || roles.templateParams.includes(param);
}
