/**
 * Bounded evaluation (DESIGN.md decision 13): what one evaluation of an expression, or one
 * rendering of a step's templates, may spend. Expressions and inputs are untrusted, and they are
 * evaluated inside the workflow task, so work and size are counted while values are built and a
 * limit fails the step (`EvaluationLimitError`) long before the task's deadline or the worker's
 * memory. Deterministic: it counts operations and weighs values, it never reads a clock.
 *
 * - Operations: every CEL node evaluated costs 1, plus 1 for every {@link CHARS_PER_OPERATION}
 *   characters of a string it yields and 1 for every element of a list it yields (reading,
 *   scanning and copying them is where large data costs time; nodes that only hand a value on,
 *   like `?:` and a comprehension's accumulator, are not charged its size). A macro therefore
 *   costs its iterations × the size of what each iteration touches.
 * - Values: a value an expression builds (`+`, list and map literals, function results, the list
 *   a `map`/`filter` accumulates, one item at a time) or a template interpolates may weigh at most
 *   `maxValueBytes`: strings by their UTF-8 bytes, lists and maps by the sum of their members.
 *   Data only passed through (`inputs.doc`) is not built, and is bounded by the run's inputs.
 * - Rendering: everything one step's templates produce, data passed through included, may weigh
 *   at most `maxRenderedBytes`.
 *
 * The numbers were measured on a 2-core machine (Node 20): a CEL node costs 30–60 ns and
 * scanning a string (`lowerAscii`, a worst-case `contains`) up to 8 ns a character, so an
 * evaluation that spends its whole operation budget takes ~0.1 s (up to ~0.5 s in a workflow
 * task on a machine busy with other work).
 */
import { EvaluationLimitError, type EvaluationLimitName } from '../definition/errors';
import { formatBytes, MAX_CLAIM_CHECKED_INPUT_BYTES } from '../definition/limits';

/** Bounds on one evaluation (see the module comment). */
export const EVALUATION_LIMITS = {
  /** Work units one expression evaluation (or one step's template rendering) may spend. */
  maxOperations: 2_000_000,
  /** The most one built value may weigh, bytes (1 MiB). */
  maxValueBytes: 1024 * 1024,
  /** The most one step's rendered templates may weigh together, data passed through included. */
  maxRenderedBytes: MAX_CLAIM_CHECKED_INPUT_BYTES,
  /**
   * Operations of inline work (every evaluation's together) one workflow task may do before the
   * workflow ends the task with a 1 ms timer and goes on in the next (see workflows/workBudget.ts).
   */
  operationsPerWorkflowTask: 10_000_000,
} as const;

/** The bounds a meter applies (tests use smaller ones). */
export type EvaluationLimits = { readonly [K in keyof typeof EVALUATION_LIMITS]: number };

/** Characters of a yielded string that cost one operation. */
export const CHARS_PER_OPERATION = 8;

/** Weights of lists and maps already weighed, by identity (CEL values are never mutated, except
 * the list a comprehension accumulates, which {@link EvaluationMeter.pushed} keeps current). */
const weights = new WeakMap<object, number>();

/** What a JSON scalar weighs (number, bool, null), about its JSON text. */
const SCALAR_BYTES = 8;

/**
 * UTF-8 bytes of a string, counted up to `stop` (past it, any larger number may be returned).
 */
export function utf8Bytes(text: string, stop: number = EVALUATION_LIMITS.maxValueBytes): number {
  if (text.length > stop) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Surrogate halves are two bytes each: a pair is four.
    bytes += code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code < 0xe000) ? 2 : 3;
    if (bytes > stop) return bytes;
  }
  return bytes;
}

/**
 * What a value weighs, bytes (about its JSON size), counted up to `stop`: past it, any larger
 * number may be returned, and nothing is remembered.
 */
export function weigh(value: unknown, stop: number = EVALUATION_LIMITS.maxValueBytes): number {
  if (typeof value === 'string') return utf8Bytes(value, stop) + 2;
  if (typeof value !== 'object' || value === null) return SCALAR_BYTES;
  const known = weights.get(value);
  if (known !== undefined) return known;
  let total = 2;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      total += weigh(item, stop - total) + 1;
      if (total > stop) return total;
    }
  } else if (value instanceof Map) {
    for (const [key, member] of value as Map<unknown, unknown>) {
      total += weigh(key, stop - total) + weigh(member, stop - total) + 2;
      if (total > stop) return total;
    }
  } else if (value instanceof Uint8Array) {
    total += value.byteLength;
  } else {
    for (const key of Object.keys(value)) {
      total += utf8Bytes(key, stop) + 4 + weigh((value as Record<string, unknown>)[key], stop - total);
      if (total > stop) return total;
    }
  }
  weights.set(value, total);
  return total;
}

