/**
 * A schedule's timing and policies without a server: what is refused (with paths and codes),
 * how options become Temporal's spec (and how an update keeps what it does not change), how the
 * server's calendars read back as cron, and how a refusal from the server becomes an issue.
 */
import type { CalendarSpecDescription, ScheduleSpecDescription } from '@temporalio/client';
import { translateError, NotFoundError, AlreadyExistsError } from '../../../src/client/errors';
import { executionsQuery } from '../../../src/client/executions/executionsApi';
import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import {
  scheduleIdIssues,
  schedulePolicyIssues,
  scheduleTimingIssues,
} from '../../../src/client/schedules/scheduleChecks';
import { clientDurationMs, formatDurationMs } from '../../../src/client/schedules/scheduleDurations';
import { calendarToCron, describeSpec } from '../../../src/client/schedules/specView';
import {
  fromTemporalOverlap,
  specRefused,
  toTemporalOverlap,
  toTemporalSpec,
} from '../../../src/client/schedules/temporalSpec';

const paths = (issues: Array<{ path: Array<string | number> }>) => issues.map((i) => i.path.join('.'));

describe('timing issues', () => {
  test('interval, offset, jitter and catch-up window are at most 366 days', () => {
    expect(scheduleTimingIssues({ interval: '366d' }, true)).toEqual([]);
    const long = scheduleTimingIssues(
      { interval: { every: '99999999999999999d', offset: '400d' }, jitter: '367d' },
      true,
    );
    expect(paths(long)).toEqual(['interval.every', 'interval.offset', 'jitter']);
    expect(long[0]!.message).toMatch(/at most 366d/);
    expect(paths(schedulePolicyIssues({ catchupWindow: '400d' }))).toEqual(['catchupWindow']);
  });

  test('exactly one of cron and interval (on create)', () => {
    expect(paths(scheduleTimingIssues({}, true))).toEqual(['cron']);
    expect(scheduleTimingIssues({}, false)).toEqual([]);
    expect(scheduleTimingIssues({ cron: '0 * * * *', interval: '1h' }, true)).toEqual([
      expect.objectContaining({ path: ['interval'], message: 'Give cron or interval, not both.' }),
    ]);
  });

  test('cron: 5–7 fields or a shorthand; each expression of a list at its index', () => {
    for (const ok of [
      '0 9 * * 1-5',
      '0 0 9 * * MON 2030',
      '*/10 * * * * * *',
      '@daily',
      '@every 5m',
      'TZ=UTC 0 9 * * *',
      '0 9 * * * # morning',
    ])
      expect(scheduleTimingIssues({ cron: ok }, true)).toEqual([]);
    expect(scheduleTimingIssues({ cron: 'daily' }, true)).toEqual([
      {
        path: ['cron'],
        code: 'invalid_cron',
        message: "Cron expression 'daily' has 1 field(s); a cron expression has 5, 6 or 7.",
      },
    ]);
    expect(paths(scheduleTimingIssues({ cron: ['@daily', '@sometimes', ''] }, true))).toEqual([
      'cron.1',
      'cron.2',
    ]);
    expect(paths(scheduleTimingIssues({ cron: [] }, true))).toEqual(['cron']);
  });

  test('interval: whole seconds, at least 1 s; offset shorter than every', () => {
    expect(scheduleTimingIssues({ interval: '1s' }, true)).toEqual([]);
    expect(scheduleTimingIssues({ interval: 60_000 }, true)).toEqual([]);
    expect(scheduleTimingIssues({ interval: { every: '1h', offset: '15m' } }, true)).toEqual([]);
    expect(scheduleTimingIssues({ interval: '1500ms' }, true)[0]!.message).toMatch(/whole seconds/);
    expect(scheduleTimingIssues({ interval: 0 }, true)[0]!.message).toMatch(/at least 1s/);
    expect(scheduleTimingIssues({ interval: 'soon' as never }, true)[0]!.message).toMatch(/duration such as/);
    expect(paths(scheduleTimingIssues({ interval: { every: '1m', offset: '1m' } }, true))).toEqual([
      'interval.offset',
    ]);
  });

  test('time zone, start and end, jitter', () => {
    expect(scheduleTimingIssues({ cron: '@daily', timezone: 'America/New_York' }, true)).toEqual([]);
    expect(paths(scheduleTimingIssues({ cron: '@daily', timezone: 'Mars/Olympus' }, true))).toEqual([
      'timezone',
    ]);
    expect(
      paths(
        scheduleTimingIssues({ interval: '1h', startAt: '2030-01-02', endAt: new Date('2030-01-01') }, true),
      ),
    ).toEqual(['endAt']);
    expect(paths(scheduleTimingIssues({ interval: '1h', startAt: 'someday', jitter: '-1s' }, true))).toEqual([
      'startAt',
      'jitter',
    ]);
  });
});

