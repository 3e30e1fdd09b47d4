/**
 * Token and cost budgets end to end (issue 8 item 4): a real Temporal server, the real `openai`
 * client against the fake OpenAI server with scripted usage. A run whose budget is used up stops
 * its llm steps with `BudgetExceeded` and keeps what completed; the client gets
 * `BudgetExceededError`; a step's budget caps its streamed reply; `max_cost` is counted at the
 * worker's prices; a bad budget is refused before anything starts.
 */
import { RunHandle } from '../../src/client/runs/runHandle';
import { retryRun } from '../../src/client/runs/retryRun';
import { BudgetExceededError, PipelineRunFailedError } from '../../src/client/errors';
import { PipelineValidationError } from '../../src/model';
import { startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';
import { startOfflineModel, type OfflineModel } from '../../src/dev/offlineModel';

let h: PipelineHarness;
let llm: OfflineModel;

/** Prices that make the arithmetic readable: a prompt token costs $0.001, a completion token $0.002. */
const PRICES = { 'gpt-priced': { inputPerMillion: 1000, outputPerMillion: 2000 } };

beforeAll(async () => {
  llm = await startOfflineModel();
  h = await startPipelineHarness({
    providers: { openai: { baseURL: llm.baseURL, apiKey: 'test-key', prices: PRICES } },
  });
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
});
beforeEach(() => llm.reset());

const usage = (prompt: number, completion: number) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

/** a → b → c, each an llm step reading the one before, and an output of a. */
const chain = (name: string, model = 'gpt-test') => ({
  name,
  budget: { max_tokens: 1000 },
  steps: [
    { id: 'a', action: 'llm', params: { model, prompt: 'first' } },
    { id: 'b', action: 'llm', params: { model, prompt: 'after {{ steps.a.output.response }}' } },
    { id: 'c', action: 'llm', params: { model, prompt: 'after {{ steps.b.output.response }}' } },
    { id: 'report', action: 'output', params: { value: '{{ steps.c.output.response }}' } },
    { id: 'kept', action: 'output', params: { value: '{{ steps.a.output.response }}' } },
  ],
});

test("a run's max_tokens budget used up by the second step: the third fails BudgetExceeded, the first two keep their outputs, the client gets BudgetExceededError", async () => {
  llm.script({ reply: 'alpha', usage: usage(5, 5) }, { reply: 'beta', usage: usage(8, 7) });
  // The run's own option (20) replaces the definition's budget (1000).
  const { handle, snapshot, failure } = await h.run(chain('budget-tokens'), { budget: { maxTokens: 20 } });

  expect(failure).toBeDefined();
  expect(snapshot.status).toBe('failed');
  expect(snapshot.nodes.a).toMatchObject({ status: 'completed', output: { response: 'alpha' } });
  expect(snapshot.nodes.b).toMatchObject({ status: 'completed', output: { response: 'beta' } });
  expect(snapshot.nodes.c).toMatchObject({
    status: 'failed',
    error: {
      code: 'BudgetExceeded',
      message:
        "budget exceeded: the run's max_tokens budget is used up (25 of 20 tokens used); the step was not started",
      budget: { scope: 'run', limit: 'max_tokens', used: 25, max: 20 },
    },
  });
  expect(snapshot.nodes.report).toMatchObject({ status: 'skipped' });
  expect(snapshot.outputs).toEqual({ kept: 'alpha' });
  expect(snapshot.budget).toEqual({ maxTokens: 20, usedTokens: 25, usedCost: 0 });
  expect(snapshot.usage).toEqual({ promptTokens: 13, completionTokens: 12, totalTokens: 25 });
  // c never called the model; b was sent what the budget left after a (20 − 10) as its cap.
  const requests = llm.chatRequests();
  expect(requests).toHaveLength(2);
  expect(requests[0]!.body.max_completion_tokens).toBe(20);
  expect(requests[1]!.body.max_completion_tokens).toBe(10);
  expect(snapshot.logs.map((r) => r.message)).toEqual(
    expect.arrayContaining([
      "the run's budget is used up: max_tokens (25 of 20 tokens used); llm steps that have not started will fail with BudgetExceeded",
    ]),
  );

  const err = await new RunHandle(handle).result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BudgetExceededError);
  expect(err).toBeInstanceOf(PipelineRunFailedError);
  expect(err).toMatchObject({
    code: 'budget_exceeded',
    status: 'failed',
    nodeId: 'c',
    budget: { scope: 'run', limit: 'max_tokens', used: 25, max: 20 },
  });
  expect((err as Error).message).toContain("the run's max_tokens budget is used up (25 of 20 tokens used)");

  // A retry from the failed step reuses a and b (their tokens are not counted again) and starts
  // with a fresh budget, raised here; c runs.
  llm.script({ reply: 'gamma', usage: usage(6, 4) });
  const retry = await retryRun(h.client, handle.workflowId, {
    fromFailedStep: true,
    budget: { maxTokens: 50 },
  });
  expect(await retry.result()).toEqual({ status: 'completed', outputs: { report: 'gamma', kept: 'alpha' } });
  const retried = (await retry.runStatus()).snapshot!;
  expect(retried.budget).toEqual({ maxTokens: 50, usedTokens: 10, usedCost: 0 });
  expect(llm.chatRequests()).toHaveLength(3);
});

