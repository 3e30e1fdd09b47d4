/**
 * `translateError`: the one place Temporal's errors become the client's (and `unreachable`, for
 * a failed connect).
 */
import {
  isGrpcServiceError,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { PipelineError, type BudgetBreach } from '../model';
import { SEARCH_ATTRIBUTES } from '../protocol';
import { GrpcStatus } from './grpcStatus';
import { rateLimitHints } from './rateLimitHints';
import { BudgetExceededError, PipelineRunFailedError } from './runErrors';
import {
  AlreadyExistsError,
  ConnectionError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  SearchAttributesMissingError,
} from './serviceErrors';

/** The `details[0]` the `runPipeline` workflow attaches to its `PipelineNodeFailed` failure. */
interface NodeFailedDetails {
  nodeId?: string;
  attempts?: number;
  /** The failing step's error code. */
  code?: string;
  /** With code `BudgetExceeded`: the budget that refused the step. */
  budget?: BudgetBreach;
}

/**
 * Translates an error from a Temporal call into ours; errors that are already ours, and errors
 * this library has no better name for, are returned unchanged.
 */
export function translateError(err: unknown, taskId?: string): unknown {
  if (err instanceof PipelineError) return err;
  if (err instanceof WorkflowNotFoundError) {
    return new NotFoundError(`No run ${err.workflowId || taskId || ''} in this namespace`.trim(), {
      cause: err,
    });
  }
  if (err instanceof ScheduleNotFoundError) {
    return new NotFoundError(`No schedule ${err.scheduleId || taskId || ''} in this namespace`.trim(), {
      cause: err,
    });
  }
  if (err instanceof ScheduleAlreadyRunning) {
    return new AlreadyExistsError(`A schedule with id ${err.scheduleId} already exists`, { cause: err });
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new AlreadyExistsError(`A run with id ${err.workflowId} already exists`, { cause: err });
  }
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    const details =
      cause instanceof ApplicationFailure ? (cause.details?.[0] as NodeFailedDetails | undefined) : undefined;
    const status =
      cause instanceof TerminatedFailure
        ? 'terminated'
        : cause instanceof CancelledFailure
          ? 'cancelled'
          : cause instanceof TimeoutFailure
            ? 'timed_out'
            : 'failed';
    if (status === 'failed' && details?.code === 'BudgetExceeded') {
      return new BudgetExceededError(
        taskId ?? '',
        cause?.message ?? err.message,
        details.nodeId,
        details.attempts,
        details.budget,
        { cause: err },
      );
    }
    return new PipelineRunFailedError(
      taskId ?? '',
      cause?.message ?? err.message,
      details?.nodeId,
      details?.attempts,
      { cause: err, status },
    );
  }
  if (err instanceof ServiceError || isGrpcServiceError(err)) {
    const grpc = err instanceof ServiceError ? err.cause : err;
    const code = (grpc as { code?: number } | undefined)?.code;
    if (code === GrpcStatus.RESOURCE_EXHAUSTED) {
      const hints = rateLimitHints(grpc);
      // "Failed to start Workflow: namespace rate limit exceeded (RPS_LIMIT)"
      let message = err.message;
      if (hints.serverMessage && !message.includes(hints.serverMessage))
        message += `: ${hints.serverMessage}`;
      if (hints.reason) message += ` (${hints.reason})`;
      return new RateLimitError(message, hints.retryAfterMs, {
        cause: err,
        reason: hints.reason,
        scope: hints.scope,
      });
    }
    if (code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.INTERNAL) {
      return new InternalServerError(err.message, { cause: err });
    }
    if (code === GrpcStatus.NOT_FOUND) return new NotFoundError(err.message, { cause: err });
    if (code === GrpcStatus.INVALID_ARGUMENT) return unknownSearchAttribute(err) ?? err;
  }
  return err;
}

/**
 * A start the server refused because the namespace lacks one of our search attributes
 * ("Namespace default has no mapping defined for search attribute PipelineName"), as
 * `SearchAttributesMissingError` naming the command that adds it; undefined for other errors.
 */
function unknownSearchAttribute(err: Error): SearchAttributesMissingError | undefined {
  const grpc = err.cause instanceof Error ? err.cause.message : '';
  const match = /Namespace (\S+) has no mapping defined for search attribute (\w+)/.exec(
    `${err.message} ${grpc}`,
  );
  const attribute = Object.values(SEARCH_ATTRIBUTES).find((a) => a.name === match?.[2]);
  if (!match || !attribute) return undefined;
  return new SearchAttributesMissingError(
    match[1] as string,
    [{ name: attribute.name, type: attribute.type }],
    'the server refused to start the run without it (a worker adds the missing ones at start when it has operator rights)',
    { cause: err },
  );
}

/**
 * `ConnectionError` when `err`, from connecting to `address`, says no server answered there
 * (connection refused, unknown host, no answer before the deadline); undefined for other errors
 * (a server that answers and refuses the credentials, say).
 */
export function unreachable(address: string, err: unknown): ConnectionError | undefined {
  if (err instanceof ConnectionError) return err;
  const grpc = err instanceof ServiceError ? err.cause : err;
  const code = (grpc as { code?: unknown } | undefined)?.code;
  const text = err instanceof Error ? `${err.message} ${(grpc as Error | undefined)?.message ?? ''}` : '';
  const reason = /Connection refused|ECONNREFUSED/i.test(text)
    ? 'connection refused'
    : /failed to lookup|ENOTFOUND|Name or service not known|dns error/i.test(text)
      ? 'unknown host'
      : /deadline/i.test(text)
        ? 'no answer in time'
        : code === GrpcStatus.UNAVAILABLE || /TransportError|tcp connect error/.test(text)
          ? 'unavailable'
          : undefined;
  return reason === undefined ? undefined : new ConnectionError(address, reason, { cause: err });
}
