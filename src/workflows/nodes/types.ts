/**
 * The types shared by the node runners and the interpreter: how a step settled
 * ({@link StepOutcome}), what its settling attempt reported ({@link AttemptReport}), and what a
 * step needs from its run ({@link StepRunEnv}, {@link NodeRunEnv}). Kept apart from the runners so
 * no module imports back into runNode.ts.
 */
import type { ChildRun } from '../../protocol';
import type { AttemptFailure } from '../../protocol';
import type { NodeLogRecord, NodeMetrics } from '../../protocol';
import type { NodeRunContext, RunLogLevel, TokenUsage } from '../../model';
import type { NodeError } from '../../protocol';
import type { MapRun } from '../../model';
import type { ExpressionScope } from '../../model';
import type { EventWaitNode } from '../../model';

/**
 * What the activity attempt that settled a node reported besides its output: its log records
 * (their `at` is the worker's clock) and resource use, and, when the activity failed for good,
 * the last attempt's failure. Absent for inline nodes.
 */
export interface AttemptReport {
  logs?: NodeLogRecord[];
  droppedLogs?: number;
  metrics?: NodeMetrics;
  failure?: AttemptFailure;
}

/** How a step settled, as the interpreter records it. */
export type StepOutcome =
  | ({ status: 'completed'; output: unknown; attempts: number; usage?: TokenUsage } & AttemptReport)
  | ({ status: 'failed'; error: NodeError; attempts: number } & AttemptReport)
  | { status: 'cancelled' };

/** What inline and activity steps need: a map workflow runs its items with just this. */
export interface StepRunEnv {
  /** What templates and expressions read (the run's `ExpressionScopeBuilder`). */
  scope: { build(): ExpressionScope };
  inputs: Record<string, unknown>;
  run: NodeRunContext;
  activityTaskQueue?: string;
  /** Where `log` nodes write. */
  log(level: RunLogLevel, message: string, stepId: string): void;
  /** The heartbeat timeout of activity steps, ms (the run's engine defaults). */
  heartbeatTimeoutMs: number;
}

export interface NodeRunEnv extends StepRunEnv {
  /** The run's `wait_for_event` waits (`EventWaits`). */
  events: StepEventWaits;
  /** A `pipeline` step started its child run. */
  childStarted(stepId: string, child: ChildRun): void;
  /** A `map` step started its map workflow. */
  mapStarted(stepId: string, map: MapRun): void;
  /** When a map workflow continues as new (the run's own event threshold when its start set one). */
  mapContinueAsNew: { afterEvents: number; afterBytes: number };
}

/** How a `wait_for_event` step waits: rejects only with a cancellation (see eventWaits.ts). */
export interface StepEventWaits {
  wait(node: EventWaitNode, params: Record<string, unknown>): Promise<StepOutcome>;
}
