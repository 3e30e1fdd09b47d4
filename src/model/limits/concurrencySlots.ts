/**
 * The slots of one concurrency key: who holds one, who waits for one, in what order. Plain data
 * and logic (no workflow runtime calls), so the limiter workflow carries it across continue-as-new
 * and unit tests drive it directly.
 */
import type { SlotRequest } from './concurrency';

/** A run that holds a slot. */
export interface SlotHolder {
  /** When it got the slot (ms since the epoch, workflow time). */
  since: number;
  /** Reserved by a client before the run started (`onLimit: 'reject'`); the run has not claimed it yet. */
  reserved?: true;
}

/** A run that waits for a slot. */
export interface SlotWaiter {
  holder: string;
  /** Temporal priority key: lower is served first. */
  priority: number;
  /** When the run started: equal priorities are served in start order. */
  arrivalMs: number;
  /** Ties between equal start times: the order the requests arrived. */
  seq: number;
}

export interface SlotTableState {
  limit: number;
  holders: Record<string, SlotHolder>;
  waiters: SlotWaiter[];
  seq: number;
  /** The durations of the latest releases, newest last: the source of retry-after hints. */
  recentHoldsMs: number[];
  /** Slots freed because the limiter's check found their run ended (terminated, timed out). */
  freedByCheck?: number;
}

const RECENT_HOLDS = 20;
/** The shortest retry-after hint, ms. */
export const MIN_RETRY_AFTER_MS = 250;
/** The hint when no run of the key has ended yet, ms. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

export function emptySlotTable(limit: number): SlotTableState {
  return { limit, holders: {}, waiters: [], seq: 0, recentHoldsMs: [] };
}

const before = (a: SlotWaiter, b: SlotWaiter): boolean =>
  a.priority !== b.priority
    ? a.priority < b.priority
    : a.arrivalMs !== b.arrivalMs
      ? a.arrivalMs < b.arrivalMs
      : a.seq < b.seq;

export class SlotTable {
  constructor(readonly state: SlotTableState) {}

  get holderCount(): number {
    return Object.keys(this.state.holders).length;
  }

  isHolding(holder: string): boolean {
    return Object.hasOwn(this.state.holders, holder);
  }

  isWaiting(holder: string): boolean {
    return this.state.waiters.some((w) => w.holder === holder);
  }

  /**
   * A run asks for a slot. Returns the runs to tell they hold one now: the asker itself when it
   * already holds one (a repeated request, or a client's reservation being claimed), or whoever
   * the queue lets in.
   */
  acquire(request: SlotRequest, now: number): string[] {
    this.state.limit = request.limit;
    const held = this.state.holders[request.holder];
    if (held) {
      delete held.reserved;
      return [request.holder];
    }
    if (!this.isWaiting(request.holder)) {
      const waiter: SlotWaiter = {
        holder: request.holder,
        priority: request.priority ?? 3,
        arrivalMs: request.arrivalMs,
        seq: ++this.state.seq,
      };
      const at = this.state.waiters.findIndex((w) => before(waiter, w));
      if (at < 0) this.state.waiters.push(waiter);
      else this.state.waiters.splice(at, 0, waiter);
    }
    return this.pump(now);
  }

  /**
   * A client reserves a slot for a run it is about to start (`onLimit: 'reject'`): granted only
   * when one is free and nobody waits.
   */
  reserve(
    holder: string,
    limit: number,
    now: number,
  ): { granted: true } | { granted: false; retryAfterMs: number } {
    this.state.limit = limit;
    if (this.isHolding(holder)) return { granted: true };
    if (this.holderCount < limit && this.state.waiters.length === 0) {
      this.state.holders[holder] = { since: now, reserved: true };
      return { granted: true };
    }
    return { granted: false, retryAfterMs: this.retryAfterMs(now) };
  }

  /** A run gives its slot back, or stops waiting. Returns the runs the queue lets in. */
  release(holder: string, now: number): string[] {
    const held = this.state.holders[holder];
    if (held) {
      delete this.state.holders[holder];
      if (!held.reserved) {
        this.state.recentHoldsMs.push(Math.max(0, now - held.since));
        if (this.state.recentHoldsMs.length > RECENT_HOLDS) this.state.recentHoldsMs.shift();
      }
    } else {
      this.state.waiters = this.state.waiters.filter((w) => w.holder !== holder);
    }
    return this.pump(now);
  }

  /** Lets waiters in while slots are free, best first. */
  pump(now: number): string[] {
    const granted: string[] = [];
    while (this.holderCount < this.state.limit && this.state.waiters.length > 0) {
      const next = this.state.waiters.shift()!;
      this.state.holders[next.holder] = { since: now };
      granted.push(next.holder);
    }
    return granted;
  }

  /**
   * How long a refused client should wait before trying again: until the oldest holder reaches
   * the average hold of recent runs (at least {@link MIN_RETRY_AFTER_MS}).
   */
  retryAfterMs(now: number): number {
    const holds = this.state.recentHoldsMs;
    if (holds.length === 0) return DEFAULT_RETRY_AFTER_MS;
    const average = holds.reduce((a, b) => a + b, 0) / holds.length;
    const oldest = Math.min(...Object.values(this.state.holders).map((h) => h.since), now);
    return Math.max(MIN_RETRY_AFTER_MS, Math.round(average - (now - oldest)));
  }

  /** Holders to check for having ended unseen (terminated, timed out): reservations only after `graceMs`. */
  holdersToCheck(now: number, graceMs: number): string[] {
    return Object.entries(this.state.holders)
      .filter(([, h]) => !h.reserved || now - h.since >= graceMs)
      .map(([holder]) => holder);
  }
}
