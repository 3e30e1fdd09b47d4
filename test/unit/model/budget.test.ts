/**
 * Token and cost budgets: the definition's `budget` (pipeline and llm steps) through the compiler
 * and the packed plan, a run's own `budget` option, and the arithmetic the workflow runs before an
 * llm step starts.
 */
import {
  addUsd,
  checkLlmBudget,
  compile,
  costOf,
  mergeBudgets,
  packPlan,
  runBudgetIssues,
  unpackPlan,
  type PipelineIssue,
} from '../../../src/model';
import { KIND_DEFAULTS } from '../../../src/model/kinds/catalog';
import type { PlanNodeFields } from '../../../src/model/plan/plan';

const llm = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  action: 'llm',
  params: { model: 'm', prompt: 'hi' },
  ...extra,
});

const issuesOf = (doc: unknown): PipelineIssue[] => {
  const result = compile(doc);
  if (result.ok) throw new Error('expected issues');
  return result.issues;
};

describe('budgets in the definition', () => {
  test('pipeline and llm-step budgets reach the plan in camelCase, and survive packing', () => {
    const result = compile({
      budget: { max_tokens: 1000, max_cost: 0.5 },
      steps: [llm('a', { budget: { max_tokens: 200 } }), llm('b', { depends_on: ['a'] })],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.plan.budget).toEqual({ maxTokens: 1000, maxCost: 0.5 });
    expect(result.plan.nodes.map((n: PlanNodeFields) => n.budget)).toEqual([{ maxTokens: 200 }, undefined]);
    const packed = packPlan(result.plan, KIND_DEFAULTS);
    expect(packed.nodes[0]!.budget).toEqual({ maxTokens: 200 });
    expect('budget' in packed.nodes[1]!).toBe(false);
    expect(unpackPlan(packed)).toEqual(result.plan);
  });

  test('a plan without budgets has no budget fields at all (packed plans unchanged)', () => {
    const result = compile({ steps: [llm('a')] });
    if (!result.ok) throw new Error('expected a plan');
    expect('budget' in result.plan).toBe(false);
    expect('budget' in result.plan.nodes[0]!).toBe(false);
    expect(JSON.stringify(packPlan(result.plan, KIND_DEFAULTS))).not.toContain('budget');
  });

  test('bad budgets: each gets a structured issue with its step, field and why', () => {
    const issues = issuesOf({
      budget: { max_cost: -1 },
      steps: [
        llm('a', { budget: { max_tokens: 2.5 } }),
        llm('b', { budget: {} }),
        llm('c', { budget: { max_tokens: 10, max_dollars: 1 } }),
      ],
    });
    expect(issues).toEqual([
      {
        path: ['budget', 'max_cost'],
        code: 'invalid_budget',
        message: 'max_cost must be greater than 0 (US dollars)',
      },
      {
        path: ['steps', 0, 'budget', 'max_tokens'],
        code: 'invalid_budget',
        message: 'max_tokens must be a whole number of tokens',
        stepId: 'a',
      },
      {
        path: ['steps', 1, 'budget'],
        code: 'invalid_budget',
        message: 'a budget needs max_tokens, max_cost or both',
        stepId: 'b',
      },
      expect.objectContaining({
        path: ['steps', 2, 'budget', 'max_dollars'],
        code: 'invalid_budget',
        stepId: 'c',
      }),
    ]);
  });

  test('a budget on a step that is not an llm step is an error, not silently ignored', () => {
    const issues = issuesOf({
      steps: [{ id: 'd', action: 'log', params: { message: 'x' }, budget: { max_tokens: 10 } }],
    });
    expect(issues).toEqual([
      {
        path: ['steps', 0, 'budget'],
        code: 'invalid_budget',
        stepId: 'd',
        message: "A budget applies only to llm steps; 'log' steps report no token usage for it to count.",
      },
    ]);
  });
});

describe("a run's budget option", () => {
  test("the run's fields replace the definition's, one by one", () => {
    expect(mergeBudgets({ maxTokens: 100, maxCost: 1 }, { maxTokens: 500 })).toEqual({
      maxTokens: 500,
      maxCost: 1,
    });
    expect(mergeBudgets(undefined, { maxCost: 2 })).toEqual({ maxCost: 2 });
    expect(mergeBudgets({ maxTokens: 10 }, undefined)).toEqual({ maxTokens: 10 });
    expect(mergeBudgets(undefined, {})).toBeUndefined();
  });

  test('is checked: positive whole tokens, positive dollars, known keys', () => {
    expect(runBudgetIssues(undefined)).toEqual([]);
    expect(runBudgetIssues({ maxTokens: 10, maxCost: 0.01 })).toEqual([]);
    expect(runBudgetIssues({ maxTokens: 0, maxCost: Infinity, tokens: 1 }).map((i) => i.path)).toEqual([
      ['budget', 'tokens'],
      ['budget', 'maxTokens'],
      ['budget', 'maxCost'],
    ]);
    expect(runBudgetIssues(5)).toEqual([
      expect.objectContaining({ path: ['budget'], code: 'invalid_budget' }),
    ]);
  });
});

describe('the check before an llm step starts', () => {
  const none = { tokens: 0, costUsd: 0 };

  test('no budget: nothing to tell the call', () => {
    expect(checkLlmBudget(undefined, none, undefined)).toEqual({ ok: true });
  });

  test("the run's tokens left cap the reply; the step's own budget caps it further", () => {
    expect(checkLlmBudget({ maxTokens: 100 }, { tokens: 70, costUsd: 0 }, undefined)).toEqual({
      ok: true,
      call: { maxCompletionTokens: 30 },
    });
    expect(checkLlmBudget({ maxTokens: 100 }, { tokens: 70, costUsd: 0 }, { maxTokens: 20 })).toEqual({
      ok: true,
      call: { maxCompletionTokens: 20 },
    });
    expect(checkLlmBudget(undefined, none, { maxCost: 0.01 })).toEqual({
      ok: true,
      call: { maxCostUsd: 0.01 },
    });
    expect(checkLlmBudget({ maxCost: 0.05 }, { tokens: 0, costUsd: 0.02 }, { maxCost: 0.1 })).toEqual({
      ok: true,
      call: { maxCostUsd: 0.03 },
    });
  });

  test('a used-up run budget refuses the step, naming the budget, what was used and the limit', () => {
    expect(checkLlmBudget({ maxTokens: 20 }, { tokens: 25, costUsd: 0 }, { maxTokens: 5 })).toEqual({
      ok: false,
      breach: { scope: 'run', limit: 'max_tokens', used: 25, max: 20 },
      message: "budget exceeded: the run's max_tokens budget is used up (25 of 20 tokens used)",
    });
    // Reaching the budget exactly is using it up.
    expect(checkLlmBudget({ maxTokens: 20 }, { tokens: 20, costUsd: 0 }, undefined).ok).toBe(false);
    expect(checkLlmBudget({ maxCost: 0.001 }, { tokens: 9, costUsd: 0.0012 }, undefined)).toEqual({
      ok: false,
      breach: { scope: 'run', limit: 'max_cost', used: 0.0012, max: 0.001 },
      message: "budget exceeded: the run's max_cost budget is used up ($0.0012 of $0.001 used)",
    });
  });
});

describe('cost', () => {
  test('prompt and completion tokens at their prices per million, summed without binary noise', () => {
    const price = { inputPerMillion: 0.15, outputPerMillion: 0.6 };
    expect(costOf({ promptTokens: 1000, completionTokens: 500 }, price)).toBe(0.00045);
    expect(addUsd(0.1, 0.2)).toBe(0.3);
  });
});
