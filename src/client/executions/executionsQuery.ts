/**
 * The Temporal visibility query for an executions filter (pipeline, status, tags, schedule,
 * creation time), and the time values such filters accept.
 */
import { msToNumber } from '@temporalio/common';
import { pipelineName } from '../pipelines/pipelineRegistry';
import type { ListExecutionsOptions } from './executionOptions';
import { VISIBILITY_STATUS } from './executionView';

/** A visibility query string literal. */
const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A Date, an ISO timestamp, or a duration back from `now` (`'5m'`), as an ISO timestamp. */
export function toTime(value: Date | string, now: number): string {
  if (value instanceof Date) return value.toISOString();
  if (/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(value.trim())) {
    return new Date(now - msToNumber(value.trim())).toISOString();
  }
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new TypeError(`Not a time: ${value}`);
  return parsed.toISOString();
}

/** The visibility query for a filter (exported for tests and the CLI). */
export function executionsQuery(
  filter: Omit<ListExecutionsOptions, 'limit' | 'offset' | 'pageToken' | 'sortOrder'>,
): string {
  const now = Date.now();
  const clauses = ["WorkflowType = 'runPipeline'"];
  if (filter.pipelineId) clauses.push(`PipelineName = ${quote(pipelineName(filter.pipelineId))}`);
  const statuses = [filter.status ?? []].flat();
  const names = [...new Set(statuses.map((s) => VISIBILITY_STATUS[s]))];
  if (names.length > 0) clauses.push(`ExecutionStatus IN (${names.map(quote).join(', ')})`);
  // A long run that continued as new leaves closed runs behind under the same id: list it once.
  else clauses.push("ExecutionStatus != 'ContinuedAsNew'");
  for (const tag of filter.tags ?? []) clauses.push(`PipelineTags = ${quote(tag)}`);
  if (filter.scheduleId !== undefined) clauses.push(`TemporalScheduledById = ${quote(filter.scheduleId)}`);
  if (filter.createdAfter !== undefined)
    clauses.push(`StartTime >= ${quote(toTime(filter.createdAfter, now))}`);
  if (filter.createdBefore !== undefined)
    clauses.push(`StartTime <= ${quote(toTime(filter.createdBefore, now))}`);
  return clauses.join(' AND ');
}