test("a step's own budget caps its streamed reply: the completion stops at the cap", async () => {
  const words = 'one two three four five six seven eight nine ten';
  llm.script({ reply: words, chunkDelayMs: 10 });
  const { snapshot, outputs } = await h.run({
    name: 'budget-step-stream',
    steps: [
      {
        id: 'count',
        action: 'llm',
        params: { model: 'gpt-test', prompt: 'count to ten', stream: true, max_tokens: 100 },
        budget: { max_tokens: 4 },
      },
      { id: 'out', action: 'output', params: { value: '{{ steps.count.output.response }}' } },
    ],
  });
  expect(llm.chatRequests()[0]!.body.max_completion_tokens).toBe(4);
  expect(outputs).toEqual({ out: 'one two three four ' });
  expect(snapshot.nodes.count).toMatchObject({
    status: 'completed',
    output: { finishReason: 'length' },
    usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
  });
  const messages = snapshot.logs.map((r) => r.message);
  expect(messages).toEqual(
    expect.arrayContaining([
      'the reply was cut off at 4 completion token(s): what the budget left for it',
      'step count used 7 tokens (max_tokens 4), past its own budget: its prompt counts too, and is only known once the provider answers',
    ]),
  );
  // No run budget: the snapshot has none.
  expect(snapshot.budget).toBeUndefined();
});

test("max_cost at the worker's prices: calls are capped at what the dollars left buy, and the step after the budget is used up fails", async () => {
  llm.script(
    { reply: 'first answer', usage: usage(10, 10) }, // $0.01 + $0.02 = $0.03
    { reply: 'second', usage: usage(5, 5) }, // $0.005 + $0.01 = $0.015 → $0.045
    { reply: 'w x y z' }, // counted by the fake: cut to 2 words; prompt 'third' = 1 → $0.005 → $0.05
  );
  const { snapshot, handle } = await h.run({
    name: 'budget-cost',
    budget: { max_cost: 0.05 },
    steps: [
      { id: 'a', action: 'llm', params: { model: 'gpt-priced', prompt: 'first' } },
      { id: 'b', action: 'llm', params: { model: 'gpt-priced', prompt: 'second' }, depends_on: ['a'] },
      { id: 'c', action: 'llm', params: { model: 'gpt-priced', prompt: 'third' }, depends_on: ['b'] },
      { id: 'd', action: 'llm', params: { model: 'gpt-priced', prompt: 'fourth' }, depends_on: ['c'] },
    ],
  });
  const caps = llm.chatRequests().map((r) => r.body.max_completion_tokens as number);
  // $0.05 / $0.002 = 25 tokens; then $0.02 → 10; then $0.005 → 2.
  expect(caps).toEqual([25, 10, 2]);
  expect(snapshot.nodes.a!.usage).toEqual({
    promptTokens: 10,
    completionTokens: 10,
    totalTokens: 20,
    costUsd: 0.03,
  });
  expect(snapshot.nodes.c).toMatchObject({
    status: 'completed',
    output: { response: 'w x ', finishReason: 'length' },
    usage: { promptTokens: 1, completionTokens: 2, costUsd: 0.005 },
  });
  expect(snapshot.nodes.d).toMatchObject({
    status: 'failed',
    error: {
      code: 'BudgetExceeded',
      message:
        "budget exceeded: the run's max_cost budget is used up ($0.05 of $0.05 used); the step was not started",
    },
  });
  expect(snapshot.budget).toEqual({ maxCost: 0.05, usedTokens: 33, usedCost: 0.05 });
  expect(snapshot.usage.costUsd).toBe(0.05);
  const err = await new RunHandle(handle).result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BudgetExceededError);
  expect(err).toMatchObject({ nodeId: 'd', budget: { scope: 'run', limit: 'max_cost', max: 0.05 } });
});

