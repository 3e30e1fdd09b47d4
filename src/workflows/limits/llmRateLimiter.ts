/**
 * `llmRateLimiter`: the entity workflow that paces one provider's (or one model's) LLM calls
 * across every worker (workflow id `llm-rate:<provider>[:<model>]`). A call reserves its place
 * with the `reserveRate` update and waits until then; it reports the tokens it used with
 * `settleTokens`; a provider's 429 pauses every call after it with `pauseRate`.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  PAUSE_RATE_SIGNAL,
  RESERVE_RATE_UPDATE,
  SETTLE_TOKENS_SIGNAL,
  type RateReservation,
  type RateReservationRequest,
  type RateWindowLimits,
} from '../../model';
import { emptyRateWindow, RateWindow, type RateWindowState } from './rateWindow';

export interface LlmRateLimiterInput {
  /** Provider, and model unless the limit is provider-wide. */
  scope: string;
  limits: RateWindowLimits;
  carried?: RateWindowState;
}

export const reserveRateUpdate = defineUpdate<RateReservation, [RateReservationRequest]>(RESERVE_RATE_UPDATE);
export const settleTokensSignal =
  defineSignal<[{ id: string; tokens: number; startedAt?: number }]>(SETTLE_TOKENS_SIGNAL);
export const pauseRateSignal = defineSignal<[{ until: number }]>(PAUSE_RATE_SIGNAL);
/** The limiter's window: limits, the calls still counted, and the pause (for tests and operators). */
export const rateStateQuery = defineQuery<RateWindowState>('rateState');

const CONTINUE_AS_NEW_AFTER_EVENTS = 4_000;
/** With nothing reserved or paused for this long, the limiter ends (the next call starts it again). */
const IDLE_END_MS = 10 * 60_000;

export async function llmRateLimiter(input: LlmRateLimiterInput): Promise<void> {
  const window = new RateWindow(input.carried ?? emptyRateWindow(input.limits));
  let changes = 0;
  setHandler(
    reserveRateUpdate,
    (request) => {
      changes++;
      return window.reserve(request, Date.now());
    },
    {
      validator: ({ tokens, limits }: RateReservationRequest) => {
        if (!(tokens >= 0) || !(limits.windowMs > 0))
          throw new Error('tokens ≥ 0 and windowMs > 0 are required');
      },
    },
  );
  setHandler(settleTokensSignal, ({ id, tokens, startedAt }) => {
    window.settle(id, tokens, startedAt);
    changes++;
  });
  setHandler(pauseRateSignal, ({ until }) => {
    window.pause(until);
    changes++;
  });

  setHandler(rateStateQuery, () => window.state);

  for (;;) {
    const { limits, pausedUntil } = window.state;
    const paused = pausedUntil > Date.now() ? ` · paused until ${new Date(pausedUntil).toISOString()}` : '';
    setCurrentDetails(
      `${input.scope}: ${limits.requests ?? '∞'} requests, ${limits.tokens ?? '∞'} tokens per ${limits.windowMs / 1000} s${paused}`,
    );
    const seen = changes;
    const changed = await condition(() => changes !== seen, IDLE_END_MS);
    if (!changed && window.isIdle(Date.now())) return;
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= CONTINUE_AS_NEW_AFTER_EVENTS) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof llmRateLimiter>({ ...input, carried: window.state });
    }
  }
}
