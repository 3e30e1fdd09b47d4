/**
 * How errors in the interpreter become step and run failures instead of workflow task failures:
 * an evaluation limit is a step's `EvaluationLimit`; anything else the engine throws becomes a
 * non-retryable `EngineError` run failure; Temporal's own failures pass through unchanged.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { EvaluationLimitError, ExpressionError } from '../../../src/model/definition/errors';
import {
  asRunFailure,
  ENGINE_ERROR_TYPE,
  EVALUATION_LIMIT_CODE,
  stepErrorCode,
} from '../../../src/workflows/run/failures';

test('a step failed by an evaluation limit has the code EvaluationLimit; other errors keep theirs', () => {
  const limit = new EvaluationLimitError('maxValueBytes', 1024, 'it builds a list larger than 1.0 KiB', 'xs');
  expect(stepErrorCode(limit, 'ExpressionError')).toBe(EVALUATION_LIMIT_CODE);
  expect(stepErrorCode(new ExpressionError('xs', 'No such key: y'), 'ExpressionError')).toBe(
    'ExpressionError',
  );
  expect(stepErrorCode(new TypeError('x'), 'TemplateError')).toBe('TemplateError');
});

test("an error of the engine's own code becomes a non-retryable EngineError that says what broke", () => {
  const failure = asRunFailure(
    new TypeError("Cannot read properties of undefined (reading 'status')"),
    'the run',
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({
    type: ENGINE_ERROR_TYPE,
    nonRetryable: true,
    message:
      "the run failed in the engine's own code (TypeError: Cannot read properties of undefined (reading 'status')); it cannot succeed by being retried",
  });
  expect((failure as ApplicationFailure).cause).toBeInstanceOf(TypeError);
  expect(asRunFailure('a string', "map step 'm'")).toMatchObject({
    type: ENGINE_ERROR_TYPE,
    message: "map step 'm' failed in the engine's own code (a string); it cannot succeed by being retried",
  });
});

test("Temporal's own failures and cancellation pass through unchanged", () => {
  const nodeFailed = ApplicationFailure.create({
    type: 'PipelineNodeFailed',
    message: 'x',
    nonRetryable: true,
  });
  expect(asRunFailure(nodeFailed, 'the run')).toBe(nodeFailed);
  const cancelled = new CancelledFailure('cancelled');
  expect(asRunFailure(cancelled, 'the run')).toBe(cancelled);
});
