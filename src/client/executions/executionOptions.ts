/**
 * The options and page types of `client.executions`: what creating, listing and counting accept,
 * and what a page of `list` holds.
 */
import type { ExecutionStatus, Execution } from './executionView';
import type { ClientDuration, StartRunOptions } from '../runs/startRun';

/** What every way of creating an execution accepts. */
export interface ExecutionRunOptions extends Pick<
  StartRunOptions,
  | 'params'
  | 'inputs'
  | 'priority'
  | 'fairnessKey'
  | 'fairnessWeight'
  | 'tags'
  | 'idempotencyKey'
  | 'maxParallelism'
  | 'timeout'
  | 'concurrencyKey'
  | 'maxConcurrentRuns'
  | 'onLimit'
  | 'budget'
> {
  /** Wait for the run to end and return the finished execution. @default false */
  wait?: boolean;
  /** With `wait`: stop waiting after this long (`PollTimeoutError`); the run goes on. */
  waitTimeout?: ClientDuration;
  /** URLs POSTed when the run ends: `onComplete` when it completed, `onFailure` when it failed or was cancelled. */
  callbacks?: { onComplete?: string; onFailure?: string };
}

export interface CreateExecutionOptions extends ExecutionRunOptions {
  /** The pipeline's name (or its id, `pipeline:<name>`). */
  pipelineId: string;
  /** A saved version; else the deployed one, else the latest. */
  version?: number;
}

export interface ListExecutionsOptions {
  /** The pipeline's name (or id). */
  pipelineId?: string;
  /** One status or any of several. `pending` and `running` both match running executions. */
  status?: ExecutionStatus | ExecutionStatus[];
  /** Executions carrying all of these tags. */
  tags?: string[];
  /** Executions a schedule started (its timetable and its triggers): Temporal's `TemporalScheduledById`. */
  scheduleId?: string;
  /** A Date, an ISO timestamp, or a duration back from now (`'5m'`, `'24h'`). */
  createdAfter?: Date | string;
  createdBefore?: Date | string;
  /** @default 50 */
  limit?: number;
  /** Skip this many matches in the sort order (first page only: a `pageToken` says where to go on). */
  offset?: number;
  /** The `nextPageToken` of a previous page. */
  pageToken?: string;
  /**
   * By creation time (`createdAt`, Temporal's `StartTime`; ties by id): `'desc'` newest first,
   * `'asc'` oldest first. Newest first usually reads little more than the page; oldest first reads
   * every match after the page token's position (a page needing more than 10,000 is refused).
   * @default 'desc'
   */
  sortOrder?: 'asc' | 'desc';
}

export interface ExecutionPage {
  /** Executions from visibility: no `steps`, `outputs` or logs (use `get(id)` for those). */
  executions: Execution[];
  /** Pass as `pageToken` for the next page; absent on the last page. */
  nextPageToken?: string;
}