test('policy and id issues', () => {
  expect(schedulePolicyIssues({ overlap: 'buffer_all', catchupWindow: '1m', maxRuns: 3, note: 'x' })).toEqual(
    [],
  );
  expect(
    paths(
      schedulePolicyIssues({
        overlap: 'never' as never,
        catchupWindow: '5s',
        maxRuns: 0,
        pauseOnFailure: 'y' as never,
      }),
    ),
  ).toEqual(['overlap', 'catchupWindow', 'pauseOnFailure', 'maxRuns']);
  expect(schedulePolicyIssues({ maxRuns: null })).toEqual([]);
  expect(scheduleIdIssues('nightly-report.eu:1')).toEqual([]);
  expect(paths(scheduleIdIssues('has space'))).toEqual(['scheduleId']);
  expect(paths(scheduleIdIssues('-leading'))).toEqual(['scheduleId']);
  expect(paths(scheduleIdIssues('x'.repeat(101)))).toEqual(['scheduleId']);
});

test('overlap names map to Temporal policies and back', () => {
  expect(toTemporalOverlap('terminate_other')).toBe('TERMINATE_OTHER');
  expect(fromTemporalOverlap('BUFFER_ONE')).toBe('buffer_one');
  expect(fromTemporalOverlap(undefined)).toBe('skip');
});

test('durations', () => {
  expect(clientDurationMs('30s')).toBe(30_000);
  expect(clientDurationMs(250)).toBe(250);
  expect(clientDurationMs('1.5h')).toBe(5_400_000);
  expect(clientDurationMs('1 day')).toBeUndefined();
  expect(formatDurationMs(90_000)).toBe('90s');
  expect(formatDurationMs(3_600_000)).toBe('1h');
  expect(formatDurationMs(1500)).toBe('1500ms');
});

describe('Temporal spec', () => {
  test('from options', () => {
    expect(toTemporalSpec({ cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' })).toEqual({
      cronExpressions: ['0 9 * * 1-5'],
      calendars: [],
      intervals: [],
      timezone: 'Europe/Berlin',
    });
    expect(
      toTemporalSpec({
        interval: { every: '1h', offset: '15m' },
        startAt: '2030-01-01T00:00:00Z',
        jitter: '5s',
      }),
    ).toEqual({
      calendars: [],
      intervals: [{ every: 3_600_000, offset: 900_000 }],
      startAt: new Date('2030-01-01T00:00:00Z'),
      jitter: 5000,
    });
  });

  test('an update keeps what it does not change; new timing replaces calendars and intervals', () => {
    const previous: ScheduleSpecDescription = {
      calendars: [
        calendar({ minute: [{ start: 30, end: 30, step: 1 }], hour: [{ start: 9, end: 9, step: 1 }] }),
      ],
      intervals: [],
      skip: [],
      timezone: 'Europe/Berlin',
      endAt: new Date('2031-01-01T00:00:00Z'),
    };
    expect(toTemporalSpec({}, previous)).toMatchObject({
      calendars: previous.calendars,
      timezone: 'Europe/Berlin',
      endAt: previous.endAt,
    });
    expect(toTemporalSpec({ interval: '10m' }, previous)).toMatchObject({
      calendars: [],
      intervals: [{ every: 600_000 }],
      timezone: 'Europe/Berlin',
    });
    expect(toTemporalSpec({ timezone: 'UTC' }, { ...previous, timezone: '' }).timezone).toBe('UTC');
  });
});

/** A calendar as the SDK decodes one: every field present, `*` as the full range (years: none). */
function calendar(fields: Partial<CalendarSpecDescription>): CalendarSpecDescription {
  return {
    second: [{ start: 0, end: 0, step: 1 }],
    minute: [{ start: 0, end: 0, step: 1 }],
    hour: [{ start: 0, end: 0, step: 1 }],
    dayOfMonth: [{ start: 1, end: 31, step: 1 }],
    month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
    year: [],
    dayOfWeek: [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }],
    ...fields,
  };
}

