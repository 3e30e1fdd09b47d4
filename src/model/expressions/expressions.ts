/**
 * CEL expressions (DESIGN.md decision 4) through `@marcbachmann/cel-js`: conditions, transforms
 * and the inside of `{{ }}` templates.
 *
 * Every expression is checked before it is evaluated, at compile time and again (from a cache)
 * when the workflow evaluates it, so a hand-written plan cannot bypass the checks below (CEL type
 * checking, which guards nothing at run time, happens at compile time only):
 * - size: source ≤ 4 KiB, ≤ 512 AST nodes, nesting depth ≤ 32 (the library's parse-time limits);
 * - no member or map key named `__proto__`, `constructor` or `prototype`;
 * - only known functions (the library's standard functions minus `matches`, whose JS regular
 *   expressions can backtrack exponentially: `'aaaaaaaaaaaaaaaaaaaaaaaa!'.matches('^(a+)+$')` takes ~1 s
 *   at 24 characters and doubles per character) and no optional-type helpers;
 * - comprehension macros (`all`, `exists`, `exists_one`, `map`, `filter`) and `cel.bind` may not
 *   appear inside another macro's arguments, and at most 4 per expression: evaluation cost stays
 *   O(macros × size of the data), where one nested pair over two 1,000-element lists already costs
 *   ~150 ms and 10,000-element lists would stall the workflow task for many seconds;
 * - free variables are only `steps`, `params`, `inputs`, and a map step's `item` and `index`
 *   (which the compiler allows only in that step's per-item templates); `steps` must be followed
 *   by a literal id.
 *
 * Numbers: JSON integers are CEL `int`, other numbers `double`; `int` ⊕ `double` arithmetic
 * (`+ - * /`) is accepted and yields a double, because JSON cannot tell `2` from `2.0`.
 */
import type { ParseResult } from '@marcbachmann/cel-js';
import { celShared } from './celShared';
import { guardOverflow } from './celOverflow';
import { EvaluationLimitError, ExpressionError } from '../definition/errors';
import { EvaluationMeter } from './evaluationMeter';
import {
  celEnvironment,
  EXPRESSION_LIMITS,
  meterSlot,
  structuralIssues,
  type ExpressionIssue,
} from './expressionRules';
import { collectReferences, type ExpressionReferences } from './references';
import { fromCel, toCel } from './values';

export { EXPRESSION_LIMITS, FORBIDDEN_MEMBERS, type ExpressionIssue } from './expressionRules';

/** The outcome of checking an expression. `references` is present whenever the source parsed. */
export type ExpressionCheck =
  | {
      ok: true;
      source: string;
      references: ExpressionReferences;
      /** CEL type of the result, e.g. `bool`, `dyn`. */ resultType: string;
    }
  | { ok: false; source: string; issues: ExpressionIssue[]; references?: ExpressionReferences };

interface Compiled {
  check: ExpressionCheck;
  program?: ParseResult;
  /** Whether CEL type checking ran (its result type is then in `check`). */
  typeChecked: boolean;
}

/** Parsed programs by source. Deterministic; bounded so a long-lived worker does not grow without end. */
/** Shared by every run on a worker (see `celShared`): parses are pure. */
const cache = celShared.compiled as Map<string, Compiled>;
const CACHE_LIMIT = 2000;

/**
 * `typeCheck: false` is for evaluation: the size, syntax and safety rules still apply, but CEL type
 * checking (which the compiler ran before the run started, and which evaluation does not need) is
 * skipped; in workflow code that is a third of an expression's first-use cost.
 */
function compiled(source: string, typeCheck: boolean): Compiled {
  const hit = cache.get(source);
  if (hit && (hit.typeChecked || !typeCheck)) return hit;
  const result = compileExpression(source, typeCheck);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, result);
  return result;
}

function firstLine(error: unknown): string {
  const summary = (error as { summary?: unknown }).summary;
  if (typeof summary === 'string' && summary) return summary;
  return String((error as Error)?.message ?? error).split('\n')[0] ?? 'unknown error';
}

