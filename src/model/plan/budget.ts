/**
 * Token and cost budgets: the arithmetic the workflow runs before it starts an llm step, and the
 * checks of a run's own `budget` option. Pure and deterministic (it runs inside the workflow).
 *
 * What is counted: the usage providers report for the attempt that settled each llm step —
 * prompt + completion tokens (`totalTokens`), and its cost at the worker's prices (`costUsd`).
 * Attempts that failed are not counted (an error response reports no usage).
 */
import type { BudgetConfig } from '../definition/definition';
import type { LlmCallBudget, TokenUsage } from '../kinds/nodeRun';
import type { PlanBudget } from './plan';
import type { PipelineIssue } from '../definition/issues';

/** A run's own budget option (`StartRunOptions.budget`): overrides the definition's field by field. */
export interface RunBudgetOptions {
  /** At most this many tokens (prompt + completion) over the run's llm steps. */
  maxTokens?: number;
  /** At most this many US dollars over the run's llm steps, at the worker's prices. */
  maxCost?: number;
}

/** Which budget stopped a step. */
export interface BudgetBreach {
  /** The run's budget, or the step's own. */
  scope: 'run' | 'step';
  /** The definition field that ran out. */
  limit: 'max_tokens' | 'max_cost';
  /** Tokens, or US dollars, used when the step was refused. */
  used: number;
  /** The budget: tokens, or US dollars. */
  max: number;
}

/** The verdict on an llm step about to start. */
export type BudgetVerdict =
  | { ok: true; /** What to tell the step's call (absent when nothing limits it). */ call?: LlmCallBudget }
  | { ok: false; breach: BudgetBreach; message: string };

/** A definition's `budget` in plan form (undefined when absent). */
export function toPlanBudget(config: BudgetConfig | undefined): PlanBudget | undefined {
  if (!config) return undefined;
  const budget: PlanBudget = {};
  if (config.max_tokens !== undefined) budget.maxTokens = config.max_tokens;
  if (config.max_cost !== undefined) budget.maxCost = config.max_cost;
  return budget;
}

/** The run's budget: the definition's, with each field the run sets replacing it. */
export function mergeBudgets(
  definition: PlanBudget | undefined,
  run: RunBudgetOptions | undefined,
): PlanBudget | undefined {
  const merged: PlanBudget = { ...definition };
  if (run?.maxTokens !== undefined) merged.maxTokens = run.maxTokens;
  if (run?.maxCost !== undefined) merged.maxCost = run.maxCost;
  return merged.maxTokens === undefined && merged.maxCost === undefined ? undefined : merged;
}

/** Problems with a run's `budget` option (`path` is where it sits, e.g. `['budget']`). */
export function runBudgetIssues(value: unknown, path: (string | number)[] = ['budget']): PipelineIssue[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [
      {
        path,
        code: 'invalid_budget',
        message: 'budget must be an object: { maxTokens?, maxCost? }.',
      },
    ];
  }
  const issues: PipelineIssue[] = [];
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== 'maxTokens' && key !== 'maxCost') {
      issues.push({
        path: [...path, key],
        code: 'invalid_budget',
        message: `Unknown budget option '${key}'; use maxTokens or maxCost.`,
      });
    }
  }
  const tokens = given.maxTokens;
  if (tokens !== undefined && !(Number.isInteger(tokens) && (tokens as number) > 0)) {
    issues.push({
      path: [...path, 'maxTokens'],
      code: 'invalid_budget',
      message: `budget.maxTokens must be a whole number of tokens greater than 0, got ${JSON.stringify(tokens)}.`,
    });
  }
  const cost = given.maxCost;
  if (cost !== undefined && !(typeof cost === 'number' && Number.isFinite(cost) && cost > 0)) {
    issues.push({
      path: [...path, 'maxCost'],
      code: 'invalid_budget',
      message: `budget.maxCost must be a number of US dollars greater than 0, got ${JSON.stringify(cost)}.`,
    });
  }
  return issues;
}

/** `$0.0123`: dollars with up to 6 decimals, trailing zeros dropped. */
export function formatUsd(amount: number): string {
  return `$${Number(amount.toFixed(6))}`;
}

/** Sums dollar amounts without binary noise piling up (kept to 1e-12 $). */
export function addUsd(a: number, b: number): number {
  return Math.round((a + b) * 1e12) / 1e12;
}

/** A model's price, US dollars per million tokens. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** What a call cost at `price`, US dollars. */
export function costOf(
  usage: Pick<TokenUsage, 'promptTokens' | 'completionTokens'>,
  price: ModelPrice,
): number {
  return addUsd(
    (usage.promptTokens * price.inputPerMillion) / 1e6,
    (usage.completionTokens * price.outputPerMillion) / 1e6,
  );
}

/** The message of a step refused by a breach (what the step's error says). */
export function budgetMessage(b: BudgetBreach): string {
  const whose = b.scope === 'run' ? "the run's" : "the step's";
  const amounts =
    b.limit === 'max_tokens'
      ? `${b.used} of ${b.max} tokens used`
      : `${formatUsd(b.used)} of ${formatUsd(b.max)} used`;
  return `budget exceeded: ${whose} ${b.limit} budget is used up (${amounts})`;
}

/**
 * The verdict on an llm step about to start, given the run's budget and what the run used so far,
 * and the step's own budget. Refused when the run's budget is used up (`used >= max`); otherwise
 * the call is capped by what is left: `maxCompletionTokens` = the smallest of the run's tokens
 * left and the step's `max_tokens`, `maxCostUsd` likewise (the activity turns it into a
 * completion cap at the model's output price, and refuses to call a model it has no price for).
 */
export function checkLlmBudget(
  run: PlanBudget | undefined,
  used: { tokens: number; costUsd: number },
  step: PlanBudget | undefined,
): BudgetVerdict {
  let breach: BudgetBreach | undefined;
  if (run?.maxTokens !== undefined && used.tokens >= run.maxTokens) {
    breach = { scope: 'run', limit: 'max_tokens', used: used.tokens, max: run.maxTokens };
  } else if (run?.maxCost !== undefined && used.costUsd >= run.maxCost) {
    breach = { scope: 'run', limit: 'max_cost', used: used.costUsd, max: run.maxCost };
  }
  if (breach) return { ok: false, breach, message: budgetMessage(breach) };
  const tokensLeft = [
    run?.maxTokens !== undefined ? run.maxTokens - used.tokens : undefined,
    step?.maxTokens,
  ].filter((n): n is number => n !== undefined);
  const costLeft = [
    run?.maxCost !== undefined ? addUsd(run.maxCost, -used.costUsd) : undefined,
    step?.maxCost,
  ].filter((n): n is number => n !== undefined);
  if (tokensLeft.length === 0 && costLeft.length === 0) return { ok: true };
  const call: LlmCallBudget = {};
  if (tokensLeft.length > 0) call.maxCompletionTokens = Math.min(...tokensLeft);
  if (costLeft.length > 0) call.maxCostUsd = Math.min(...costLeft);
  return { ok: true, call };
}
