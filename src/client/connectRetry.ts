/**
 * How a connected client retries: Temporal calls through the SDK's gRPC retry interceptor, and
 * run starts refused for load through the client's own jittered retry, per `ConnectRetryOptions`.
 */
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { ConnectRetryOptions } from './connectOptions';
import { RATE_LIMIT_RETRY_DEFAULTS, type RateLimitRetryOptions } from './runs/rateLimitRetry';

const RESOURCE_EXHAUSTED = 8;
type GrpcInterceptor = ReturnType<typeof makeGrpcRetryInterceptor>;

const START_WORKFLOW_PATH = '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution';

/**
 * The SDK's retry interceptor with its backoff, deciding per `ConnectRetryOptions`; a start
 * refused for load is left to the client's own retry (`RunStarter`), which jitters it and keeps
 * it within `maxConcurrentStarts`.
 */
export function retryInterceptor({ maxAttempts, rateLimited = true }: ConnectRetryOptions): GrpcInterceptor {
  const sdk = defaultGrpcRetryOptions(maxAttempts === undefined ? {} : { maxAttempts });
  return (options, nextCall) => {
    const retryRateLimited = rateLimited !== false && options.method_definition.path !== START_WORKFLOW_PATH;
    return makeGrpcRetryInterceptor({
      delayFunction: sdk.delayFunction,
      retryableDecider: (attempt, status) =>
        (retryRateLimited || (status.code as number) !== RESOURCE_EXHAUSTED) &&
        sdk.retryableDecider(attempt, status),
    })(options, nextCall);
  };
}

/** How the client retries run starts refused for load, from `ConnectRetryOptions`; `false`: never. */
export function startRetry({
  maxAttempts,
  rateLimited = true,
}: ConnectRetryOptions): RateLimitRetryOptions | false {
  if (rateLimited === false) return false;
  return {
    maxAttempts: maxAttempts ?? RATE_LIMIT_RETRY_DEFAULTS.maxAttempts,
    ...(rateLimited === true ? {} : rateLimited),
  };
}
