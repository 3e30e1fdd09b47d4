/**
 * A run that failed because a budget ran out reaches the client as `BudgetExceededError`, which
 * is also a `PipelineRunFailedError`; other failed runs stay `PipelineRunFailedError` only. A
 * run's `budget` option reaches its input only when set.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import {
  BudgetExceededError,
  PipelineError,
  PipelineRunFailedError,
  translateError,
} from '../../../src/client/errors';
import { prepareRun } from '../../../src/client/runs/startRun';
import { PipelineValidationError } from '../../../src/model';

const failed = (details: Record<string, unknown>) =>
  new WorkflowFailedError(
    'Workflow execution failed',
    ApplicationFailure.create({
      type: 'PipelineNodeFailed',
      message: String(details.message),
      nonRetryable: true,
      details: [details],
    }),
    RetryState.NON_RETRYABLE_FAILURE,
  );

test('a step refused by the run budget: BudgetExceededError with the budget, the step and the message', () => {
  const budget = { scope: 'run', limit: 'max_tokens', used: 25, max: 20 };
  const message =
    'step "c" failed after 1 attempt(s): budget exceeded: the run\'s max_tokens budget is used up (25 of 20 tokens used); the step was not started';
  const err = translateError(
    failed({ nodeId: 'c', attempts: 1, message, code: 'BudgetExceeded', failedSteps: ['c'], budget }),
    'run-1',
  );
  expect(err).toBeInstanceOf(BudgetExceededError);
  expect(err).toBeInstanceOf(PipelineRunFailedError);
  expect(err).toBeInstanceOf(PipelineError);
  expect(err).toMatchObject({
    code: 'budget_exceeded',
    name: 'BudgetExceededError',
    status: 'failed',
    taskId: 'run-1',
    nodeId: 'c',
    attempts: 1,
    budget,
    message: `Run run-1 failed: ${message}`,
  });
});

test('any other failed step stays a PipelineRunFailedError, not a BudgetExceededError', () => {
  const err = translateError(
    failed({ nodeId: 'a', attempts: 3, message: 'step "a" failed', code: 'UpstreamUnavailable' }),
    'run-2',
  );
  expect(err).toBeInstanceOf(PipelineRunFailedError);
  expect(err).not.toBeInstanceOf(BudgetExceededError);
  expect(err).toMatchObject({ code: 'run_failed', nodeId: 'a' });
});

test("a run's budget option travels in its input only when set, and is checked before start", () => {
  const doc = { steps: [{ id: 'ask', action: 'llm', params: { prompt: 'hi' } }] };
  expect(prepareRun(doc)).not.toHaveProperty('budget');
  expect(prepareRun(doc, { budget: {} })).not.toHaveProperty('budget');
  expect(prepareRun(doc, { budget: { maxTokens: 500, maxCost: undefined } }).budget).toEqual({
    maxTokens: 500,
  });
  expect(() => prepareRun(doc, { budget: { maxTokens: 1.5 } })).toThrow(PipelineValidationError);
});
