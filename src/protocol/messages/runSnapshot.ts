/**
 * The run's live state as the `status` query answers it: the run's and each step's status,
 * attempts, timing, outputs, errors, usage, budget and callback.
 */
import { defineQuery } from '@temporalio/workflow';
import type { BudgetBreach } from '../../model';
import type { NodeMetrics } from '../nodeActivity';
import type { TokenUsage } from '../../model';
import type { EventSchema } from '../../model';
import type { ChildRun } from '../childPipelines';
import type { MapRun } from '../../model';
import type { RunLogEntry } from './runLogs';

/** The end-of-run callback's delivery, in the run's snapshot. */
export interface CallbackSnapshot {
  url: string;
  /** `pending` while it is being delivered (the run's own status is already final then). */
  status: 'pending' | 'delivered' | 'failed';
  /** Attempts made (when delivered: the attempt that got a 2xx). */
  attempts: number;
  /** Why the last attempt failed, when `failed`. */
  error?: string;
}

/** `pending`: the run waits for a concurrency slot (see `waitingFor`). */
export type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
/**
 * A step's status. `terminated`: the run was terminated or timed out before the step settled
 * (Temporal ended the run under it, no cleanup ran); the workflow never sets it, the client's
 * views do (see `settleClosedRunSteps`).
 */
export type NodeStatus =
  'pending' | 'running' | 'retrying' | 'completed' | 'failed' | 'skipped' | 'cancelled' | 'terminated';

export interface NodeError {
  message: string;
  /** Our error code (`RateLimited`, `BadRequest`, `TemplateError`, …) when known. */
  code?: string;
  /** Code `BudgetExceeded`, refused before it started: which budget, how much was used, the limit. */
  budget?: BudgetBreach;
}

export interface NodeSnapshot {
  status: NodeStatus;
  kind: string;
  /**
   * Attempts made (inline nodes: 1). Activities: the attempt that settled the step; while it runs,
   * the latest attempt its activity reported starting.
   */
  attempts: number;
  /** ISO timestamps (workflow time). */
  startedAt?: string;
  completedAt?: string;
  durationMs?: number;
  output?: unknown;
  error?: NodeError;
  /** Why a node was skipped (`condition false`, `dependency failed: x`, `branch not taken: c`). */
  skipReason?: string;
  usage?: TokenUsage;
  /**
   * Resource use of the activity attempt that settled the node (activity nodes only; absent
   * when the attempt was cancelled or threw its own `ApplicationFailure`). Process-wide
   * numbers: see {@link NodeMetrics}.
   */
  metrics?: NodeMetrics;
  /** Completed without running: its output was taken from the run this one retries. */
  reused?: boolean;
  /**
   * Completed before the run continued as new, and nothing left to run read its output, so the
   * run no longer holds it (it is in the earlier history, in the step's activity result).
   */
  outputDropped?: true;
  /** A `wait_for_event` step that is waiting (status `running`): what for, and until when. */
  waitingFor?: EventWait;
  /** A `pipeline` step whose child run started: the child's execution id, pipeline and version. */
  child?: ChildRun;
  /** A `map` step whose map workflow started: its execution id and how many items the list has. */
  map?: MapRun;
}

/** What a waiting `wait_for_event` step waits for (in its {@link NodeSnapshot}). */
export interface EventWait {
  /** The step's `event` label (the step id when it sets none). */
  event: string;
  /** What the sender is asked, rendered when the wait started. */
  prompt?: string;
  /** The payload's shape; absent when any payload is accepted. */
  schema?: EventSchema;
  /** When the wait started (ISO, workflow time). */
  since: string;
  /** When it times out (ISO, workflow time); absent when it waits without a timeout. */
  timeoutAt?: string;
  /** What happens then. */
  onTimeout?: 'fail' | 'default';
}

/** Resource use summed over the run's activity nodes. Process-wide numbers: see {@link NodeMetrics}. */
export interface RunMetrics {
  /** Sum of the nodes' `cpuSeconds`. */
  cpuSeconds: number;
  /** Largest of the nodes' `peakMemoryMb`. */
  peakMemoryMb: number;
}

export interface RunSnapshot {
  status: RunStatus;
  pipeline: string;
  pipelineVersion?: string;
  definitionHash: string;
  traceId: string;
  startedAt: string;
  completedAt?: string;
  /** While the run is `pending`: the concurrency key whose slot it waits for, and since when. */
  waitingFor?: { concurrencyKey: string; since: string };
  nodes: Record<string, NodeSnapshot>;
  completedSteps: number;
  totalSteps: number;
  /** 0–100: share of nodes that reached a terminal status. */
  progress: number;
  outputs?: Record<string, unknown>;
  error?: { message: string; nodeId?: string; attempts?: number };
  /**
   * The run's log: `log` steps, the engine's records about steps, and what actions logged, in
   * `seq` order. The newest 1000 records (and at most 512 KiB of messages) are kept; page through
   * them with {@link runLogsQuery}.
   */
  logs: RunLogEntry[];
  /** Records no longer kept (the oldest ones): the first kept record's `seq` is `droppedLogs + 1`. */
  droppedLogs: number;
  /**
   * Token usage summed over the run's LLM nodes; `costUsd` once a step's worker priced its call.
   * Steps reused by a retry are not counted (their run spent them).
   */
  usage: TokenUsage;
  /** The run's budget and how much of it is used; absent when the run has no budget. */
  budget?: RunBudgetSnapshot;
  /** Resource use over the run's activity nodes (zeros when none ran). */
  metrics: RunMetrics;
  /** The workflow id of the run this one retries. */
  retryOf?: string;
  /** The end-of-run callback, once the run has ended and has one to send. */
  callback?: CallbackSnapshot;
  /**
   * How many times the run continued as new: a long run does, to keep each history under
   * Temporal's limits (the workflow id stays; each continuation has a new run id).
   */
  continuations?: number;
  /**
   * Present when `nodes` holds only some of the steps (runs of more than 1,000 steps): the
   * position of the first in plan order, how many, and how many the run has.
   */
  stepsPage?: { from: number; count: number; total: number };
}

/**
 * A run's budget in its snapshot: the limits in force (the definition's `budget` with the run's
 * own option over it) and what the run used so far (the same numbers as `usage`).
 */
export interface RunBudgetSnapshot {
  maxTokens?: number;
  /** US dollars. */
  maxCost?: number;
  /** Prompt + completion tokens of the run's llm steps (`usage.totalTokens`). */
  usedTokens: number;
  /** US dollars (`usage.costUsd`, 0 while no call was priced). */
  usedCost: number;
}

/** Which steps a {@link statusQuery} returns. */
export interface StatusRequest {
  /** Steps from this position in plan order. @default 0 */
  stepsFrom?: number;
  /** At most this many steps (clamped to 1…1000). @default 1000 */
  stepsLimit?: number;
}

/** A run with more steps than this answers `status` a page of steps at a time. */
export const STATUS_PAGE_STEPS = 1000;

/**
 * The run's live state: per-node status, attempts, timing, outputs, errors, progress. A run of up
 * to 1,000 steps answers with all of them; a bigger one with a page (`stepsPage` says which; the
 * log only on the first page): `queryRunSnapshot` in the client reads every page.
 */
export const statusQuery = defineQuery<RunSnapshot, [StatusRequest?]>('status');
