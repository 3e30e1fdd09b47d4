/**
 * What `client.schedules` shows: a schedule as `list` and `get` show it, and the runs it started.
 */
import type { ScheduleDescription, ScheduleSummary as TemporalScheduleSummary } from '@temporalio/client';
import type { ExecutionStatus } from '../executions/executionView';
import { inputOf, timeoutOf, userTags, versionKey } from './scheduleAction';
import type { ScheduleOverlap, ScheduleSpecView } from './scheduleSpec';
import { describeSpec } from './specView';
import { fromTemporalOverlap } from './temporalSpec';

/** A run a schedule started. */
export interface ScheduledRun {
  /** The execution id (`<schedule id>-<scheduled time>`): `executions.get(executionId)`. */
  executionId: string;
  /** Temporal run id of the run's first execution. */
  runId: string;
  /** The time on the timetable (for a trigger: when it was triggered), jitter included. */
  scheduledAt: string;
  /** When the schedule started it. */
  startedAt: string;
  /** The run's status now; absent when Temporal no longer knows the run (retention). */
  status?: ExecutionStatus;
}

/** A schedule as `list` shows it. */
export interface ScheduleSummary {
  id: string;
  /** The pipeline's name. */
  pipelineId: string;
  /** The saved version its runs use. */
  version?: number;
  spec: ScheduleSpecView;
  paused: boolean;
  note?: string;
  /** The next times runs are due (ISO). */
  nextRuns: string[];
  /** When the last run started, if any. */
  lastRunAt?: string;
}

/** A schedule as `get` shows it. */
export interface ScheduleInfo {
  id: string;
  pipelineId: string;
  version?: number;
  spec: ScheduleSpecView;
  overlap: ScheduleOverlap;
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  paused: boolean;
  note?: string;
  /** Runs left on the timetable; absent when unlimited. */
  remainingRuns?: number;
  /** The params and inputs each run gets (declared defaults applied). */
  params: Record<string, unknown>;
  inputs: Record<string, unknown>;
  /** Tags each run gets, besides `schedule:<id>`. */
  tags: string[];
  priority?: number;
  timeoutMs?: number;
  maxParallelism?: number;
  taskQueue: string;
  /** The next times runs are due (ISO; Temporal gives up to 10). */
  nextRuns: string[];
  /** The latest runs it started (Temporal keeps 10), oldest first, with their status. */
  recentRuns: ScheduledRun[];
  /** Ids of its runs that are still open. */
  runningExecutionIds: string[];
  /** Runs started so far (triggers included). */
  runsStarted: number;
  /** Due runs skipped because of `overlap`. */
  runsSkippedForOverlap: number;
  /** Due runs skipped because they were older than the catch-up window. */
  runsMissedCatchupWindow: number;
  createdAt: string;
  updatedAt?: string;
}

/** A pipeline schedule (of pipeline `name`) as `list` shows it. */
export function toScheduleSummary(s: TemporalScheduleSummary, name: string): ScheduleSummary {
  const version = s.typedSearchAttributes?.get(versionKey);
  const last = s.info.recentActions[s.info.recentActions.length - 1];
  return {
    id: s.scheduleId,
    pipelineId: name,
    ...(version !== undefined && { version: Number(version) }),
    spec: describeSpec(s.spec ?? {}),
    paused: s.state.paused,
    ...(s.state.note && { note: s.state.note }),
    nextRuns: s.info.nextActionTimes.map((t) => t.toISOString()),
    ...(last && { lastRunAt: last.takenAt.toISOString() }),
  };
}

/** A pipeline schedule as `get` shows it, with its recent runs' status. */
export function toScheduleInfo(d: ScheduleDescription, recentRuns: ScheduledRun[]): ScheduleInfo {
  const input = inputOf(d);
  const priority = d.action.priority?.priorityKey;
  return {
    id: d.scheduleId,
    pipelineId: input.plan.name,
    ...(input.pipelineVersion !== undefined && { version: Number(input.pipelineVersion) }),
    spec: describeSpec(d.spec),
    overlap: fromTemporalOverlap(d.policies.overlap),
    catchupWindowMs: d.policies.catchupWindow,
    pauseOnFailure: d.policies.pauseOnFailure,
    paused: d.state.paused,
    ...(d.state.note && { note: d.state.note }),
    ...(d.state.remainingActions !== undefined && { remainingRuns: d.state.remainingActions }),
    params: input.params,
    inputs: input.inputs,
    tags: userTags(d),
    ...(priority !== undefined && { priority }),
    ...(timeoutOf(d) !== undefined && { timeoutMs: timeoutOf(d) }),
    ...(input.maxParallelism !== undefined && { maxParallelism: input.maxParallelism }),
    taskQueue: d.action.taskQueue,
    nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns,
    runningExecutionIds: d.info.runningActions.map((a) => a.workflow.workflowId),
    runsStarted: d.info.numActionsTaken,
    runsSkippedForOverlap: d.info.numActionsSkippedOverlap,
    runsMissedCatchupWindow: d.info.numActionsMissedCatchupWindow,
    createdAt: d.info.createdAt.toISOString(),
    ...(d.info.lastUpdatedAt && { updatedAt: d.info.lastUpdatedAt.toISOString() }),
  };
}
