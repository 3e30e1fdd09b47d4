/**
 * The safety rules every expression must pass before it is evaluated: size limits (enforced by the
 * parser through the environment's limits), no prototype-reaching member names, only known
 * functions, no nested macros. See expressions.ts for the reasons and measurements.
 */
import type { ASTNode, Environment } from '@marcbachmann/cel-js';
import type { PipelineIssueCode } from '../definition/issues';
import { celChildren } from './celAst';
import { celShared } from './celShared';
import type { EvaluationMeter } from './evaluationMeter';
import { COMPREHENSION_MACROS, SCOPE_VARIABLES } from './references';

/** Structural limits applied to every expression. */
export const EXPRESSION_LIMITS = {
  maxSourceLength: 4096,
  maxAstNodes: 512,
  maxDepth: 32,
  maxListElements: 256,
  maxMapEntries: 256,
  maxCallArguments: 8,
  /** Comprehension macros plus `cel.bind`, per expression. */
  maxMacros: 4,
} as const;

/** Member names that could reach an object's prototype in a JS implementation. */
export const FORBIDDEN_MEMBERS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The CEL environment: steps/params/inputs as maps, `item` (dyn) and `index` (int), mixed
 * int/double arithmetic, the limits above.
 * Built on first use, with the library loaded then: loading it builds its standard functions,
 * several milliseconds that every workflow run would pay at start (workflow code loads its
 * imports per run) even when its pipeline has no expression.
 */
export function celEnvironment(): Environment {
  return loadedCel().env;
}

/** Where evaluation finds the meter of the evaluation under way (one at a time: evaluation is synchronous). */
export interface MeterSlot {
  current: EvaluationMeter | undefined;
}

type LoadedCel = {
  env: Environment;
  known: { functions: Set<string>; methods: Set<string> };
  meter: MeterSlot;
};
let cel: LoadedCel | undefined;

/** The environment, built on first use; on a worker, once for every run (see `celShared`). */
function loadedCel(): LoadedCel {
  cel ??= celShared.environment.get('environment') as LoadedCel | undefined;
  if (cel) return cel;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy by design, see above
  const library = require('@marcbachmann/cel-js') as { Environment: typeof Environment };
  const env = new library.Environment({
    unlistedVariablesAreDyn: false,
    homogeneousAggregateLiterals: false,
    enableOptionalTypes: false,
    limits: {
      maxAstNodes: EXPRESSION_LIMITS.maxAstNodes,
      maxDepth: EXPRESSION_LIMITS.maxDepth,
      maxListElements: EXPRESSION_LIMITS.maxListElements,
      maxMapEntries: EXPRESSION_LIMITS.maxMapEntries,
      maxCallArguments: EXPRESSION_LIMITS.maxCallArguments,
    },
  });
  for (const name of SCOPE_VARIABLES) env.registerVariable(name, 'map');
  // A map step's per-item variables; elsewhere the compiler refuses them (see analyze.ts).
  env.registerVariable('item', 'dyn');
  env.registerVariable('index', 'int');
  for (const [op, fn] of Object.entries(MIXED_ARITHMETIC)) {
    env.registerOperator(`int ${op} double`, (a: bigint, b: number) => fn(Number(a), b));
    env.registerOperator(`double ${op} int`, (a: number, b: bigint) => fn(a, Number(b)));
  }
  // The library has no int(uint); its range check is in celOverflow.ts.
  env.registerFunction('int(uint): int', (v: { valueOf(): bigint }) => v.valueOf());
  cel = { env, known: knownFunctions(env), meter: meterEvaluation(env) };
  celShared.environment.set('environment', cel);
  return cel;
}

/**
 * The slot the environment's evaluator reports every CEL node to (see evaluationMeter.ts). The
 * library evaluates each sub-expression through its evaluator's `run(ast, ctx)`; the evaluator is
 * private, but the root node of a program receives it, so a probe program hands it over once and
 * its `run` is wrapped. With no meter in the slot, evaluation is as before.
 */
function meterEvaluation(env: Environment): MeterSlot {
  const slot: MeterSlot = { current: undefined };
  type Evaluator = {
    run: (this: Evaluator, ast: ASTNode, ctx: unknown) => unknown;
    tryEval: (this: Evaluator, ast: ASTNode, ctx: unknown) => unknown;
  };
  let evaluator: Evaluator | undefined;
  const probe = env.parse('0');
  Object.defineProperty(probe.ast, 'evaluate', {
    value: (ev: Evaluator) => {
      evaluator = ev;
      return 0n;
    },
  });
  probe({});
  if (!evaluator || typeof evaluator.run !== 'function' || typeof evaluator.tryEval !== 'function') {
    throw new Error('cannot meter CEL evaluation: the library no longer evaluates through run()');
  }
  // `exists`, `all`, `||` and `&&` evaluate through tryEval, which turns an error into a value and
  // goes on: a limit must stop them at once, not be thrown again by every element left.
  const tryEval = evaluator.tryEval.bind(evaluator);
  evaluator.tryEval = (ast, ctx) => {
    const value = tryEval(ast, ctx);
    const failure = slot.current?.failure;
    if (failure) throw failure;
    return value;
  };
  const run = evaluator.run;
  evaluator.run = function (this: Evaluator, ast, ctx) {
    const meter = slot.current;
    if (meter === undefined) return run.call(this, ast, ctx);
    if (meter.failure) throw meter.failure;
    const value = run.call(this, ast, ctx);
    meter.yielded(ast.op, value);
    return value;
  };
  return slot;
}

