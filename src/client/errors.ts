/**
 * The client's errors, and the one place Temporal's errors are translated into them
 * (`translateError`). Users handle these; they never need a `@temporalio/*` error class.
 */
export { PipelineError, PipelineValidationError } from '../model';
export {
  BudgetExceededError,
  EventRejectedError,
  PipelineRunFailedError,
  PollTimeoutError,
  TimeoutError,
} from './runErrors';
export {
  AlreadyExistsError,
  ConnectionError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  SearchAttributesMissingError,
} from './serviceErrors';
export { translateError, unreachable } from './translateError';
