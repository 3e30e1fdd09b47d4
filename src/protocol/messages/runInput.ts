/**
 * The `runPipeline` workflow's input and result: the packed plan and the run's options, what a
 * continue-as-new carries over, what a retry reuses, and the outputs a run ends with.
 */
import type { RunBudgetOptions } from '../../model';
import type { TokenUsage } from '../../model';
import type { PackedPlan } from '../../model';
import type { RunConcurrency } from '../../model';
import type { ChildRun } from '../childPipelines';
import type { MapRun } from '../../model';
import type { NodeError, RunMetrics } from './runSnapshot';
import type { StreamChunk } from './runStream';
import type { RunLogEntry } from './runLogs';

export interface RunPipelineInput {
  /** The compiled plan, packed (see `packPlan`); a plan in full is read as well. */
  plan: PackedPlan;
  /** Resolved run params (declarations' defaults applied, types checked). */
  params: Record<string, unknown>;
  /** Resolved run inputs, keyed by input node name. */
  inputs: Record<string, unknown>;
  /**
   * W3C trace id (32 lower-case hex). Empty in a schedule's runs: the run then uses its first run
   * id (without dashes), so each run of a schedule has a trace of its own.
   */
  traceId: string;
  /** The saved version the run pinned, if it came from the registry. */
  pipelineVersion?: string;
  /** At most this many nodes run at once. @default the plan's `engineDefaults.maxParallelism` (32) */
  maxParallelism?: number;
  /** Task queue of the node activities. @default the workflow's task queue */
  activityTaskQueue?: string;
  /** URLs told when the run ends (see {@link RunCallbacks}). */
  callbacks?: RunCallbacks;
  /** This run retries another: steps to take from it as they are (see {@link RunResume}). */
  resume?: RunResume;
  /**
   * Continue as new once this run's history has this many events (it stops starting steps, lets
   * the ones in flight finish, and carries its state into a fresh history). Kept well under
   * Temporal's 10,240-event warning so the steps in flight fit. Map workflows the run starts use
   * it too. @default the plan's `engineDefaults` (8000; maps 4000)
   */
  continueAsNewAfterEvents?: number;
  /** Set by the engine on a continuation: the state of the run so far (see {@link RunCarryOver}). */
  carried?: RunCarryOver;
  /** The run executes only while it holds a slot of this key (see `max_concurrent_runs`). */
  concurrency?: RunConcurrency;
  /**
   * The run's token / cost budget, replacing the definition's `budget` field by field. Absent
   * when the run sets none (and in every run recorded before budgets existed).
   */
  budget?: RunBudgetOptions;
}

/**
 * A step's state as a continuation gets it: `[status, attempts, startedAtMs, completedAtMs,
 * detail?]`, positional to keep 10,000 of them small. `startedAtMs` is 0 for a step that never
 * started (skipped, cancelled while pending).
 */
export type CarriedStep = [
  status: 'completed' | 'failed' | 'skipped' | 'cancelled',
  attempts: number,
  startedAtMs: number,
  completedAtMs: number,
  detail?: {
    error?: NodeError;
    skipReason?: string;
    usage?: TokenUsage;
    reused?: true;
    child?: ChildRun;
    map?: MapRun;
  },
];

/**
 * What a run that continues as new hands to its continuation. Steps in flight have finished
 * before it is made, so every step is either settled or pending.
 */
export interface RunCarryOver {
  /** How many times the run has continued as new, this time included. */
  continuations: number;
  startedAt: string;
  /** Settled steps by id; a step not listed is pending. */
  steps: Record<string, CarriedStep>;
  /**
   * Outputs of completed steps: every one a pending step or the run's result still reads, then
   * others while they fit; a completed step not here shows `outputDropped`.
   */
  outputs: Record<string, unknown>;
  /** Steps that failed for good (not `allow_failure`), in the order they failed. */
  failures: string[];
  /** The newest log records, and where the log stands. */
  logs: { records: RunLogEntry[]; dropped: number; lastSeq: number };
  /** The newest stream chunks, and the stream's last `seq`. */
  stream: { chunks: StreamChunk[]; lastSeq: number };
  usage: TokenUsage;
  metrics: RunMetrics;
  retryOf?: string;
}

/**
 * End-of-run callbacks: when the run ends, the worker POSTs a `PipelineCallbackBody` (JSON) to
 * `onComplete` (status `completed`) or `onFailure` (`failed` or `cancelled`), signed with
 * `x-pipeline-signature` when the worker has a callback secret. Terminated and timed-out runs
 * run no more workflow code, so they send none.
 */
export interface RunCallbacks {
  /** http(s) URL. */
  onComplete?: string;
  /** http(s) URL. */
  onFailure?: string;
  /** Delivery attempts (1 s, then ×2 backoff up to 10 s; 30 s per attempt). @default 5 */
  maxAttempts?: number;
}

/** A step of an earlier run that a retry takes as completed, without running it. */
export interface ReusedStep {
  output: unknown;
  /** The attempts it took in the run it came from. */
  attempts: number;
  usage?: TokenUsage;
}

/**
 * How a retry starts. Steps in `reuse` are completed at once with the recorded output — but only
 * when every step they depend on is reused too; anything else runs again.
 */
export interface RunResume {
  /** The workflow id of the run this one retries. */
  retryOf: string;
  /** By step id. */
  reuse: Record<string, ReusedStep>;
}

export interface RunPipelineResult {
  /** Keyed by output node name (or, with no output nodes, by leaf step id). */
  outputs: Record<string, unknown>;
}
