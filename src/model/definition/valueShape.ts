/**
 * The shape check for values that enter a run from outside (inputs, params): plain JSON, nested
 * no deeper and no bigger than expressions can read (`VALUE_LIMITS`), so a run is refused at start
 * instead of failing every expression later. Iterative, so hostile nesting cannot overflow the
 * stack; a value that contains itself counts as nested without end.
 */
import type { PipelineIssue } from './issues';
import { VALUE_LIMITS } from '../expressions/values';

/**
 * Levels the expression scope wraps around a run's value before the value itself: `inputs` →
 * the value, or `steps.<input>` → `output` → `value`. An input or param may nest this much less
 * than {@link VALUE_LIMITS}.maxDepth.
 */
const SCOPE_LEVELS = 4;

/** How deeply a run's input or param may nest (a scalar is level 0, `[1]` level 1). */
export const MAX_RUN_VALUE_DEPTH = VALUE_LIMITS.maxDepth - SCOPE_LEVELS;
/** How many values (scalars, objects, arrays) a run's inputs, or its params, may hold together. */
export const MAX_RUN_VALUE_NODES = VALUE_LIMITS.maxNodes;

type Path = (string | number)[];

function describe(value: unknown): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return `the BigInt ${value}n (pass a number, or a string for integers beyond 2^53)`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'number':
      return Number.isFinite(value) ? undefined : `the number ${value}`;
    case 'object':
      if (value instanceof Map) return 'a Map (pass a plain object)';
      if (value instanceof Set) return 'a Set (pass an array)';
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Problems with the values of a run's `inputs` or `params` (`kind`): each must be JSON (no BigInt,
 * function, symbol, Map, Set, non-finite number, or cycle), nested at most
 * {@link MAX_RUN_VALUE_DEPTH} levels, and all of them together at most {@link MAX_RUN_VALUE_NODES}
 * values. Issues carry the path of the offending value (`['inputs', 'doc', 'items', 3]`).
 */
export function runValueIssues(kind: 'inputs' | 'params', values: unknown): PipelineIssue[] {
  if (values === undefined) return [];
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    return [{ path: [kind], code: 'invalid_type', message: `${kind} must be an object of named values.` }];
  }
  const issues: PipelineIssue[] = [];
  interface Entry {
    value: unknown;
    depth: number;
    key: string | number;
    parent?: Entry;
  }
  const pathOf = (entry: Entry): Path => {
    const path: Path = [];
    for (let e: Entry | undefined = entry; e; e = e.parent) path.unshift(e.key);
    return path;
  };
  const stack: Entry[] = [];
  const root: Entry = { value: values, depth: -1, key: kind };
  for (const name of Object.keys(values).reverse()) {
    stack.push({ value: (values as Record<string, unknown>)[name], depth: 0, key: name, parent: root });
  }
  let nodes = 0;
  while (stack.length > 0 && issues.length < 10) {
    const entry = stack.pop()!;
    const { value, depth } = entry;
    if (++nodes > MAX_RUN_VALUE_NODES) {
      issues.push({
        path: [kind],
        code: 'too_large',
        message: `The ${kind} hold more than ${MAX_RUN_VALUE_NODES} values together (objects, arrays and scalars); expressions can read at most that many.`,
      });
      break;
    }
    const bad = describe(value);
    if (bad !== undefined) {
      const path = pathOf(entry);
      issues.push({
        path,
        code: 'invalid_type',
        message: `This value is ${bad}; ${kind} must be JSON values.`,
      });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_RUN_VALUE_DEPTH) {
      const path = pathOf(entry);
      issues.push({
        path,
        code: 'too_large',
        message: `This value is nested more than ${MAX_RUN_VALUE_DEPTH} levels deep (or contains itself); expressions read values nested at most ${MAX_RUN_VALUE_DEPTH} levels.`,
      });
      continue;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i] as unknown, depth: depth + 1, key: i, parent: entry });
      }
    } else {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, key, parent: entry });
      }
    }
  }
  return issues;
}

/**
 * The first value in `root` that is not JSON (BigInt, function, symbol, Map, Set, non-finite
 * number), with its path and what it is; for a definition, whose nesting the compiler bounds first.
 */
export function findNonJson(root: unknown): { path: Path; what: string } | undefined {
  const stack: { value: unknown; path: Path }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    const bad = describe(value);
    if (bad !== undefined) return { path, what: bad };
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value))
      value.forEach((item: unknown, i) => stack.push({ value: item, path: [...path, i] }));
    else for (const [key, item] of Object.entries(value)) stack.push({ value: item, path: [...path, key] });
  }
  return undefined;
}
