/**
 * `Execution`: the data view of one run, built from what Temporal knows about the workflow
 * (describe / visibility: status, times, search attributes, memo, pending activities) and, when a
 * worker can answer, the run's own snapshot (the `status` query: per-step state, outputs, logs,
 * usage, metrics).
 */
import type { WorkflowExecutionDescription, WorkflowExecutionInfo } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { TokenUsage } from '../../model';
import { SEARCH_ATTRIBUTES } from '../../protocol';
import type { ChildRun } from '../../protocol';
import type { MapRun } from '../../model';
import type { MapProgress } from '../../protocol';
import type { EventWait, NodeSnapshot, RunBudgetSnapshot, RunSnapshot } from '../../protocol';
import { settleClosedRunSteps, type ExecutionStatus } from '../runs/closedRunSteps';

/**
 * A run's status as the client sees it (DESIGN.md decision 8): the workflow's own `RunStatus`
 * (pending | running | completed | failed | cancelled), plus how Temporal may end a run under it
 * (terminated | timed_out).
 */
export type { ExecutionStatus } from '../runs/closedRunSteps';

export interface ExecutionStep {
  status: NodeSnapshot['status'];
  kind: string;
  output?: unknown;
  error?: { message: string; code?: string };
  /** Attempts so far (live from Temporal while an activity is retrying). */
  attempts: number;
  startedAt?: string;
  completedAt?: string;
  durationSeconds?: number;
  skipReason?: string;
  usage?: TokenUsage;
  /** While retrying: the last attempt's failure and when the next attempt is due. */
  lastFailure?: string;
  nextAttemptAt?: string;
  /** A `wait_for_event` step that waits (status `running`): for which event, the prompt, until when. */
  waitingFor?: EventWait;
  /** A `pipeline` step: its child run (read its steps with `executions.get(child.executionId)`). */
  child?: ChildRun;
  /**
   * A `map` step: its map workflow and the list's length; while the step runs, `executions.get`
   * adds the map's `progress` (items settled, failed, running, retries, continuations).
   */
  map?: MapRun & { progress?: MapProgress };
  [extra: string]: unknown;
}

export interface Execution {
  /** The run's id (Temporal workflow id); `taskId` of its `RunHandle`. */
  id: string;
  /** Temporal run id of this execution. */
  runId: string;
  /** The pipeline's name. */
  pipelineId: string;
  pipelineVersion?: string;
  status: ExecutionStatus;
  /** When the run was accepted. */
  createdAt: string;
  /** When a worker began it (the run's own clock), when known. */
  startedAt?: string;
  completedAt?: string;
  /** From creation to completion; absent while the run goes on. */
  durationSeconds?: number;
  params?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: { message: string; stepId?: string; attempts?: number };
  tags: string[];
  /** 1 (highest) … 5 (lowest). */
  priority?: number;
  /** The run's fairness key (its tenant), when it was started with one. */
  fairnessKey?: string;
  /** 0–100. */
  progress: number;
  completedSteps?: number;
  totalSteps?: number;
  /** Per-step state; empty in list results (they come from visibility only). */
  steps: Record<string, ExecutionStep>;
  /** LLM token usage over the run (`costUsd` when the workers priced the calls). */
  usage?: TokenUsage;
  /** The run's token / cost budget and how much of it is used, when it has one. */
  budget?: RunBudgetSnapshot;
  /** Worker-side resource use of the run's activities, when the worker measured it. */
  metrics?: { cpuSeconds: number; peakMemoryMb: number };
  /** The execution this one retried, if any. */
  retryOf?: string;
  /** The schedule that started this execution, if one did (`client.schedules`). */
  scheduleId?: string;
  traceId?: string;
  /**
   * True when the status query had no answer (no worker, or a snapshot over the 2 MiB query
   * limit): steps and logs are then unknown; a completed run's outputs come from its history.
   */
  partial: boolean;
}

const TEMPORAL_STATUS: Record<string, ExecutionStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'running',
};

/** Temporal's status name (visibility spelling) for each of ours. */
export const VISIBILITY_STATUS: Record<ExecutionStatus, string> = {
  pending: 'Running',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  timed_out: 'TimedOut',
};

/**
 * Our status from Temporal's and, when a worker answered, the run's snapshot: a running workflow
 * no worker has picked up yet is `pending`; one whose outcome is recorded stays open only while
 * its end-of-run callback is delivered, and shows that outcome.
 */
export function runStatusOf(
  info: Pick<WorkflowExecutionInfo, 'status' | 'historyLength'>,
  snapshot?: Pick<RunSnapshot, 'status' | 'nodes'>,
): ExecutionStatus {
  const status = TEMPORAL_STATUS[info.status.name] ?? 'running';
  if (status !== 'running') return status;
  if (snapshot) {
    // The snapshot is newer than `info` (read after it): a worker has run the workflow, so it is
    // `running` unless it waits for a concurrency slot with no step started.
    if (snapshot.status === 'pending') return anyStepStarted(snapshot) ? 'running' : 'pending';
    return snapshot.status;
  }
  return info.historyLength > 0 && info.historyLength <= 2 ? 'pending' : 'running';
}

