/**
 * The sliding window of one LLM rate limit: the calls let through (when, how many tokens) and a
 * pause set by a provider's `retry-after`. Calls get places in time order, each at the earliest
 * moment at which the window ending there keeps to the limits. Plain data and logic, so the
 * limiter carries it across continue-as-new and unit tests drive it directly.
 */
import type { RateReservation, RateReservationRequest, RateWindowLimits } from '../../model';

/**
 * A call that had to wait for the window is placed this much after the call it waits for leaves
 * it: that call may have started late (its reservation's answer, a busy worker), and the provider
 * counts arrivals, not reservations.
 */
export const LATENESS_ALLOWANCE_MS = 250;

export interface RateEntry {
  id: string;
  at: number;
  tokens: number;
}

export interface RateWindowState {
  limits: RateWindowLimits;
  /** In `at` order; entries older than one window are dropped. */
  entries: RateEntry[];
  /** No call starts before this (a provider's `retry-after`). */
  pausedUntil: number;
}

export function emptyRateWindow(limits: RateWindowLimits): RateWindowState {
  return { limits, entries: [], pausedUntil: 0 };
}

export class RateWindow {
  constructor(readonly state: RateWindowState) {}

  /** Gives a call its place: the earliest start that keeps every window within the limits. */
  reserve(request: RateReservationRequest, now: number): RateReservation {
    const limits = (this.state.limits = request.limits);
    if (limits.tokens !== undefined && request.tokens > limits.tokens) {
      return { tooLarge: true, limit: limits.tokens };
    }
    this.prune(now);
    const entries = this.state.entries;
    let at = Math.max(now, this.state.pausedUntil, entries.at(-1)?.at ?? 0);
    for (;;) {
      const inWindow = entries.filter((e) => e.at > at - limits.windowMs);
      const tokens = inWindow.reduce((sum, e) => sum + e.tokens, 0);
      const fits =
        (limits.requests === undefined || inWindow.length + 1 <= limits.requests) &&
        (limits.tokens === undefined || tokens + request.tokens <= limits.tokens);
      if (fits) break;
      // Wait until the oldest call in the window leaves it, allowing for its lateness.
      at = inWindow[0]!.at + limits.windowMs + LATENESS_ALLOWANCE_MS;
    }
    entries.push({ id: request.id, at, tokens: request.tokens });
    return { startAt: at };
  }

  /**
   * A call reports the tokens it really used (or 0: it never reached the provider) and when it
   * really started: calls placed after this report count from then.
   */
  settle(id: string, tokens: number, startedAt?: number): void {
    const entries = this.state.entries;
    const at = entries.findIndex((e) => e.id === id);
    if (at < 0) return;
    const entry = entries[at]!;
    entry.tokens = Math.max(0, tokens);
    if (startedAt !== undefined && startedAt > entry.at) {
      // Keep the entries in time order.
      entries.splice(at, 1);
      entry.at = startedAt;
      const after = entries.findIndex((e) => e.at > startedAt);
      entries.splice(after < 0 ? entries.length : after, 0, entry);
    }
  }

  /** No call starts before `until` (a provider answered 429 with `retry-after`). */
  pause(until: number): void {
    this.state.pausedUntil = Math.max(this.state.pausedUntil, until);
  }

  /** Nothing reserved or paused from `now` on: the limiter may end. */
  isIdle(now: number): boolean {
    this.prune(now);
    return this.state.entries.length === 0 && this.state.pausedUntil <= now;
  }

  /** Drops the calls no future window can contain. */
  private prune(now: number): void {
    const from = now - this.state.limits.windowMs;
    const entries = this.state.entries;
    let drop = 0;
    while (drop < entries.length && entries[drop]!.at <= from) drop++;
    if (drop > 0) entries.splice(0, drop);
  }
}
