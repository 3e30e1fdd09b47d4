/**
 * A schedule's timing and overlap policy as `client.schedules` takes them (`cron` | `interval`,
 * `overlap`, …) and its timing as read back from the server: the types. Checking them is
 * `scheduleChecks.ts`; translating them, `temporalSpec.ts` and `specView.ts`.
 */
import type { ClientDuration } from '../runs/startRun';

/**
 * What a schedule does when a run is due while its previous run still goes on:
 * - `skip` (default): no new run;
 * - `buffer_one`: start one once the running one ends (further due runs are dropped);
 * - `buffer_all`: start every due run, one after another;
 * - `cancel_other`: cancel the running one, start the new one once it has ended;
 * - `terminate_other`: terminate the running one and start the new one at once;
 * - `allow_all`: start it anyway (runs overlap).
 */
export type ScheduleOverlap =
  'skip' | 'buffer_one' | 'buffer_all' | 'cancel_other' | 'terminate_other' | 'allow_all';

export const SCHEDULE_OVERLAPS: readonly ScheduleOverlap[] = [
  'skip',
  'buffer_one',
  'buffer_all',
  'cancel_other',
  'terminate_other',
  'allow_all',
];

/** When a schedule starts runs: `cron` or `interval` (exactly one), and their refinements. */
export interface ScheduleTiming {
  /**
   * Cron expression(s), interpreted in `timezone`: 5 fields (minute hour day-of-month month
   * day-of-week), 6 (… year) or 7 (second first); `@daily`, `@hourly`, … as well. Temporal judges
   * the fields; an expression it refuses is a `PipelineValidationError` at path `cron`.
   * @example '0 9 * * MON-FRI'
   */
  cron?: string | string[];
  /**
   * Every this long (ms, or `'30s'`, `'5m'`, …; whole seconds, at least 1 s), counted from the Unix
   * epoch plus `offset`: `'1h'` runs on the hour, `{ every: '1h', offset: '15m' }` at :15.
   */
  interval?: ClientDuration | { every: ClientDuration; offset?: ClientDuration };
  /** IANA time zone of `cron` (`'Europe/Berlin'`). @default 'UTC' */
  timezone?: string;
  /** No runs before this time. */
  startAt?: Date | string;
  /** No runs after this time. */
  endAt?: Date | string;
  /** Each run starts up to this much later, at random (spreads load). @default 0 */
  jitter?: ClientDuration;
}

/** The timing of a schedule as the server holds it. */
export interface ScheduleSpecView {
  /** Calendar times, written back as cron expressions (Temporal keeps cron as calendars). */
  cron: string[];
  /** Intervals: `every` and `offset` as text (`'30s'`, `'1h'`). */
  intervals: Array<{ every: string; offset?: string }>;
  timezone?: string;
  startAt?: string;
  endAt?: string;
  jitterMs?: number;
  /** One line: `every 30s`, `cron 0 9 * * 1-5 (Europe/Berlin)`. */
  text: string;
}