describe('reading a spec back', () => {
  test('calendars as cron: ranges, steps, lists, names as numbers; seconds and years make 7 fields', () => {
    expect(
      calendarToCron(
        calendar({
          minute: [{ start: 30, end: 30, step: 1 }],
          hour: [{ start: 9, end: 9, step: 1 }],
          dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }],
        }),
      ),
    ).toBe('30 9 * * 1-5');
    expect(
      calendarToCron(
        calendar({
          minute: [{ start: 0, end: 59, step: 15 }],
          hour: [{ start: 0, end: 23, step: 1 }],
          month: [
            { start: 'JANUARY', end: 'JANUARY', step: 1 },
            { start: 'JULY', end: 'JULY', step: 1 },
          ],
        }),
      ),
    ).toBe('*/15 * * 1,7 *');
    expect(
      calendarToCron(
        calendar({ second: [{ start: 10, end: 10, step: 1 }], year: [{ start: 2030, end: 2030, step: 1 }] }),
      ),
    ).toBe('10 0 0 * * * 2030');
  });

  test('a view with one line of text', () => {
    expect(
      describeSpec({ calendars: [], intervals: [{ every: 30_000, offset: 0 }], skip: [], timezone: '' }),
    ).toEqual({
      cron: [],
      intervals: [{ every: '30s' }],
      text: 'every 30s',
    });
    const view = describeSpec({
      calendars: [calendar({ hour: [{ start: 2, end: 2, step: 1 }] })],
      intervals: [],
      timezone: 'Europe/Berlin',
      jitter: 1000,
    });
    expect(view).toMatchObject({ cron: ['0 2 * * *'], timezone: 'Europe/Berlin', jitterMs: 1000 });
    expect(view.text).toBe('cron 0 2 * * * (Europe/Berlin)');
  });
});

test("the server's refusal of a spec becomes an issue at the field it names", () => {
  const cron = specRefused(new TypeError('Minute is not in range [0-59]'), { cron: '61 * * * *' });
  expect(cron.issues).toEqual([
    {
      path: ['cron'],
      code: 'invalid_cron',
      message: "Cron expression '61 * * * *': Minute is not in range [0-59]",
    },
  ]);
  expect(
    specRefused(new TypeError('unknown time zone X'), { cron: '@daily', timezone: 'X' }).issues[0]!.path,
  ).toEqual(['timezone']);
  expect(specRefused(new TypeError('interval is too small'), { interval: 1000 }).issues[0]).toMatchObject({
    path: ['interval'],
    code: 'invalid_schedule',
  });
});

test("Temporal's schedule errors become ours", () => {
  expect(translateError(new ScheduleNotFoundError('workflow not found', 'nightly'))).toBeInstanceOf(
    NotFoundError,
  );
  expect((translateError(new ScheduleNotFoundError('x', 'nightly')) as Error).message).toBe(
    'No schedule nightly in this namespace',
  );
  expect(translateError(new ScheduleAlreadyRunning('exists', 'nightly'))).toBeInstanceOf(AlreadyExistsError);
});

test('executions of a schedule are found by Temporal’s TemporalScheduledById', () => {
  expect(executionsQuery({ scheduleId: "nightly-'eu'" })).toBe(
    "WorkflowType = 'runPipeline' AND ExecutionStatus != 'ContinuedAsNew' AND TemporalScheduledById = 'nightly-\\'eu\\''",
  );
});