test('a max_cost budget on a model the worker has no price for: the step fails BudgetUnpriced before any call', async () => {
  const { snapshot } = await h.run(
    {
      name: 'budget-unpriced',
      steps: [{ id: 'ask', action: 'llm', params: { model: 'gpt-mystery', prompt: 'hi' } }],
    },
    { budget: { maxCost: 1 } },
  );
  expect(snapshot.nodes.ask).toMatchObject({
    status: 'failed',
    attempts: 1,
    error: { code: 'BudgetUnpriced' },
  });
  expect(snapshot.nodes.ask!.error!.message).toContain('no price for model "gpt-mystery"');
  expect(llm.chatRequests()).toHaveLength(0);
});

test('a bad budget is refused before anything starts, with structured issues', async () => {
  const bad = {
    name: 'budget-bad',
    budget: { max_tokens: 0 },
    steps: [
      {
        id: 'ask',
        action: 'llm',
        params: { model: 'gpt-test', prompt: 'hi' },
        budget: { max_cost: 'cheap' },
      },
      { id: 'note', action: 'log', params: { message: 'x' } },
    ],
  };
  const err = await h.start(bad).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineValidationError);
  expect((err as PipelineValidationError).issues).toEqual([
    { path: ['budget', 'max_tokens'], code: 'invalid_budget', message: 'max_tokens must be greater than 0' },
    expect.objectContaining({
      path: ['steps', 0, 'budget', 'max_cost'],
      code: 'invalid_budget',
      stepId: 'ask',
    }),
  ]);

  const onStep = await h
    .start({ steps: [{ id: 'note', action: 'log', params: { message: 'x' }, budget: { max_tokens: 5 } }] })
    .catch((e: unknown) => e);
  expect((onStep as PipelineValidationError).issues).toEqual([
    expect.objectContaining({ path: ['steps', 0, 'budget'], code: 'invalid_budget', stepId: 'note' }),
  ]);

  const option = await h
    .start({ steps: [{ id: 'ask', action: 'llm', params: { prompt: 'hi' } }] }, { budget: { maxCost: -1 } })
    .catch((e: unknown) => e);
  expect((option as PipelineValidationError).issues).toEqual([
    expect.objectContaining({ path: ['budget', 'maxCost'], code: 'invalid_budget' }),
  ]);
  expect(llm.chatRequests()).toHaveLength(0);
});

test('the used budget is carried across continue-as-new: a step in a later history is refused', async () => {
  const steps = Array.from({ length: 6 }, (_, i) => ({
    id: `s${i}`,
    action: 'llm',
    params: { model: 'gpt-test', prompt: 'go' },
    ...(i > 0 && { depends_on: [`s${i - 1}`] }),
  }));
  // Each call: 1 prompt word + "echo: go" = 3 tokens. 12 tokens buy four calls.
  const { snapshot } = await h.run(
    { name: 'budget-continued', budget: { max_tokens: 12 }, steps },
    { continueAsNewAfterEvents: 20 },
  );
  expect(snapshot.continuations).toBeGreaterThanOrEqual(1);
  expect(['s0', 's1', 's2', 's3'].map((id) => snapshot.nodes[id]!.status)).toEqual([
    'completed',
    'completed',
    'completed',
    'completed',
  ]);
  expect(snapshot.nodes.s4).toMatchObject({ status: 'failed', error: { code: 'BudgetExceeded' } });
  expect(snapshot.nodes.s5).toMatchObject({ status: 'skipped' });
  expect(snapshot.budget).toEqual({ maxTokens: 12, usedTokens: 12, usedCost: 0 });
  expect(llm.chatRequests()).toHaveLength(4);
});
