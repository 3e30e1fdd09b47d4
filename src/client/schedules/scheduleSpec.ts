/**
 * A schedule's timing and policies as `client.schedules` takes them (`cron` | `interval`,
 * `overlap`, …): checked before anything is created, translated into Temporal's schedule spec,
 * and read back from what the server holds. Pure: no server calls.
 */
import {
  ScheduleOverlapPolicy,
  type CalendarSpecDescription,
  type Range,
  type ScheduleSpec,
  type ScheduleSpecDescription,
} from '@temporalio/client';
import { PipelineValidationError, type PipelineIssue, type PipelineIssueCode } from '../../model';
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

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/** Milliseconds of a client duration, or undefined when it is not one. */
export function clientDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = DURATION_RE.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** `90000` → `'90s'`, `3600000` → `'1h'`: the largest unit that divides it. */
export function formatDurationMs(ms: number): string {
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A schedule id: letters, digits and `_.:@-`, starting with a letter or digit, at most 100. */
export const SCHEDULE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$/;

function issue(
  path: Array<string | number>,
  message: string,
  code: PipelineIssueCode = 'invalid_type',
): PipelineIssue {
  return { path, code, message };
}

/**
 * The longest schedule interval, offset, jitter or catch-up window: 366 days (a yearly interval
 * fits; longer calendars are cron's job).
 */
export const MAX_SCHEDULE_DURATION_MS = 366 * 86_400_000;

function durationIssues(
  value: unknown,
  path: Array<string | number>,
  what: string,
  { wholeSeconds = false, min = 0, max = MAX_SCHEDULE_DURATION_MS } = {},
): PipelineIssue[] {
  if (value === undefined) return [];
  const ms = clientDurationMs(value);
  if (ms === undefined) {
    return [
      issue(
        path,
        `${what} must be milliseconds or a duration such as '30s', '5m', '1h', got ${JSON.stringify(value)}.`,
      ),
    ];
  }
  if (ms > max)
    return [issue(path, `${what} must be at most ${formatDurationMs(max)}, got ${JSON.stringify(value)}.`)];
  if (wholeSeconds && ms % 1000 !== 0) {
    return [issue(path, `${what} must be whole seconds (Temporal schedules count seconds), got ${ms} ms.`)];
  }
  if (ms < min)
    return [issue(path, `${what} must be at least ${formatDurationMs(min)}, got ${formatDurationMs(ms)}.`)];
  return [];
}

function timeIssues(value: unknown, path: string): PipelineIssue[] {
  if (value === undefined) return [];
  if (toDate(value) === undefined) {
    return [issue([path], `${path} must be a Date or an ISO time, got ${JSON.stringify(value)}.`)];
  }
  return [];
}

function toDate(value: unknown): Date | undefined {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** `@daily`-style shorthands, `@every 5m[/1m]`, or 5–7 fields, after an optional `TZ=` / `CRON_TZ=`. */
function cronShapeProblem(expression: string): string | undefined {
  const body = expression
    .replace(/#.*$/, '')
    .trim()
    .replace(/^(CRON_TZ|TZ)=\S+\s+/, '');
  if (body === '') return 'is empty';
  if (body.startsWith('@')) {
    if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(body)) return undefined;
    if (/^@every\s+\S+$/.test(body)) return undefined;
    return `is not a known shorthand (@yearly, @monthly, @weekly, @daily, @hourly, @every <duration>)`;
  }
  const fields = body.split(/\s+/).length;
  if (fields < 5 || fields > 7) return `has ${fields} field(s); a cron expression has 5, 6 or 7`;
  return undefined;
}

function timezoneKnown(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Problems with a schedule's timing. `required`: one of `cron` / `interval` must be given (on
 * create); on update neither is needed.
 */
export function scheduleTimingIssues(timing: ScheduleTiming, required: boolean): PipelineIssue[] {
  const issues: PipelineIssue[] = [];
  const { cron, interval } = timing;
  if (cron !== undefined && interval !== undefined) {
    issues.push(issue(['interval'], 'Give cron or interval, not both.'));
  } else if (required && cron === undefined && interval === undefined) {
    issues.push(issue(['cron'], "A schedule needs cron (e.g. '0 9 * * *') or interval (e.g. '30s')."));
  }
  if (cron !== undefined) {
    const list = Array.isArray(cron) ? (cron as unknown[]) : [cron];
    if (list.length === 0) issues.push(issue(['cron'], 'cron must name at least one expression.'));
    list.forEach((expression, i) => {
      const path = Array.isArray(cron) ? ['cron', i] : ['cron'];
      if (typeof expression !== 'string') {
        issues.push(issue(path, `A cron expression must be a string, got ${JSON.stringify(expression)}.`));
        return;
      }
      const problem = cronShapeProblem(expression);
      if (problem) issues.push(issue(path, `Cron expression '${expression}' ${problem}.`, 'invalid_cron'));
    });
  }
  if (interval !== undefined) {
    const every = typeof interval === 'object' && interval !== null ? interval.every : interval;
    const offset = typeof interval === 'object' && interval !== null ? interval.offset : undefined;
    const everyPath = typeof interval === 'object' ? ['interval', 'every'] : ['interval'];
    const everyIssues = durationIssues(every, everyPath, 'interval', { wholeSeconds: true, min: 1000 });
    issues.push(...everyIssues);
    issues.push(...durationIssues(offset, ['interval', 'offset'], 'interval.offset', { wholeSeconds: true }));
    const everyMs = clientDurationMs(every);
    const offsetMs = clientDurationMs(offset);
    if (everyIssues.length === 0 && everyMs !== undefined && offsetMs !== undefined && offsetMs >= everyMs) {
      issues.push(issue(['interval', 'offset'], 'interval.offset must be shorter than interval.every.'));
    }
  }
  if (timing.timezone !== undefined) {
    if (typeof timing.timezone !== 'string' || !timezoneKnown(timing.timezone)) {
      issues.push(
        issue(
          ['timezone'],
          `Unknown time zone ${JSON.stringify(timing.timezone)}; use an IANA name such as 'Europe/Berlin'.`,
        ),
      );
    }
  }
  issues.push(...timeIssues(timing.startAt, 'startAt'), ...timeIssues(timing.endAt, 'endAt'));
  const startAt = toDate(timing.startAt);
  const endAt = toDate(timing.endAt);
  if (startAt && endAt && endAt <= startAt) issues.push(issue(['endAt'], 'endAt must be after startAt.'));
  issues.push(...durationIssues(timing.jitter, ['jitter'], 'jitter'));
  return issues;
}

/** A schedule's policies as `create` / `update` take them. */
export interface SchedulePolicyOptions {
  overlap?: ScheduleOverlap;
  catchupWindow?: ClientDuration;
  pauseOnFailure?: boolean;
  note?: string;
  maxRuns?: number | null;
}

export function schedulePolicyIssues(options: SchedulePolicyOptions): PipelineIssue[] {
  const issues: PipelineIssue[] = [];
  if (options.overlap !== undefined && !SCHEDULE_OVERLAPS.includes(options.overlap)) {
    issues.push(
      issue(
        ['overlap'],
        `overlap must be one of ${SCHEDULE_OVERLAPS.join(', ')}, got ${JSON.stringify(options.overlap)}.`,
      ),
    );
  }
  // Temporal's minimum catch-up window is 10 s.
  issues.push(...durationIssues(options.catchupWindow, ['catchupWindow'], 'catchupWindow', { min: 10_000 }));
  if (options.pauseOnFailure !== undefined && typeof options.pauseOnFailure !== 'boolean') {
    issues.push(issue(['pauseOnFailure'], 'pauseOnFailure must be true or false.'));
  }
  if (options.note !== undefined && typeof options.note !== 'string') {
    issues.push(issue(['note'], 'note must be a string.'));
  }
  const maxRuns = options.maxRuns;
  if (maxRuns !== undefined && maxRuns !== null && !(Number.isInteger(maxRuns) && maxRuns >= 1)) {
    issues.push(issue(['maxRuns'], `maxRuns must be a whole number ≥ 1, got ${JSON.stringify(maxRuns)}.`));
  }
  return issues;
}

export function scheduleIdIssues(id: unknown): PipelineIssue[] {
  if (typeof id === 'string' && SCHEDULE_ID_RE.test(id)) return [];
  return [
    issue(
      ['scheduleId'],
      `A schedule id is 1–100 letters, digits or _.:@- starting with a letter or digit, got ${JSON.stringify(id)}.`,
    ),
  ];
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

const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
];
const DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

function cronField<U>(ranges: Range<U>[], toNumber: (u: U) => number, min: number, max: number): string {
  if (ranges.length === 0) return '*';
  return ranges
    .map((r) => {
      const start = toNumber(r.start);
      const end = Math.max(start, toNumber(r.end));
      const step = r.step > 1 ? `/${r.step}` : '';
      if (start === min && end === max) return `*${step}`;
      if (start === end) return String(start);
      return `${start}-${end}${step}`;
    })
    .join(',');
}

/** One calendar as a cron expression: 5 fields when seconds are 0 and any year, else 7. */
export function calendarToCron(c: CalendarSpecDescription): string {
  const id = (n: number) => n;
  const second = cronField(c.second, id, 0, 59);
  const fields = [
    cronField(c.minute, id, 0, 59),
    cronField(c.hour, id, 0, 23),
    cronField(c.dayOfMonth, id, 1, 31),
    cronField(c.month, (m) => MONTHS.indexOf(m) + 1, 1, 12),
    cronField(c.dayOfWeek, (d) => DAYS.indexOf(d), 0, 6),
  ];
  const year = cronField(c.year, id, Number.NaN, Number.NaN);
  if (second === '0' && year === '*') return fields.join(' ');
  return [second, ...fields, year].join(' ');
}

export function describeSpec(spec: ScheduleSpecDescription): ScheduleSpecView {
  const cron = (spec.calendars ?? []).map(calendarToCron);
  const intervals = (spec.intervals ?? []).map((i) => ({
    every: formatDurationMs(i.every),
    ...(i.offset ? { offset: formatDurationMs(i.offset) } : {}),
  }));
  const timezone = spec.timezone || undefined;
  const parts = [
    ...intervals.map((i) => `every ${i.every}${i.offset ? ` (offset ${i.offset})` : ''}`),
    ...cron.map((c) => `cron ${c}`),
  ];
  const text = `${parts.join('; ') || 'no times'}${timezone ? ` (${timezone})` : ''}`;
  return {
    cron,
    intervals,
    ...(timezone && { timezone }),
    ...(spec.startAt && { startAt: spec.startAt.toISOString() }),
    ...(spec.endAt && { endAt: spec.endAt.toISOString() }),
    ...(spec.jitter ? { jitterMs: spec.jitter } : {}),
    text,
  };
}
