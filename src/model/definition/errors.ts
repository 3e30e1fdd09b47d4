/**
 * The pipeline model's errors. Each has a stable literal `code` and structured fields, and
 * `instanceof` works across module copies (workflow sandbox, Jest) through a registered symbol.
 */
import type { PipelineIssue } from './issues';

const BRAND = Symbol.for('temporal-pipelines.error');
/** Every `CODE` from the error's class up to `PipelineError` (set only for subclasses of subclasses). */
const BRAND_CHAIN = Symbol.for('temporal-pipelines.error-chain');

function brandOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<symbol, unknown>)[BRAND] : undefined;
}

/**
 * The base of every error this library throws: a stable literal `code`, structured fields, and
 * the original `cause`. `instanceof` checks the code through a registered symbol, so it works
 * across module copies (the workflow sandbox, Jest's module registries, two installed versions).
 * Subclasses declare `static readonly CODE` and the same `code`; a subclass of a subclass (e.g.
 * `BudgetExceededError` of `PipelineRunFailedError`) is an instance of both.
 */
export abstract class PipelineError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const code = (new.target as unknown as { CODE?: string }).CODE;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: code ?? 'pipeline_error', enumerable: false });
    // The codes of the classes it extends, for `instanceof` of each.
    const codes: string[] = [];
    for (let c: unknown = new.target; c && c !== PipelineError; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, 'CODE')) codes.push((c as { CODE: string }).CODE);
    }
    if (codes.length > 1) Object.defineProperty(this, BRAND_CHAIN, { value: codes, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    const brand = brandOf(value);
    if (brand === undefined) return false;
    const code = (this as unknown as { CODE?: string }).CODE;
    if (code === undefined || brand === code) return true;
    const chain = (value as Record<symbol, unknown>)[BRAND_CHAIN];
    return Array.isArray(chain) && chain.includes(code);
  }
}

/**
 * Formats an issue path the way users write it: `['steps', 2, 'params', 'prompt']` →
 * `steps[2].params.prompt`; keys that are not identifiers are quoted (`headers["x-id"]`).
 */
export function formatIssuePath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(document)' : out;
}

const SHOWN_ISSUES = 5;

/**
 * A pipeline definition failed validation. `issues` lists every problem found (not only the
 * first), Zod-style: a path, a stable code and a sentence a user can act on.
 */
export class PipelineValidationError extends PipelineError {
  static readonly CODE = 'validation_error';
  readonly code = 'validation_error' as const;
  readonly issues: readonly PipelineIssue[];

  /**
   * @param options.subject What was invalid, for the message's first line ("Invalid inputs (1
   * issue)"). @default 'pipeline definition'
   */
  constructor(issues: readonly PipelineIssue[], options?: { cause?: unknown; subject?: string }) {
    const lines = issues.slice(0, SHOWN_ISSUES).map((i) => `  ${formatIssuePath(i.path)}: ${i.message}`);
    if (issues.length > SHOWN_ISSUES) lines.push(`  … and ${issues.length - SHOWN_ISSUES} more`);
    const count = issues.length === 1 ? '1 issue' : `${issues.length} issues`;
    const subject = options?.subject ?? 'pipeline definition';
    super(`Invalid ${subject} (${count}):\n${lines.join('\n')}`, options && { cause: options.cause });
    this.issues = issues;
  }
}

/**
 * A CEL expression could not be evaluated (or was rejected before evaluation). `expression` is
 * the source; the message says why, e.g. `No such key: statuss`.
 */
export class ExpressionError extends PipelineError {
  static readonly CODE = 'expression_error';
  readonly code = 'expression_error' as const;
  readonly expression: string;

  constructor(expression: string, reason: string, options?: { cause?: unknown }) {
    super(`Expression ${JSON.stringify(truncate(expression, 200))} failed: ${reason}`, options);
    this.expression = expression;
  }
}

/** A template named a secret (`{{ secrets.NAME }}`) that the worker's secret lookup does not know. */
export class MissingSecretError extends PipelineError {
  static readonly CODE = 'missing_secret';
  readonly code = 'missing_secret' as const;
  readonly secretName: string;

  constructor(secretName: string) {
    super(
      `Secret ${JSON.stringify(secretName)} is not available on this worker; ` +
        `define it in the worker's environment or secret provider`,
    );
    this.secretName = secretName;
  }
}

/** Which bound of `EVALUATION_LIMITS` an evaluation went past. */
export type EvaluationLimitName = 'maxOperations' | 'maxValueBytes' | 'maxRenderedBytes';

/**
 * Evaluating an expression or rendering a template went past one of `EVALUATION_LIMITS`: it did
 * too much work, built too large a value, or rendered too much. Never retried (the same
 * definition and data would pass it again); a step fails with the code `EvaluationLimit`.
 */
export class EvaluationLimitError extends PipelineError {
  static readonly CODE = 'evaluation_limit';
  readonly code = 'evaluation_limit' as const;
  /** The limit passed, e.g. `maxValueBytes`. */
  readonly limit: EvaluationLimitName;
  /** Its value (operations or bytes). */
  readonly max: number;
  /** Why, in words: `it builds a value larger than 1.0 MiB`. */
  readonly reason: string;
  /** The expression or template being evaluated, when known. */
  readonly expression?: string;

  constructor(limit: EvaluationLimitName, max: number, reason: string, expression?: string) {
    super(
      `${expression === undefined ? 'Evaluation' : `Expression ${JSON.stringify(truncate(expression, 200))}`} ` +
        `went past the evaluation limit ${limit} (${max}): ${reason}`,
    );
    this.limit = limit;
    this.max = max;
    this.reason = reason;
    if (expression !== undefined) this.expression = expression;
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
