/**
 * A checked schedule timing as Temporal's schedule spec, our overlap names as its overlap policy
 * (and back), and a spec the server refused as a validation error.
 */
import { ScheduleOverlapPolicy, type ScheduleSpec, type ScheduleSpecDescription } from '@temporalio/client';
import { PipelineValidationError } from '../../model';
import { toDate } from './scheduleChecks';
import { clientDurationMs } from './scheduleDurations';
import { SCHEDULE_OVERLAPS, type ScheduleOverlap, type ScheduleTiming } from './scheduleSpec';

const OVERLAP_TO_TEMPORAL: Record<ScheduleOverlap, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
  cancel_other: ScheduleOverlapPolicy.CANCEL_OTHER,
  terminate_other: ScheduleOverlapPolicy.TERMINATE_OTHER,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
};

export const toTemporalOverlap = (overlap: ScheduleOverlap): ScheduleOverlapPolicy =>
  OVERLAP_TO_TEMPORAL[overlap];

export function fromTemporalOverlap(policy: ScheduleOverlapPolicy | undefined): ScheduleOverlap {
  const found = SCHEDULE_OVERLAPS.find((o) => OVERLAP_TO_TEMPORAL[o] === policy);
  return found ?? 'skip';
}

/**
 * Temporal's spec for checked timing. With `previous` (an update), what `timing` does not say
 * is kept: new `cron` or `interval` replaces both the calendars and the intervals.
 */
export function toTemporalSpec(timing: ScheduleTiming, previous?: ScheduleSpecDescription): ScheduleSpec {
  const spec: ScheduleSpec = previous
    ? {
        calendars: previous.calendars,
        intervals: previous.intervals,
        skip: previous.skip,
        startAt: previous.startAt,
        endAt: previous.endAt,
        jitter: previous.jitter,
        timezone: previous.timezone || undefined,
      }
    : {};
  if (timing.cron !== undefined || timing.interval !== undefined) {
    spec.calendars = [];
    spec.intervals = [];
    delete spec.cronExpressions;
  }
  if (timing.cron !== undefined) spec.cronExpressions = [timing.cron].flat();
  if (timing.interval !== undefined) {
    const { every, offset } =
      typeof timing.interval === 'object' ? timing.interval : { every: timing.interval, offset: undefined };
    spec.intervals = [
      { every: clientDurationMs(every)!, ...(offset !== undefined && { offset: clientDurationMs(offset)! }) },
    ];
  }
  if (timing.timezone !== undefined) spec.timezone = timing.timezone;
  if (timing.startAt !== undefined) spec.startAt = toDate(timing.startAt);
  if (timing.endAt !== undefined) spec.endAt = toDate(timing.endAt);
  if (timing.jitter !== undefined) spec.jitter = clientDurationMs(timing.jitter);
  return spec;
}

/** The server's words about a spec it refused (the SDK's TypeError), as a validation error. */
export function specRefused(err: TypeError, timing: ScheduleTiming): PipelineValidationError {
  const message = err.message;
  const cron = timing.cron === undefined ? [] : [timing.cron].flat();
  const path: Array<string | number> = /time ?zone/i.test(message)
    ? ['timezone']
    : /interval|phase/i.test(message) && timing.interval !== undefined
      ? ['interval']
      : cron.length > 0
        ? ['cron']
        : [];
  const what = path[0] === 'cron' ? `Cron expression ${cron.map((c) => `'${c}'`).join(', ')}: ` : '';
  return new PipelineValidationError(
    [{ path, code: path[0] === 'cron' ? 'invalid_cron' : 'invalid_schedule', message: `${what}${message}` }],
    { cause: err },
  );
}

// ---------------------------------------------------------------------------------------------
// Reading a spec back. Temporal compiles cron expressions into calendars; they are written back
// as cron fields here (numbers for months and weekdays).
