/**
 * Durations as the definition writes them (`30`, `"500ms"`, `"5m"`) converted to milliseconds.
 */
import { z } from 'zod';

/** A duration: seconds as a number, or a string such as `"500ms"`, `"30s"`, `"5m"`, `"2h"`. */
export const Duration = z.union([
  z.number().nonnegative(),
  z.string().regex(/^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)\s*$/, 'a duration such as "500ms", "30s", "5m", "2h"'),
]);
export type Duration = z.infer<typeof Duration>;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DAY_MS = UNIT_MS.d;

/**
 * The longest duration each field of a definition accepts, in milliseconds; a longer one is an
 * issue at compile time naming the step and the field. Long waits belong in `wait_for_event` or a
 * schedule, not in a timer nobody will see fire.
 */
export const DURATION_LIMITS = {
  /** A `delay` step's `duration`. */
  delay: 365 * DAY_MS,
  /** A `wait_for_event` step's `timeout`. */
  eventTimeout: 365 * DAY_MS,
  /** A step's (or a map item's) per-attempt `timeout`. */
  stepTimeout: 30 * DAY_MS,
  /** `retry.initial_interval` and `retry.max_interval` (a default `max_interval` is capped to it too). */
  retryInterval: 30 * DAY_MS,
  /** An `api_call` step's `params.timeout`: a timer inside the worker process. */
  requestTimeout: DAY_MS,
} as const;

/** `365d`, `30d`, `1d`, `12h`: a limit as the definition would write it. */
export function formatDurationLimit(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  return `${ms}ms`;
}
const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/**
 * Converts a {@link Duration} to whole milliseconds (rounded).
 * A number is seconds; a string carries its unit (`ms`, `s`, `m`, `h`, `d`).
 *
 * @throws RangeError if the value is not a valid duration (negative, not finite, bad unit).
 * @example durationToMs('1.5s') // 1500
 * @example durationToMs(30) // 30000
 */
export function durationToMs(duration: Duration): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new RangeError(`Invalid duration ${String(duration)}: expected a non-negative number of seconds`);
    }
    return Math.round(duration * 1000);
  }
  const match = DURATION_RE.exec(duration);
  const amount = match?.[1];
  const unit = match?.[2] as keyof typeof UNIT_MS | undefined;
  if (amount === undefined || unit === undefined) {
    throw new RangeError(
      `Invalid duration ${JSON.stringify(duration)}: expected e.g. "500ms", "30s", "5m", "2h", "1d"`,
    );
  }
  return Math.round(Number(amount) * UNIT_MS[unit]);
}