/**
 * CEL nodes that hand a value on without reading it: a comprehension's accumulator goes from
 * step to step through them, and charging its length at every step would make a plain `map`
 * quadratic.
 */
const PASSING_NODES: ReadonlySet<string> = new Set(['?:', 'accuValue', 'accuPush', 'comprehension']);

/**
 * Operations spent by every meter of this module instance. In a workflow that is one run's (each
 * run loads its own copy of this module), and evaluation is deterministic, so the interpreter can
 * read it to end a workflow task before the inline work in it adds up (see runPipeline.ts).
 */
let spentByAll = 0;

/** Operations every meter has spent so far (see above). */
export function operationsSpent(): number {
  return spentByAll;
}

/** CEL nodes whose result is a new value (the rest read data or pass a value on). */
const BUILDING_NODES: ReadonlySet<string> = new Set(['+', 'list', 'map', 'call', 'rcall']);

/**
 * Counts one evaluation's work and weighs what it builds. The first limit passed is kept and
 * thrown again on every later step: CEL's `exists` and `all` treat an error in one element as a
 * value and go on, and the evaluation must not.
 */
export class EvaluationMeter {
  private operations = 0;
  private rendered = 0;
  /** The first limit passed, if any. */
  failure: EvaluationLimitError | undefined;

  constructor(readonly limits: EvaluationLimits = EVALUATION_LIMITS) {}

  /** Operations spent so far. */
  get spent(): number {
    return this.operations;
  }

  /**
   * A CEL node of kind `op` yielded `value`. `root`: it is the whole expression, whose value is
   * handed out, not scanned (`{{ inputs.doc }}` costs one operation, whatever the size of the doc).
   */
  yielded(op: string, value: unknown, root = false): void {
    // Numbers and bools (most results) cost one operation and build nothing worth weighing.
    if (typeof value !== 'object' && typeof value !== 'string') return this.spend(1);
    let cost = 1;
    if (!root && !PASSING_NODES.has(op)) {
      if (typeof value === 'string') cost += Math.floor(value.length / CHARS_PER_OPERATION);
      else if (Array.isArray(value)) cost += value.length;
    }
    this.spend(cost);
    if (op === 'accuPush') this.pushed(value as unknown[]);
    else if (BUILDING_NODES.has(op)) this.built(value);
  }

  /** Adds `cost` operations. @throws EvaluationLimitError past `maxOperations`. */
  spend(cost: number): void {
    this.operations += cost;
    spentByAll += cost;
    if (this.operations > this.limits.maxOperations) {
      this.fail(
        'maxOperations',
        this.limits.maxOperations,
        `it needs more than ${this.limits.maxOperations} operations (loops over large data or large strings)`,
      );
    }
  }

  /** A value was built. @throws EvaluationLimitError when it weighs more than `maxValueBytes`. */
  built(value: unknown): void {
    if (typeof value !== 'object' && typeof value !== 'string') return;
    const max = this.limits.maxValueBytes;
    const bytes = weigh(value, max);
    if (bytes > max) this.fail('maxValueBytes', max, `it builds a value larger than ${formatBytes(max)}`);
  }

  /** A comprehension appended its newest element to `list`, the list it is building. */
  private pushed(list: unknown[]): void {
    const max = this.limits.maxValueBytes;
    const before = weights.get(list);
    const bytes = before === undefined ? weigh(list, max) : before + weigh(list[list.length - 1], max) + 1;
    if (bytes > max) {
      this.fail('maxValueBytes', max, `it builds a list larger than ${formatBytes(max)}`);
    }
    weights.set(list, bytes);
  }

  /**
   * A template has interpolated `bytes` of text so far.
   * @throws EvaluationLimitError when that is more than `maxValueBytes`.
   */
  interpolated(bytes: number): void {
    const max = this.limits.maxValueBytes;
    if (bytes > max) this.fail('maxValueBytes', max, `the template renders more than ${formatBytes(max)}`);
  }

  /**
   * A template produced `value` for a step (what it rendered, data passed through included).
   * @throws EvaluationLimitError past `maxRenderedBytes`.
   */
  renderedValue(value: unknown): void {
    const max = this.limits.maxRenderedBytes;
    this.rendered += weigh(value, max - this.rendered);
    if (this.rendered > max) {
      this.fail('maxRenderedBytes', max, `the step's templates render more than ${formatBytes(max)}`);
    }
  }

  private fail(limit: EvaluationLimitName, max: number, reason: string): never {
    this.failure ??= new EvaluationLimitError(limit, max, reason);
    throw this.failure;
  }
}
