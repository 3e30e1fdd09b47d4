/**
 * The pipeline definition document: the BudAI `steps` shape, verbatim (DESIGN.md decision 5).
 * Zod is the source of truth; every exported type is inferred from its schema.
 *
 * This module checks the *shape* of a document only. Whether a step's params fit its action,
 * whether references resolve and whether the graph is acyclic is the compiler's job.
 */
import { z } from 'zod';
import { MAX_CONCURRENT_RUNS } from '../limits/concurrency';
import { Duration, DURATION_LIMITS, durationToMs, formatDurationLimit } from './duration';
import { MAX_STEPS } from './limits';

export { Duration };

/** A {@link Duration} no longer than `maxMs` (one of `DURATION_LIMITS`). */
export const boundedDuration = (maxMs: number) =>
  Duration.refine((value) => !isDuration(value) || durationToMs(value) <= maxMs, {
    error: (issue) =>
      `must be at most ${formatDurationLimit(maxMs)}, got ${JSON.stringify(issue.input)} (see "Limits" in docs/definition-reference.md)`,
  });

/** Whether `value` is a duration at all (zod runs a refinement even after the union refused it). */
const isDuration = (value: unknown): value is Duration => Duration.safeParse(value).success;

const RESERVED_STEP_IDS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A step id, also usable inside expressions as `steps.<id>`; not `__proto__`, `constructor` or `prototype`. */
export const StepId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and underscores, not starting with a digit')
  .refine((id) => !RESERVED_STEP_IDS.has(id), {
    message:
      'a step id cannot be __proto__, constructor or prototype (expressions could not read it as steps.<id>)',
  });

export const RetryConfig = z.strictObject({
  /** Total attempts including the first. @default 3 for I/O steps */
  max_attempts: z.number().int().min(1).max(100).optional(),
  /** Multiplier applied to the interval after each failed attempt. @default 2 */
  backoff_multiplier: z.number().min(1).max(100).optional(),
  /** Wait before the first retry. @default "1s" */
  initial_interval: boundedDuration(DURATION_LIMITS.retryInterval).optional(),
  /** Upper bound for the wait between attempts. @default "100 × initial_interval" */
  max_interval: boundedDuration(DURATION_LIMITS.retryInterval).optional(),
  /** Error codes (an `ApplicationFailure.type`) that are never retried. */
  non_retryable_errors: z.array(z.string()).optional(),
});
export type RetryConfig = z.infer<typeof RetryConfig>;

/**
 * A token and/or cost budget (`budget:` on the pipeline or on an llm step). Counted from the
 * usage the providers report: `max_tokens` against prompt + completion tokens, `max_cost`
 * against the cost the worker prices them at (US dollars, `prices` in its provider config).
 * Not the llm param `max_tokens`, which caps one reply's completion.
 */
export const BudgetConfig = z
  .strictObject({
    /** At most this many tokens (prompt + completion, as the provider reports them). */
    max_tokens: z
      .number()
      .int('max_tokens must be a whole number of tokens')
      .positive('max_tokens must be greater than 0')
      .optional(),
    /** At most this much, in US dollars, at the worker's prices for the models called. */
    max_cost: z.number().positive('max_cost must be greater than 0 (US dollars)').optional(),
  })
  .refine((v) => v.max_tokens !== undefined || v.max_cost !== undefined, {
    message: 'a budget needs max_tokens, max_cost or both',
  });
export type BudgetConfig = z.infer<typeof BudgetConfig>;

export const StepDefinition = z.strictObject({
  id: StepId,
  /** The node kind (`llm`, `api_call`, …) or the name of an action registered on the worker. */
  action: z.string().min(1).max(128),
  /** Action-specific settings; string values may hold `{{ expr }}` templates. */
  params: z.record(z.string(), z.unknown()).optional(),
  depends_on: z.array(StepId).optional(),
  retry: RetryConfig.optional(),
  /** A CEL expression; false makes the step `skipped`. */
  condition: z.string().max(4096).optional(),
  /** Per-attempt timeout of an I/O step (start-to-close), at most 30 days. */
  timeout: boundedDuration(DURATION_LIMITS.stepTimeout).optional(),
  /** A failure of this step does not fail the run. @default false */
  allow_failure: z.boolean().optional(),
  /**
   * llm steps only: this step's own token / cost budget; its reply is capped so the step stays
   * within it (see docs/flow-control.md, "Token and cost budgets").
   */
  budget: BudgetConfig.optional(),
  description: z.string().optional(),
});
export type StepDefinition = z.infer<typeof StepDefinition>;

export const ParamType = z.enum(['string', 'number', 'integer', 'boolean', 'object', 'array', 'any']);
export type ParamType = z.infer<typeof ParamType>;

/** A declared pipeline parameter (`{{ params.<name> }}`). */
export const ParamDeclaration = z.strictObject({
  type: ParamType.default('any'),
  required: z.boolean().optional(),
  default: z.unknown().optional(),
  description: z.string().optional(),
});
export type ParamDeclaration = z.infer<typeof ParamDeclaration>;

export const PipelineDefinition = z.strictObject({
  name: z.string().min(1).max(128).optional(),
  description: z.string().max(4096).optional(),
  /** Declared parameters; when present, references to undeclared `params.x` are rejected. */
  params: z.record(z.string(), ParamDeclaration).optional(),
  /** Cancel the nodes in flight as soon as one node fails for good. @default false */
  fail_fast: z.boolean().optional(),
  /**
   * At most this many runs of the pipeline execute at once, across all workers and clients; the
   * others wait as `pending` (or are refused, see `on_limit`). Runs started with a
   * `concurrencyKey` share the limit with the runs of that key instead.
   */
  max_concurrent_runs: z.number().int().min(1).max(MAX_CONCURRENT_RUNS).optional(),
  /** At the limit: `queue` (wait, in start order, priority first) or `reject` (`start` throws `RateLimitError`). @default "queue" */
  on_limit: z.enum(['queue', 'reject']).optional(),
  /**
   * The run's token / cost budget over all its llm steps: once it is used up, llm steps not
   * started yet fail with `BudgetExceeded`. A run's own `budget` option overrides it field by field.
   */
  budget: BudgetConfig.optional(),
  steps: z.array(StepDefinition).min(1).max(MAX_STEPS),
});
/** A pipeline document as the user wrote it (JSON or YAML). */
export type PipelineDefinitionInput = z.input<typeof PipelineDefinition>;
/** A pipeline document after shape validation (defaults applied). */
export type PipelineDefinition = z.infer<typeof PipelineDefinition>;
