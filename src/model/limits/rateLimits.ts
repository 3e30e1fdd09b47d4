/**
 * LLM rate limits shared by every worker: one limiter entity workflow per provider and model
 * (workflow id `llm-rate:<provider>:<model>`, or `llm-rate:<provider>` for a provider-wide limit)
 * keeps a sliding window of the requests and tokens it let through. Each `llm` call reserves its
 * place (an update), waits until then, calls, and reports the tokens it really used; a 429's
 * `retry-after` pauses the window for every worker. Pure: names and shapes shared by the
 * activities and the workflow.
 */

/** A limit as the limiter applies it. */
export interface RateWindowLimits {
  /** At most this many requests per window. */
  requests?: number;
  /** At most this many tokens (prompt + completion) per window. */
  tokens?: number;
  windowMs: number;
}

export interface RateReservationRequest {
  /** Unique per call attempt: the reservation's id, for `settleTokens`. */
  id: string;
  /** The call's estimated tokens; corrected by `settleTokens` once the provider reports usage. */
  tokens: number;
  /** The calling worker's limits (the latest caller's are the limiter's). */
  limits: RateWindowLimits;
}

export type RateReservation =
  /** Call at `startAt` (ms since the epoch) or later. */
  | { startAt: number }
  /** The call alone needs more tokens than the window allows: it can never be made. */
  | { tooLarge: true; limit: number };

export const LLM_RATE_LIMITER_WORKFLOW = 'llmRateLimiter';
export const RESERVE_RATE_UPDATE = 'reserveRate';
export const SETTLE_TOKENS_SIGNAL = 'settleTokens';
export const PAUSE_RATE_SIGNAL = 'pauseRate';

/** The limiter's workflow id for a provider, and a model unless the limit is provider-wide. */
export function rateLimiterId(provider: string, model?: string): string {
  return model === undefined ? `llm-rate:${provider}` : `llm-rate:${provider}:${model}`;
}

/** A call's token estimate before it is made: the prompt at ~4 characters a token, plus the completion cap. */
export function estimateTokens(promptCharacters: number, maxCompletionTokens: number | undefined): number {
  return Math.ceil(promptCharacters / 4) + (maxCompletionTokens ?? DEFAULT_COMPLETION_ESTIMATE);
}

/** The completion estimate of a call that sets no `max_tokens`. */
export const DEFAULT_COMPLETION_ESTIMATE = 256;
