/**
 * How errors inside the interpreter become step or run failures, never a workflow task that fails
 * over and over (DESIGN.md decision 13). The SDK retries a workflow task whose code throws anything
 * but a Temporal failure, which no retry can fix when the cause is the definition, its data or a
 * bug: the run would stall for ever.
 * - An evaluation limit passed while rendering or evaluating fails the step with `EvaluationLimit`.
 * - Anything else thrown by the engine's own code fails the run, non-retryably, with `EngineError`.
 */
import { ApplicationFailure, ContinueAsNew, isCancellation, TemporalFailure } from '@temporalio/workflow';
import { EvaluationLimitError } from '../../model';

/** The step error code of an evaluation that went past one of `EVALUATION_LIMITS`. */
export const EVALUATION_LIMIT_CODE = 'EvaluationLimit';

/** The run failure type of an error the engine's own code threw. */
export const ENGINE_ERROR_TYPE = 'EngineError';

/** The code a step failure caused by `err` gets: `EvaluationLimit` for a limit, else `fallback`. */
export function stepErrorCode(err: unknown, fallback: string): string {
  return err instanceof EvaluationLimitError ? EVALUATION_LIMIT_CODE : fallback;
}

/**
 * What to throw out of a workflow function for `err`: Temporal's own failures, cancellation and
 * continue-as-new as they are; anything else as a non-retryable `EngineError` that says what broke.
 */
export function asRunFailure(err: unknown, what: string): unknown {
  if (err instanceof TemporalFailure || err instanceof ContinueAsNew || isCancellation(err)) return err;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return ApplicationFailure.create({
    type: ENGINE_ERROR_TYPE,
    message: `${what} failed in the engine's own code (${message}); it cannot succeed by being retried`,
    nonRetryable: true,
    ...(err instanceof Error && { cause: err }),
  });
}
