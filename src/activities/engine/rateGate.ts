/**
 * The `llm` node's side of shared rate limits: before a call it reserves a place with its
 * provider's limiter workflow (starting it if needed) and waits until then; after the call it
 * reports the tokens used; a 429 with `retry-after` pauses the limiter, so every worker waits.
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { durationToMs } from '../../model';
import {
  LLM_RATE_LIMITER_WORKFLOW,
  PAUSE_RATE_SIGNAL,
  RESERVE_RATE_UPDATE,
  SETTLE_TOKENS_SIGNAL,
  rateLimiterId,
  type RateReservation,
  type RateWindowLimits,
} from '../../model';
import type { ProviderConfig, RateLimitConfig } from '../config';
import { NodeActivityError, retryAfterMs } from '../nodes/nodeFailures';
import { sleep } from '../../shared';

/** A reserved place: report what the call used, or that the provider said to slow down. */
export interface RatePass {
  /** Waited this long for the place, ms. */
  waitedMs: number;
  /** The tokens the call used, as the provider reported them (none reported: the estimate stands). */
  settle(tokens: number | undefined): Promise<void>;
  /** The call failed: a 429's `retry-after` pauses every worker's calls. */
  failed(err: unknown): Promise<void>;
}

/** The limit that applies to `model` of a provider, if any. */
export function rateLimitFor(config: ProviderConfig | undefined, model: string): RateLimitConfig | undefined {
  return config?.modelRateLimits?.[model] ?? config?.rateLimit;
}

/**
 * Reserves a place for a call of about `tokens` tokens and waits for it.
 * @throws NodeActivityError `BadRequest` (not retried) when the call alone is over the token limit.
 */
export async function passRateLimit(
  limit: RateLimitConfig,
  call: { provider: string; model: string; tokens: number },
  signal: AbortSignal,
): Promise<RatePass> {
  const context = Context.current();
  const { client, info } = { client: context.client, info: context.info };
  const scope = limit.scope === 'provider' ? call.provider : `${call.provider}:${call.model}`;
  const workflowId = rateLimiterId(call.provider, limit.scope === 'provider' ? undefined : call.model);
  const limits: RateWindowLimits = {
    ...(limit.requests !== undefined && { requests: limit.requests }),
    ...(limit.tokens !== undefined && { tokens: limit.tokens }),
    windowMs: durationToMs(limit.per ?? '1m'),
  };
  const id = `${info.workflowExecution?.workflowId ?? '-'}/${info.activityId}/${info.attempt}`;
  const reservation: RateReservation = await client.workflow.executeUpdateWithStart(RESERVE_RATE_UPDATE, {
    args: [{ id, tokens: call.tokens, limits }],
    startWorkflowOperation: new WithStartWorkflowOperation(LLM_RATE_LIMITER_WORKFLOW, {
      workflowId,
      taskQueue: info.taskQueue,
      args: [{ scope, limits }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `LLM rate limiter · ${scope}`,
    }),
  });
  if ('tooLarge' in reservation) {
    throw new NodeActivityError(
      'BadRequest',
      `this call needs about ${call.tokens} tokens, more than the ${reservation.limit} tokens per window ${scope} allows`,
    );
  }
  const waitedMs = Math.max(0, reservation.startAt - Date.now());
  if (waitedMs > 0) await sleep(waitedMs, signal);
  const startedAt = Date.now();
  const limiter = client.workflow.getHandle(workflowId);
  // Reports are best effort: a lost one only makes the window's estimate less exact.
  const report = (send: () => Promise<void>) => send().catch(() => undefined);
  return {
    waitedMs,
    settle: (tokens = call.tokens) =>
      report(() => limiter.signal(SETTLE_TOKENS_SIGNAL, { id, tokens, startedAt })),
    async failed(err) {
      const status = (err as { status?: unknown }).status;
      const headers = (err as { headers?: unknown }).headers;
      if (status !== 429) return;
      const delay = headers ? retryAfterMs(headers as Parameters<typeof retryAfterMs>[0]) : undefined;
      if (delay !== undefined && delay > 0) {
        await report(() => limiter.signal(PAUSE_RATE_SIGNAL, { until: Date.now() + delay }));
      }
    },
  };
}