function compileExpression(source: string, typeCheck: boolean): Compiled {
  const fail = (issues: ExpressionIssue[], references?: ExpressionReferences): Compiled => ({
    check: { ok: false, source, issues, ...(references && { references }) },
    typeChecked: true,
  });
  if (typeof source !== 'string' || source.trim() === '') {
    return fail([{ code: 'invalid_expression', message: 'The expression is empty.' }]);
  }
  if (source.length > EXPRESSION_LIMITS.maxSourceLength) {
    return fail([
      {
        code: 'invalid_expression',
        message: `The expression is ${source.length} characters long; the limit is ${EXPRESSION_LIMITS.maxSourceLength}.`,
      },
    ]);
  }
  let program: ParseResult;
  try {
    program = celEnvironment().parse(source);
  } catch (error) {
    const hint = source.includes('{{')
      ? ' Expressions are CEL, not templates: write them without {{ }}.'
      : '';
    return fail([{ code: 'invalid_expression', message: `Invalid expression: ${firstLine(error)}.${hint}` }]);
  }
  guardOverflow(program.ast);
  const issues = structuralIssues(program.ast);
  const references = collectReferences(program.ast);
  for (const ref of references.secrets) {
    issues.push({
      code: 'invalid_secret_reference',
      message:
        'Secrets cannot be used inside expressions; write a secret only as a whole template, ' +
        `{{ secrets.${ref.name || 'NAME'} }}, in the params of an I/O step.`,
    });
  }
  for (const ref of references.unknownVariables) {
    issues.push({
      code: 'unknown_variable',
      message: `Unknown variable '${ref.name}'; expressions can read steps, params and inputs (e.g. steps.<id>.output).`,
    });
  }
  for (const ref of references.shadowing) {
    issues.push({
      code: 'invalid_expression',
      message: `'${ref.name}' cannot be used as a macro variable name.`,
    });
  }
  if (references.dynamicStepAccess.length > 0) {
    issues.push({
      code: 'invalid_expression',
      message:
        'Write steps.<id> with a literal step id (steps.fetch, steps["fetch"]), so dependencies can be inferred.',
    });
  }
  if (issues.length > 0) return fail(issues, references);
  if (!typeCheck) {
    return { check: { ok: true, source, references, resultType: 'dyn' }, program, typeChecked: false };
  }
  const typed = program.check();
  if (!typed.valid) {
    return fail(
      [{ code: 'invalid_expression', message: `Invalid expression: ${firstLine(typed.error)}.` }],
      references,
    );
  }
  return {
    check: { ok: true, source, references, resultType: typed.type ?? 'dyn' },
    program,
    typeChecked: true,
  };
}

/**
 * Parses and checks an expression without evaluating it: size limits, syntax, safety rules and
 * CEL type checking. Results are cached by source.
 *
 * @example checkExpression("steps.a.output.status == 'ok'") // { ok: true, references: { steps: [{ stepId: 'a', … }] }, resultType: 'bool', … }
 */
export function checkExpression(source: string): ExpressionCheck {
  return compiled(source, true).check;
}

/** One step as expressions see it: `steps.<id>.status`, `.output`, `.error`, `.attempts`. */
export interface StepScope {
  status: string;
  output?: unknown;
  error?: unknown;
  attempts?: number;
}

/**
 * What expressions and templates can read. Treat a scope, and the step views, params and inputs
 * in it, as immutable once it has been passed in: their CEL conversions are memoised per object.
 */
export interface ExpressionScope {
  steps: Record<string, StepScope | undefined>;
  params: Record<string, unknown>;
  inputs: Record<string, unknown>;
  /** Only in a map step's per-item templates: the item (`item`) and its 0-based index (`index`). */
  item?: unknown;
  index?: number;
}

interface ConvertedScope {
  steps: Map<string, unknown>;
  params?: unknown;
  inputs?: unknown;
  item?: unknown;
}
const converted = new WeakMap<ExpressionScope, ConvertedScope>();
/**
 * Conversions of the parts a scope is made of (a step's view, params, inputs), which outlive
 * scopes: a run's inputs are converted once, not again after every step (with large inputs that
 * would be work no evaluation limit counts, repeated for each step of a chain).
 */
const convertedParts = new WeakMap<object, unknown>();

function convertPart(part: object, convert: () => unknown): unknown {
  let value = convertedParts.get(part);
  if (value === undefined) {
    value = convert();
    convertedParts.set(part, value);
  }
  return value;
}

