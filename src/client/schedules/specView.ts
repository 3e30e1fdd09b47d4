/**
 * A schedule's spec read back from the server. Temporal compiles cron expressions into
 * calendars; they are written back as cron fields here (numbers for months and weekdays).
 */
import type { CalendarSpecDescription, Range, ScheduleSpecDescription } from '@temporalio/client';
import { formatDurationMs } from './scheduleDurations';
import type { ScheduleSpecView } from './scheduleSpec';

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
