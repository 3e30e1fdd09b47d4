/**
 * Run-time values: a run's `params` against the pipeline's declarations, and its `inputs`
 * against the plan's `input` nodes, after their shape (plain JSON, depth, size: valueShape.ts).
 */
import type { ParamDeclaration, ParamType } from '../definition/definition';
import type { ExecutionPlan } from './plan';
import type { PipelineIssue } from '../definition/issues';
import { runValueIssues } from '../definition/valueShape';
import { setOwn } from '../expressions/values';

/** Whether `value` has the declared type (`integer` = `Number.isInteger`; `any` = anything but undefined). */
export function valueMatchesType(value: unknown, type: ParamType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'any':
      return value !== undefined;
  }
}

/** `"must be a string, got the integer 3"`: why a value does not fit a declared type. */
export function typeMismatch(type: ParamType, value: unknown): string {
  return `must be ${article(type)}, got ${describe(value)}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number')
    return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  const type = typeof value;
  return type === 'object' || type === 'undefined' ? `an ${type}` : `a ${type}`;
}

type ResolveResult = { ok: true; values: Record<string, unknown> } | { ok: false; issues: PipelineIssue[] };

/** A run's params to run with (defaults applied), or every problem found. */
export type RunParamsResult =
  { ok: true; params: Record<string, unknown> } | { ok: false; issues: PipelineIssue[] };
/** A run's inputs to run with (defaults applied), or every problem found. */
export type RunInputsResult =
  { ok: true; inputs: Record<string, unknown> } | { ok: false; issues: PipelineIssue[] };

interface Declared {
  type: ParamType;
  required: boolean;
  default?: unknown;
}

function resolve(
  kind: 'params' | 'inputs',
  declared: ReadonlyMap<string, Declared>,
  given: Readonly<Record<string, unknown>> | undefined,
): ResolveResult {
  // Plain JSON within the expression limits, checked first: everything after walks the values.
  const shape = runValueIssues(kind, given);
  if (shape.length > 0) return { ok: false, issues: shape };
  const issues: PipelineIssue[] = [];
  const values: Record<string, unknown> = {};
  const noun = kind === 'params' ? 'param' : 'input';
  for (const [name, value] of Object.entries(given ?? {})) {
    if (value === undefined) continue;
    if (declared.size > 0 && !declared.has(name)) {
      const known = [...declared.keys()].map((n) => `'${n}'`).join(', ');
      issues.push({
        path: [kind, name],
        code: kind === 'params' ? 'unknown_param' : 'unknown_input',
        message: `Unknown ${noun} '${name}'; this pipeline declares ${known}.`,
      });
      continue;
    }
    setOwn(values, name, value);
  }
  for (const [name, decl] of declared) {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined) {
      if (decl.default !== undefined) setOwn(values, name, decl.default);
      else if (decl.required) {
        issues.push({
          path: [kind, name],
          code: kind === 'params' ? 'missing_param' : 'missing_input',
          message: `Missing required ${noun} '${name}' (${decl.type}).`,
        });
      }
      continue;
    }
    if (!valueMatchesType(value, decl.type)) {
      issues.push({
        path: [kind, name],
        code: 'invalid_type',
        message: `${noun === 'param' ? 'Param' : 'Input'} '${name}' ${typeMismatch(decl.type, value)}.`,
      });
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, values };
}

function article(type: ParamType): string {
  return type === 'any'
    ? 'present'
    : type === 'integer' || type === 'object' || type === 'array'
      ? `an ${type}`
      : `a ${type}`;
}

/**
 * Resolves a run's params against the pipeline's declarations: applies defaults, reports missing
 * required params and type mismatches. When nothing is declared, any params are accepted as given;
 * otherwise undeclared params are rejected (`unknown_param`).
 *
 * @example resolveRunParams({ replicas: { type: 'integer', default: 1 } }, {}) // { ok: true, params: { replicas: 1 } }
 */
export function resolveRunParams(
  declarations: Readonly<Record<string, ParamDeclaration>> | undefined,
  given: Readonly<Record<string, unknown>> | undefined,
): RunParamsResult {
  const declared = new Map<string, Declared>();
  for (const [name, d] of Object.entries(declarations ?? {})) {
    declared.set(name, { type: d.type ?? 'any', required: d.required ?? false, default: d.default });
  }
  const result = resolve('params', declared, given);
  return result.ok ? { ok: true, params: result.values } : result;
}

/**
 * Resolves a run's inputs against the plan's `input` nodes (`name`, `type`, `required` — default
 * true —, `default`). Issues have the path `['inputs', name]`. When the plan has no input nodes,
 * any inputs are accepted.
 */
export function resolveRunInputs(
  plan: Pick<ExecutionPlan, 'nodes'>,
  given: Readonly<Record<string, unknown>> | undefined,
): RunInputsResult {
  const declared = new Map<string, Declared>();
  for (const node of plan.nodes) {
    if (node.kind !== 'input') continue;
    const p = node.params;
    declared.set(node.inputName ?? node.id, {
      type: (typeof p.type === 'string' ? p.type : 'any') as ParamType,
      required: p.required !== false,
      default: p.default,
    });
  }
  const result = resolve('inputs', declared, given);
  return result.ok ? { ok: true, inputs: result.values } : result;
}
