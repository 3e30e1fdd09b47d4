/**
 * The contract between the `runPipeline` workflow and the worker's node activities.
 * Every I/O node is one activity call: activity type = the node's `action`
 * (`llm`, `api_call`, `notification`, or a user action's name).
 */
import type { LlmCallBudget, NodeRunContext, RunLogLevel, TokenUsage } from '../model';

/** What the workflow passes to a node activity. Plain JSON. */
export interface NodeActivityInput {
  /** Step id. */
  nodeId: string;
  /** Params with every template rendered except `{{ secrets.NAME }}`, which only the activity resolves. */
  params: Record<string, unknown>;
  run: NodeRunContext;
  /**
   * `llm` steps of a run or step with a budget: what this call may still use. Absent when no
   * budget applies (and in every run recorded before budgets existed).
   */
  budget?: LlmCallBudget;
}

/** What every node activity returns: the node's output plus facts about the attempt. */
export interface NodeActivityResult {
  output: unknown;
  /** The attempt that succeeded (1-based). */
  attempt: number;
  /** LLM token usage, when the node called a model. */
  usage?: TokenUsage;
  /**
   * What the node's code logged through its context during this attempt, oldest first: at most
   * `MAX_NODE_LOGS_PER_ATTEMPT` (100) records, each message at most 2 KiB. Absent when none.
   */
  logs?: NodeLogRecord[];
  /** Records this attempt logged beyond the per-attempt bound (not returned). Absent when 0. */
  droppedLogs?: number;
  /** Resource use measured around this attempt. */
  metrics?: NodeMetrics;
}

/** One log record written by a node's code (a user action's `ctx.log`, a built-in node's warning). */
export interface NodeLogRecord {
  /** ISO timestamp, the worker's clock when the record was written. */
  at: string;
  level: RunLogLevel;
  message: string;
}

/**
 * Resource use of one activity attempt, measured by the activity wrapper.
 *
 * Both numbers are process-wide: the worker's whole Node process during the attempt. When one
 * worker runs several activities at once (or the workflow worker shares the process), their
 * numbers overlap: treat them as an upper bound for the node, exact only when it ran alone.
 */
export interface NodeMetrics {
  /** CPU time (user + system) the process used between the attempt's start and end, seconds. */
  cpuSeconds: number;
  /**
   * The highest resident set size (RSS) sampled at the attempt's start, on every heartbeat tick
   * (about once a second) and at its end, MiB (2^20 bytes), one decimal.
   */
  peakMemoryMb: number;
}

/**
 * Details attached (as the first detail) to every `ApplicationFailure` a node activity maps
 * through its error classifier. An `ApplicationFailure` a user action throws itself passes
 * through unchanged: it carries its own details, and the attempt's logs and metrics are lost.
 */
export interface NodeFailureDetails {
  attempt: number;
  /** HTTP status of the failing response, if any. */
  status?: number;
  /** What the failed attempt logged (as in {@link NodeActivityResult.logs}). */
  logs?: NodeLogRecord[];
  droppedLogs?: number;
  /** Resource use of the failed attempt. */
  metrics?: NodeMetrics;
}
