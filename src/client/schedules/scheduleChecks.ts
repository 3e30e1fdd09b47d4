/**
 * What `client.schedules` refuses before anything reaches the server: ids, timing (cron shape,
 * interval, time zone, start/end, jitter) and policies, each as issues with a path and a code.
 * Pure: no server calls.
 */
import type { PipelineIssue, PipelineIssueCode } from '../../model';
import { clientDurationMs, formatDurationMs } from './scheduleDurations';
import type { ClientDuration } from '../runs/startRun';
import { SCHEDULE_OVERLAPS, type ScheduleOverlap, type ScheduleTiming } from './scheduleSpec';

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

export function toDate(value: unknown): Date | undefined {
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

/** A schedule's runs carry `schedule:<id>` besides the user's tags, within Temporal's 20. */
const MAX_USER_TAGS = 19;

export function tagCountIssues(tags: unknown): PipelineIssue[] {
  if (!Array.isArray(tags) || tags.length <= MAX_USER_TAGS) return [];
  return [
    {
      path: ['tags'],
      code: 'invalid_type',
      message: `At most ${MAX_USER_TAGS} tags: a schedule's runs also carry the tag schedule:<id>. Got ${tags.length}.`,
    },
  ];
}
