/**
 * The compiled form of a pipeline: what the `runPipeline` workflow interprets.
 * A plan is plain JSON (it is the workflow's input, so it lands in history): no functions,
 * no class instances, no BigInt. Expressions are kept as source and parsed by the workflow.
 */
import type { OnLimit } from '../limits/concurrency';
import type { ParamDeclaration } from '../definition/definition';

/** The built-in node kinds. Steps whose `action` is none of these are users' own actions. */
export const BUILTIN_KINDS = [
  'input',
  'output',
  'llm',
  'api_call',
  'transform',
  'condition',
  'log',
  'notification',
  'delay',
  'wait_for_event',
  'pipeline',
  'map',
] as const;
export type BuiltinKind = (typeof BUILTIN_KINDS)[number];
/** `action` is a user-registered action, run as an activity named after it. */
export type NodeKind = BuiltinKind | 'action';

/**
 * Where a node runs: `inline` in the workflow (pure, deterministic), `activity` (touches the
 * world, retried per its policy), `timer` (a durable workflow timer), `event` (a durable wait in
 * the workflow for an event sent to the run, with an optional timeout), `child` (a saved pipeline
 * run as a child workflow), `map` (a child `runMap` workflow runs an item step or a saved pipeline
 * for each item of a list).
 */
export type NodeExecution = 'inline' | 'activity' | 'timer' | 'event' | 'child' | 'map';

/** Temporal's retry policy in plain JSON (milliseconds). */
export interface PlanRetryPolicy {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  nonRetryableErrorTypes: string[];
}

/** A node runs only if the condition node `nodeId` completed with `result === when`. */
export interface PlanGate {
  nodeId: string;
  when: boolean;
}

/** A token and/or cost budget in a plan (from a definition's `budget: { max_tokens, max_cost }`). */
export interface PlanBudget {
  /** At most this many tokens (prompt + completion). */
  maxTokens?: number;
  /** At most this many US dollars, at the worker's prices. */
  maxCost?: number;
}

export interface PlanNode {
  id: string;
  kind: NodeKind;
  /** The step's `action` as written: the kind, or the user action's (activity type's) name. */
  action: string;
  execution: NodeExecution;
  /** Params as written (templates unrendered), defaults of the kind's schema applied. */
  params: Record<string, unknown>;
  /** `depends_on` ∪ every step referenced by a template or the condition, sorted. */
  dependsOn: string[];
  /**
   * `all_completed`: runs when every dependency completed; a skipped/failed/cancelled dependency
   * skips it. `all_terminal`: its condition reads a dependency's `status`, so it is evaluated
   * once every dependency is terminal, whatever their outcome.
   */
  trigger: 'all_completed' | 'all_terminal';
  /** CEL source of the step's `condition`. */
  condition?: string;
  /** Branch gates from `condition` nodes' `on_true` / `on_false`. */
  gates: PlanGate[];
  /** For I/O nodes: Temporal retry policy. */
  retry?: PlanRetryPolicy;
  /** For I/O nodes: start-to-close timeout per attempt, ms. */
  timeoutMs?: number;
  allowFailure: boolean;
  /** For `output` nodes: the key in `result().outputs`. */
  outputName?: string;
  /** For `input` nodes: the key read from the run's `inputs`. */
  inputName?: string;
  /** For `llm` nodes: the step's own budget (absent when it has none). */
  budget?: PlanBudget;
  /**
   * For `map` nodes with a `step`: that per-item step, compiled (its id is the map step's; its
   * `dependsOn` and `gates` are empty). Its params are rendered once per item, with `item` and
   * `index` in scope.
   */
  item?: PlanNode;
}

export interface ExecutionPlan {
  /** Plan format version, bumped when the interpreter's reading of plans changes. */
  planVersion: 1;
  name: string;
  description?: string;
  /** Content hash of the definition the plan was compiled from. */
  definitionHash: string;
  failFast: boolean;
  /** The definition's `max_concurrent_runs`: at most this many runs execute at once. */
  maxConcurrentRuns?: number;
  /** The definition's `on_limit`, when it gives one. */
  onLimit?: OnLimit;
  /** The run's budget over its llm steps, from the definition (absent when it has none). */
  budget?: PlanBudget;
  params: Record<string, ParamDeclaration>;
  /**
   * The secrets the definition names (`{{ secrets.NAME }}`), sorted; absent when none. The worker
   * must hold each (its `secrets` option or `PIPELINE_SECRET_<NAME>`), or the step using it fails.
   */
  secrets?: string[];
  /** In a topological order (dependencies first; ties in document order). */
  nodes: PlanNode[];
}
