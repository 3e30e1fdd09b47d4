/**
 * How one client starts runs under load: at most `maxConcurrentStarts` start calls in flight (the
 * rest wait in arrival order), and starts refused for load retried with jittered backoff. A
 * start keeps its slot while it backs off, so a rate-limited server sees at most that many
 * clients' starts, not the whole queue.
 */
import type { Client } from '@temporalio/client';
import type { RunPipelineInput } from '../../protocol';
import { translateError } from '../errors';
import { ENGINE_CONCURRENCY_LIMIT, withRateLimitRetry, type RateLimitRetryOptions } from './rateLimitRetry';
import { StartLimiter } from './inFlightStarts';
import { startRun, type StartedRun, type StartRunOptions } from './startRun';

/** The client's default bound on start calls in flight. */
export const DEFAULT_MAX_CONCURRENT_STARTS = 16;

/**
 * Starts prepared runs for one client, within its `StartLimiter`, retrying refusals for load
 * (`withRateLimitRetry`) unless retry is `false`. `connect()` makes one per client and shares it
 * between `start` and `executions`.
 */
export class RunStarter {
  constructor(
    private readonly temporal: Client,
    private readonly limiter: StartLimiter = new StartLimiter(DEFAULT_MAX_CONCURRENT_STARTS),
    /** `false`: a `RateLimitError` is thrown at once. */
    private readonly retry: RateLimitRetryOptions | false = {},
  ) {}

  /**
   * Starts one run the caller asked for. Temporal's rate limits are retried; the engine's own
   * concurrency limit is not: a pipeline with `onLimit: 'reject'` asked for the rejection.
   */
  startOne(input: RunPipelineInput, options: StartRunOptions): Promise<StartedRun> {
    return this.start(input, options, [ENGINE_CONCURRENCY_LIMIT]);
  }

  /** Starts one run of a batch: every refusal for load is retried, honouring `retryAfterMs`. */
  startInBatch(input: RunPipelineInput, options: StartRunOptions): Promise<StartedRun> {
    return this.start(input, options, []);
  }

  private start(
    input: RunPipelineInput,
    options: StartRunOptions,
    nonRetryableReasons: readonly string[],
  ): Promise<StartedRun> {
    const attempt = () =>
      startRun(this.temporal, input, options).catch((err: unknown) => {
        throw translateError(err);
      });
    const retry = this.retry;
    return this.limiter.run(() =>
      retry === false ? attempt() : withRateLimitRetry(attempt, { ...retry, nonRetryableReasons }),
    );
  }
}
