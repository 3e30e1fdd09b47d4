/**
 * What crosses the `runPipeline` workflow's boundary: its input, its result, and the messages
 * (queries) clients send it. The client imports this module; it must stay free of workflow runtime
 * calls other than the `define*` helpers.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BudgetBreach, RunBudgetOptions } from '../../model';
import type { NodeMetrics } from '../nodeActivity';
import type { RunLogLevel, TokenUsage } from '../../model';
import type { PackedPlan } from '../../model';
import { STREAM_DELTAS_SIGNAL, type StreamDeltaBatch } from '../streamChunks';
import { ATTEMPT_EVENT_SIGNAL, type AttemptEvent } from '../attempts';
import type { RunConcurrency } from '../../model';
import type { EventSchema, PayloadIssue } from '../../model';
import type { ChildRun } from '../childPipelines';
import type { MapRun } from '../../model';

export type { AttemptEvent, StreamDeltaBatch };

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
  /** At most this many nodes run at once. @default 32 */
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
   * Temporal's 10,240-event warning so the steps in flight fit. @default 8000
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

export interface RunPipelineResult {
  /** Keyed by output node name (or, with no output nodes, by leaf step id). */
  outputs: Record<string, unknown>;
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

/** Where a run log record came from. */
export type RunLogSource =
  /** a `log` step */
  | 'log_node'
  /** the engine: step started / completed / failed / skipped / cancelled / retried; an attempt failed / a retry started */
  | 'engine'
  /** the step's activity code: a user action's `ctx.log`, a built-in I/O node's own warning */
  | 'action';

/** One record of the run's log. */
export interface RunLogEntry {
  /** 1, 2, 3, … in the run, in the order records were appended; never reused. */
  seq: number;
  /**
   * ISO timestamp. Workflow time for `engine` and `log_node` records; for `action` records, the
   * worker's clock when the action logged (they reach the run when the attempt ends).
   */
  at: string;
  level: RunLogLevel;
  /** The step the record is about. */
  stepId?: string;
  /** The activity attempt (1-based) the record is about, when it is about one. */
  attempt?: number;
  /** At most 2 KiB (UTF-8); longer messages end with `… [truncated, N bytes]`. */
  message: string;
  source: RunLogSource;
  /** On the engine's record of a failed activity attempt: what failed and what followed. */
  attemptFailure?: RunLogAttemptFailure;
}

/**
 * A failed activity attempt, on its run log record (the message says the same in words). One
 * record per failed attempt; a retry's start has a record of its own (`step x attempt 2 started`).
 */
export interface RunLogAttemptFailure {
  /** Our error code (`RateLimited`, `UpstreamUnavailable`, `Timeout`, …), or an action's own type. */
  code?: string;
  /** HTTP status of the failing response, if any. */
  status?: number;
  /** Another attempt followed (`nextAttemptInMs` later), or none did (`reason` says why). */
  retry: boolean;
  /** How long Temporal waited before the next attempt, ms. */
  nextAttemptInMs?: number;
  /** Where that delay came from: the upstream's `retry-after`, or the step's retry policy. */
  delaySource?: 'retry-after' | 'policy';
  /** Why no attempt followed (`maximum 3 attempts reached`, `BadRequest is not retryable`). */
  reason?: string;
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

/** Which log records a {@link runLogsQuery} returns. Every field is optional. */
export interface RunLogsRequest {
  /** Only records with a larger `seq` (pass the previous page's `lastSeq`). @default 0 */
  afterSeq?: number;
  /** Minimum level (`warn` returns `warn` and `error`). @default 'debug' */
  level?: RunLogLevel;
  /** Only records about this step. */
  stepId?: string;
  /** At most this many records (clamped to 1…1000). @default 1000 */
  limit?: number;
}

export interface RunLogsPage {
  /** Matching records with `seq > afterSeq`, oldest first. */
  records: RunLogEntry[];
  /**
   * Where the scan stopped: pass it as the next `afterSeq`. The `seq` of the last record returned
   * when the page is full (`limit`), otherwise the run's newest `seq` (records the filters
   * skipped are not scanned again); never less than `afterSeq`.
   */
  lastSeq: number;
  /** As in {@link RunSnapshot.droppedLogs}: records `1…droppedLogs` are gone. */
  droppedLogs: number;
  /**
   * The run has ended (completed, failed or cancelled) and its end-of-run callback, if any, is
   * settled: no record will follow. A terminated or
   * timed-out run never ends in its own code, so this stays `false` for it; check the
   * workflow's status too.
   */
  closed: boolean;
}

/** An event for a waiting `wait_for_event` step (the {@link sendEventUpdate}'s argument). */
export interface SendEventRequest {
  /** The step id of the `wait_for_event` step. */
  node: string;
  /** Checked against the step's `schema`; becomes the step's `output.payload`. */
  payload: unknown;
  /** Who sends it (at most 256 characters); the step's `output.by` and the run log say so. */
  by?: string;
}

/** What the run answers an event it accepted with. */
export interface SendEventResult {
  node: string;
  event: string;
  /** When the run accepted it (ISO, workflow time). */
  receivedAt: string;
}

/** Why the run refused an event. */
export type EventRejectionReason =
  /** No step with that id in the run. */
  | 'unknown_step'
  /** The step is not a `wait_for_event` step. */
  | 'not_an_event_step'
  /** The step has not started waiting yet (pending), or has settled (an event already arrived, it timed out, was skipped or cancelled). */
  | 'not_waiting'
  /** The payload does not fit the step's `schema` (see `issues`), or the request is malformed. */
  | 'invalid_payload';

/** `details[0]` of the `EventRejected` failure the update's validator throws. */
export interface EventRejection {
  reason: EventRejectionReason;
  node: string;
  /** With `invalid_payload`: every way the payload does not fit (paths inside the payload). */
  issues?: PayloadIssue[];
}

/** The failure type of a refused event (the validator's `ApplicationFailure.type`). */
export const EVENT_REJECTED = 'EventRejected';

/**
 * Sends an event to a waiting `wait_for_event` step. The validator refuses (and nothing enters
 * the run's history) an unknown step, a step of another kind, a step not waiting, and a payload
 * that does not fit the step's schema; an accepted event completes the step.
 */
export const sendEventUpdate = defineUpdate<SendEventResult, [SendEventRequest]>('sendEvent');

/** A page of the run's log; poll with `afterSeq` to follow it. */
export const runLogsQuery = defineQuery<RunLogsPage, [RunLogsRequest]>('logs');

/**
 * One chunk of the run's stream, in `seq` order (1, 2, 3, …; never reused). `at` is an ISO
 * timestamp (workflow time). No chunk's JSON is larger than 64 KiB.
 *
 * - `node`: a step changed status: `running` when it starts; `completed` (with `output` and
 *   `attempt`), `failed` (with `error` and `attempt`), `skipped`, `cancelled` when it settles.
 *   An output whose JSON is larger than 60 KiB is replaced by that JSON text cut to fit (ending
 *   with `… [truncated, N bytes]`) and `truncated: true`: read the full value from the `status`
 *   query or the run's result.
 * - `stream`: text a step produced while running (an llm step with `stream: true`: a batch of
 *   token deltas, in order), exposed under `outputName` (see `streamOutputNames`).
 * - `retry`: attempt `attempt` of `nodeId` is running: the text earlier attempts of that step
 *   streamed is void. Written before the new attempt's first text, or before the step's
 *   `completed`/`failed` chunk when the new attempt streamed nothing.
 * - `result`: the run ended (`completed` with `outputs`, `failed` with `error`, `cancelled`).
 *   Always the last chunk. Outputs cut as node outputs are (`truncated: true`). Terminated and
 *   timed-out runs run no more code, so they write none.
 */
export type StreamChunk =
  | {
      seq: number;
      at: string;
      type: 'node';
      nodeId: string;
      status: NodeStatus;
      attempt?: number;
      output?: unknown;
      error?: NodeError;
      /** `output` was cut to fit a chunk. */
      truncated?: true;
    }
  | {
      seq: number;
      at: string;
      type: 'stream';
      nodeId: string;
      outputName: string;
      /** A batch of token deltas. */
      outputValue: string;
      attempt: number;
    }
  | {
      seq: number;
      at: string;
      type: 'retry';
      nodeId: string;
      /** The new attempt: text streamed by earlier attempts of this node is void. */
      attempt: number;
    }
  | {
      seq: number;
      at: string;
      type: 'result';
      status: 'completed' | 'failed' | 'cancelled';
      outputs?: Record<string, unknown>;
      error?: { message: string; nodeId?: string; attempts?: number };
      /** Some of `outputs` were cut to fit a chunk. */
      truncated?: true;
    };

export interface StreamPage {
  /** Chunks with `seq > from`, oldest first, at most `limit` (and at most 256 KiB of them, at least one). */
  chunks: StreamChunk[];
  /** The cursor to pass as the next `from`: the last returned `seq`, or `from` if none. */
  next: number;
  /**
   * Chunks with `seq <= truncatedBefore` were dropped by the run's bound (the newest 2000 chunks
   * and at most 1 MiB of them are kept): a reader whose `from` is below it missed data.
   */
  truncatedBefore: number;
  /** The `result` chunk has been written: no chunk will follow. */
  closed: boolean;
}

export interface StreamReadRequest {
  /** Return chunks with `seq > from`. @default 0 */
  from?: number;
  /** At most this many chunks (clamped to 1…2000). @default 500 */
  limit?: number;
}

/** A page of the run's stream; poll with `from = page.next` to follow it. Writes no history. */
export const streamReadQuery = defineQuery<StreamPage, [StreamReadRequest]>('streamRead');

/**
 * Node activities send their streamed text with this signal (batched: see `STREAM_BATCH_MS`,
 * `STREAM_BATCH_BYTES`). The run drops batches it has seen (by `nodeId`, `attempt`, `batch`),
 * batches of older attempts, and batches for steps that are not running.
 */
export const streamDeltasSignal = defineSignal<[StreamDeltaBatch]>(STREAM_DELTAS_SIGNAL);

/**
 * Node activities report failed attempts that will be retried, and the start of each retry, with
 * this signal; the run writes them to its log (see {@link RunLogAttemptFailure}). Events for
 * unknown steps, steps not running, or attempts already recorded are dropped.
 */
export const attemptEventSignal = defineSignal<[AttemptEvent]>(ATTEMPT_EVENT_SIGNAL);