const anyStepStarted = (snapshot: Pick<RunSnapshot, 'nodes'>) =>
  Object.values(snapshot.nodes ?? {}).some((node) => node.status !== 'pending');

const keys = {
  name: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName.name, 'KEYWORD'),
  version: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineVersion.name, 'KEYWORD'),
  tags: defineSearchAttributeKey(SEARCH_ATTRIBUTES.tags.name, 'KEYWORD_LIST'),
  priority: defineSearchAttributeKey(SEARCH_ATTRIBUTES.priority.name, 'INT'),
};

const seconds = (ms: number) => Math.round(ms) / 1000;

interface PendingActivity {
  activityId?: string | null;
  attempt?: number | null;
  lastFailure?: { message?: string | null } | null;
  nextAttemptScheduleTime?: { seconds?: unknown; nanos?: number | null } | null;
}

function timestampToIso(ts: PendingActivity['nextAttemptScheduleTime']): string | undefined {
  if (!ts?.seconds) return undefined;
  const secs = Number(ts.seconds);
  return new Date(secs * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

function stepsFrom(
  status: ExecutionStatus,
  snapshot: RunSnapshot,
  pending: readonly PendingActivity[],
): Record<string, ExecutionStep> {
  const steps: Record<string, ExecutionStep> = {};
  for (const [id, node] of Object.entries(settleClosedRunSteps(status, snapshot.nodes))) {
    const { durationMs, ...rest } = node;
    steps[id] = { ...rest, ...(durationMs !== undefined && { durationSeconds: seconds(durationMs) }) };
  }
  for (const activity of pending) {
    const step = activity.activityId ? steps[activity.activityId] : undefined;
    if (!step || !activity.attempt) continue;
    step.attempts = Math.max(step.attempts, activity.attempt);
    const lastFailure = activity.lastFailure?.message ?? undefined;
    if (lastFailure) step.lastFailure = lastFailure;
    const nextAttemptAt = timestampToIso(activity.nextAttemptScheduleTime);
    if (nextAttemptAt) step.nextAttemptAt = nextAttemptAt;
    if (activity.attempt > 1 && step.status === 'running') step.status = 'retrying';
  }
  return steps;
}

function closeError(status: ExecutionStatus): Execution['error'] {
  if (status === 'terminated') return { message: 'The run was terminated' };
  if (status === 'timed_out') return { message: 'The run reached its timeout' };
  return undefined;
}

/**
 * Builds the view. `info` comes from describe() or a visibility listing; `snapshot` from the
 * status query when a worker answered.
 */
export function toExecution(
  info: WorkflowExecutionInfo | WorkflowExecutionDescription,
  snapshot?: RunSnapshot,
): Execution {
  const status = runStatusOf(info, snapshot);
  const memo = (info.memo ?? {}) as {
    params?: Record<string, unknown>;
    retryOf?: string;
    scheduleId?: string;
    traceId?: string;
  };
  const pending =
    ('raw' in info && 'pendingActivities' in info.raw ? info.raw.pendingActivities : undefined) ?? [];
  // A run that continued as new: its newest run started at the hand-off; the snapshot knows the first.
  const createdAt = snapshot?.continuations ? new Date(snapshot.startedAt) : info.startTime;
  const extra = (snapshot ?? {}) as Partial<RunSnapshot> & {
    metrics?: Execution['metrics'];
    retryOf?: string;
    params?: Record<string, unknown>;
  };
  const error = snapshot?.error
    ? { message: snapshot.error.message, stepId: snapshot.error.nodeId, attempts: snapshot.error.attempts }
    : closeError(status);
  return {
    id: info.workflowId,
    runId: info.runId,
    pipelineId: snapshot?.pipeline ?? info.typedSearchAttributes.get(keys.name) ?? '',
    pipelineVersion: snapshot?.pipelineVersion ?? info.typedSearchAttributes.get(keys.version),
    status,
    createdAt: createdAt.toISOString(),
    startedAt: snapshot?.startedAt,
    completedAt: info.closeTime?.toISOString(),
    durationSeconds: info.closeTime ? seconds(info.closeTime.getTime() - createdAt.getTime()) : undefined,
    params: extra.params ?? memo.params,
    outputs: snapshot?.outputs,
    error,
    tags: info.typedSearchAttributes.get(keys.tags) ?? [],
    priority: info.typedSearchAttributes.get(keys.priority),
    fairnessKey: info.priority?.fairnessKey || undefined,
    progress: snapshot?.progress ?? (status === 'completed' ? 100 : 0),
    completedSteps: snapshot?.completedSteps,
    totalSteps: snapshot?.totalSteps,
    steps: snapshot ? stepsFrom(status, snapshot, pending) : {},
    usage: snapshot?.usage,
    ...(snapshot?.budget && { budget: snapshot.budget }),
    metrics: extra.metrics,
    retryOf: extra.retryOf ?? memo.retryOf,
    ...(memo.scheduleId !== undefined && { scheduleId: memo.scheduleId }),
    traceId: snapshot?.traceId ?? (memo.traceId || undefined),
    partial: snapshot === undefined,
  };
}
