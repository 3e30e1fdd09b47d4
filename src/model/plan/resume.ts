/**
 * Retrying a run from its failed step: which completed steps of the old run the new run may take
 * as they are. Pure: the client uses it to choose, the workflow to re-check.
 */
import { isTemplateParam, PARAM_ROLES } from '../kinds/paramRoles';
import { checkExpression, type ExpressionCheck } from '../expressions/expressions';
import { canonicalJson } from '../definition/hash';
import type { ExecutionPlan, PlanNode } from './plan';
import { checkTemplate, hasTemplate } from '../expressions/templates';

/** Stands for "every param": the node reads `params` whole or with a computed key. */
export const ALL_PARAMS = '*';

/**
 * The params a node reads directly — in its templates, its CEL params (`expression`,
 * `condition`), its `condition`, and a map node's per-item templates — by name;
 * {@link ALL_PARAMS} when it reads `params` whole, with a computed key, or has an expression
 * that does not parse.
 */
export function paramsReadBy(
  node: Pick<PlanNode, 'kind' | 'params' | 'condition'> & { item?: Pick<PlanNode, 'kind' | 'params'> },
): Set<string> {
  const names = new Set<string>();
  const add = (check: ExpressionCheck) => {
    if (!check.references) {
      names.add(ALL_PARAMS);
      return;
    }
    for (const ref of check.references.params) names.add(ref.name === '' ? ALL_PARAMS : ref.name);
  };
  const walkTemplates = (value: unknown): void => {
    if (typeof value === 'string') {
      if (!hasTemplate(value)) return;
      const result = checkTemplate(value);
      if (!result.ok) names.add(ALL_PARAMS);
      else result.expressions.forEach(add);
    } else if (Array.isArray(value)) value.forEach(walkTemplates);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walkTemplates);
  };
  const walkParams = (kind: PlanNode['kind'], params: Record<string, unknown>) => {
    const roles = PARAM_ROLES[kind];
    for (const [key, value] of Object.entries(params)) {
      if (roles.expressionParams.includes(key)) {
        if (typeof value === 'string') add(checkExpression(value));
      } else if (isTemplateParam(roles, key)) walkTemplates(value);
    }
  };
  walkParams(node.kind, node.params);
  if (node.condition !== undefined) add(checkExpression(node.condition));
  if (node.kind === 'map') {
    // Per-item templates: the item step's params, or the child pipeline's inputs and params.
    if (node.item) walkParams(node.item.kind, node.item.params);
    walkTemplates(node.params.inputs);
    walkTemplates(node.params.params);
  }
  return names;
}

/** Names of the params whose values differ between two resolved param sets (canonical JSON, key order ignored). */
export function changedParams(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): Set<string> {
  const changed = new Set<string>();
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!sameJson(before[name], after[name])) changed.add(name);
  }
  return changed;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

/**
 * The steps a retry may reuse: a step of `candidates` (steps that completed in the old run) is
 * reusable when every step it depends on is reusable too — so anything downstream of a step
 * that runs again runs again — and it reads none of `changed` params directly (a step reading
 * a changed param runs again, and with it everything downstream).
 *
 * @example reusableSteps(plan, new Set(['a', 'b']), new Set(['env'])) // a, unless a reads params.env
 */
export function reusableSteps(
  plan: Pick<ExecutionPlan, 'nodes'>,
  candidates: ReadonlySet<string>,
  changed: ReadonlySet<string> = new Set(),
): Set<string> {
  const reusable = new Set<string>();
  for (const node of plan.nodes) {
    if (!candidates.has(node.id)) continue;
    if (!node.dependsOn.every((dep) => reusable.has(dep))) continue;
    if (changed.size > 0) {
      const reads = paramsReadBy(node);
      if (reads.has(ALL_PARAMS) || [...reads].some((name) => changed.has(name))) continue;
    }
    reusable.add(node.id);
  }
  return reusable;
}