/** Why `item` / `index` cannot be read here (a hand-written plan, or a scope without them). */
export const onlyPerItem = (name: string): string =>
  `'${name}' is defined only in a map step's per-item templates (params.step.params, params.inputs, params.params)`;

function celContext(scope: ExpressionScope, references: ExpressionReferences): Record<string, unknown> {
  let memo = converted.get(scope);
  if (!memo) {
    memo = { steps: new Map() };
    converted.set(scope, memo);
  }
  const steps = Object.create(null) as Record<string, unknown>;
  for (const { stepId } of references.steps) {
    if (steps[stepId] !== undefined) continue;
    let value = memo.steps.get(stepId);
    if (value === undefined) {
      const state = Object.hasOwn(scope.steps, stepId) ? scope.steps[stepId] : undefined;
      const view = () =>
        toCel({
          status: state?.status ?? 'pending',
          output: state?.output ?? null,
          error: state?.error ?? null,
          attempts: state?.attempts ?? 0,
        });
      value = state ? convertPart(state, view) : view();
      memo.steps.set(stepId, value);
    }
    steps[stepId] = value;
  }
  const params = scope.params ?? {};
  const inputs = scope.inputs ?? {};
  memo.params ??= convertPart(params, () => toCel(params));
  memo.inputs ??= convertPart(inputs, () => toCel(inputs));
  const context: Record<string, unknown> = { steps, params: memo.params, inputs: memo.inputs };
  for (const { name } of references.item) {
    if (name === 'item') {
      if (scope.item === undefined) throw new Error(onlyPerItem('item'));
      memo.item ??= toCel(scope.item);
      context.item = memo.item;
    } else {
      if (!Number.isSafeInteger(scope.index)) throw new Error(onlyPerItem('index'));
      context.index = BigInt(scope.index!);
    }
  }
  return context;
}

/**
 * Evaluates an expression against a scope and returns plain JSON (ints as numbers, maps as objects).
 * Its work and what it builds are weighed against `EVALUATION_LIMITS` as it runs, by `meter`
 * when given (a step's templates share one), else by a meter of its own.
 *
 * @throws ExpressionError when the expression fails its checks, evaluation fails (missing key,
 *   no such overload, division by zero…) or the result cannot be represented in JSON.
 * @throws EvaluationLimitError when it goes past one of `EVALUATION_LIMITS`.
 * @example evaluateExpression('steps.a.output.n + 1', { steps: { a: { status: 'completed', output: { n: 1 } } }, params: {}, inputs: {} }) // 2
 */
export function evaluateExpression(
  source: string,
  scope: ExpressionScope,
  meter: EvaluationMeter = new EvaluationMeter(),
): unknown {
  const { check, program } = compiled(source, false);
  if (!check.ok || !program) {
    throw new ExpressionError(
      source,
      check.ok ? 'not compiled' : check.issues.map((i) => i.message).join(' '),
    );
  }
  const slot = meterSlot();
  const outer = slot.current;
  let result: unknown;
  try {
    slot.current = meter;
    result = program(celContext(scope, check.references));
    // The library evaluates the root node itself, without reporting it to the meter.
    meter.yielded(program.ast.op, result, true);
    // A limit passed inside `exists` or `all` may have been taken as an element's error value.
    if (meter.failure) throw meter.failure;
    return fromCel(result);
  } catch (error) {
    const limit = meter.failure ?? (error instanceof EvaluationLimitError ? error : undefined);
    if (limit) throw new EvaluationLimitError(limit.limit, limit.max, limit.reason, source);
    throw new ExpressionError(source, firstLine(error), { cause: error });
  } finally {
    slot.current = outer;
  }
}

/**
 * Evaluates a condition; the result must be a bool.
 * @throws ExpressionError as {@link evaluateExpression}, and when the result is not a bool.
 */
export function evaluateCondition(source: string, scope: ExpressionScope, meter?: EvaluationMeter): boolean {
  const result = evaluateExpression(source, scope, meter);
  if (typeof result !== 'boolean') {
    throw new ExpressionError(
      source,
      `a condition must evaluate to a bool, got ${result === null ? 'null' : typeof result}`,
    );
  }
  return result;
}