/** The slot evaluation reports to (see {@link meterEvaluation}). */
export function meterSlot(): MeterSlot {
  return loadedCel().meter;
}

const MIXED_ARITHMETIC: Record<'+' | '-' | '*' | '/', (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

/** Functions that are never allowed, with the reason users see. */
const DENIED_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  [
    'matches',
    'regular expressions are not available (they can take exponential time); use contains(), startsWith() or endsWith()',
  ],
  ['hasValue', 'optional values are not enabled'],
  ['value', 'optional values are not enabled'],
  ['or', 'optional values are not enabled'],
  ['orValue', 'optional values are not enabled'],
  ['of', 'optional values are not enabled'],
  ['none', 'optional values are not enabled'],
]);

/** Global functions and methods the library defines (minus the denied ones), from its own definitions. */
function knownFunctions(env: Environment): { functions: Set<string>; methods: Set<string> } {
  const functions = new Set<string>();
  const methods = new Set<string>();
  for (const fn of env.getDefinitions().functions) {
    const signature = (fn as { signature?: string; name?: string }).signature ?? '';
    const head = signature.slice(0, signature.indexOf('('));
    const dot = head.lastIndexOf('.');
    if (dot === -1) functions.add(head);
    else methods.add(head.slice(dot + 1));
  }
  for (const name of DENIED_FUNCTIONS.keys()) {
    functions.delete(name);
    methods.delete(name);
  }
  functions.delete('bind');
  return { functions, methods };
}

/** One problem with an expression; the compiler adds the path and step. */
export interface ExpressionIssue {
  code: PipelineIssueCode;
  message: string;
}

/** Forbidden member names, unknown functions and macro nesting, found by walking the AST. */
export function structuralIssues(ast: ASTNode): ExpressionIssue[] {
  const { known } = loadedCel();
  const issues: ExpressionIssue[] = [];
  const seen = new Set<string>();
  const report = (message: string, code: PipelineIssueCode = 'invalid_expression') => {
    if (!seen.has(message)) issues.push({ code, message });
    seen.add(message);
  };
  const forbidden = (name: unknown) => {
    if (typeof name === 'string' && FORBIDDEN_MEMBERS.has(name)) {
      report(`'${name}' cannot be used as a field name in expressions.`);
    }
  };
  let macros = 0;

  const walk = (node: ASTNode, insideMacro: boolean): void => {
    switch (node.op) {
      case 'value':
      case 'id':
        return;
      case '.':
      case '.?':
        forbidden(node.args[1]);
        walk(node.args[0], insideMacro);
        return;
      case '[]':
      case '[?]':
        if (node.args[1].op === 'value') forbidden(node.args[1].args);
        walk(node.args[0], insideMacro);
        walk(node.args[1], insideMacro);
        return;
      case 'map':
        for (const [key, value] of node.args) {
          if (key.op === 'value') forbidden(key.args);
          walk(key, insideMacro);
          walk(value, insideMacro);
        }
        return;
      case 'call': {
        const [name] = node.args;
        if (!known.functions.has(name)) {
          report(
            DENIED_FUNCTIONS.has(name)
              ? `${name}() is not allowed: ${DENIED_FUNCTIONS.get(name)}.`
              : `Unknown function ${name}().`,
          );
        }
        for (const arg of celChildren(node)) walk(arg, insideMacro);
        return;
      }
      case 'rcall': {
        const [name, receiver, args] = node.args;
        const isBind = name === 'bind' && receiver.op === 'id' && receiver.args === 'cel';
        const isMacro = isBind || (COMPREHENSION_MACROS.has(name) && args.length >= 2);
        if (isMacro) {
          macros++;
          if (insideMacro) {
            report(
              `${isBind ? 'cel.bind' : `${name}()`} cannot be used inside another macro (map, filter, all, exists, exists_one, cel.bind): nested iteration is too costly.`,
            );
          }
        } else if (!known.methods.has(name)) {
          report(
            DENIED_FUNCTIONS.has(name)
              ? `${name}() is not allowed: ${DENIED_FUNCTIONS.get(name)}.`
              : `Unknown method .${name}().`,
          );
        }
        if (!isBind) walk(receiver, insideMacro);
        for (const arg of args) walk(arg, insideMacro || isMacro);
        return;
      }
      default:
        for (const child of celChildren(node)) walk(child, insideMacro);
    }
  };
  walk(ast, false);
  if (macros > EXPRESSION_LIMITS.maxMacros) {
    report(
      `The expression uses ${macros} macros (map, filter, all, exists, exists_one, cel.bind); the limit is ${EXPRESSION_LIMITS.maxMacros}.`,
    );
  }
  return issues;
}
