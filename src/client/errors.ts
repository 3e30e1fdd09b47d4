/**
 * The client's errors, and the one place Temporal's errors are translated into them
 * (`translateError`). Users handle these; they never need a `@temporalio/*` error class.
 */
export { PipelineError, PipelineValidationError } from '../model';
export * from './runErrors';
export * from './serviceErrors';
export { translateError, unreachable } from './translateError';
