/**
 * The compiled form of a pipeline: what the `runPipeline` workflow interprets.
 * A plan is plain JSON (it is the workflow's input, so it lands in history): no functions,
 * no class instances, no BigInt. Expressions are kept as source and parsed by the workflow.
 */
import type { OnLimit } from '../limits/concurrency';
import type { ParamDeclaration } from '../definition/definition';
import type { EngineDefaults } from './engineDefaults';

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

/** Kinds that run inline, in the workflow (pure, deterministic). */
export type InlineKind = 'input' | 'output' | 'transform' | 'condition' | 'log';
/** Kinds that run as an activity: the built-in I/O kinds and users' actions. */
export type ActivityKind = 'llm' | 'api_call' | 'notification' | 'action';

/** What every plan node holds, whatever runs it. */
export interface PlanNodeBase<E extends NodeExecution, K extends NodeKind> {
  id: string;
  kind: K;
  /** The step's `action` as written: the kind, or the user action's (activity type's) name. */
  action: string;
  execution: E;
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
  allowFailure: boolean;
}

/** A pure step computed in the workflow: input, output, transform, condition, log. */
export interface InlineNode extends PlanNodeBase<'inline', InlineKind> {
  /** For `output` nodes: the key in `result().outputs`. */
  outputName?: string;
  /** For `input` nodes: the key read from the run's `inputs`. */
  inputName?: string;
}

/** A step that touches the world: an activity with its retry policy and timeout. */
export interface ActivityNode extends PlanNodeBase<'activity', ActivityKind> {
  /** Temporal retry policy. */
  retry?: PlanRetryPolicy;
  /** Start-to-close timeout per attempt, ms. */
  timeoutMs?: number;
  /** For `llm` nodes: the step's own budget (absent when it has none). */
  budget?: PlanBudget;
}

/** A `delay` step: a durable workflow timer. */
export type TimerNode = PlanNodeBase<'timer', 'delay'>;

/** A `wait_for_event` step: a durable wait for an event sent to the run (see eventWaits.ts). */
export type EventWaitNode = PlanNodeBase<'event', 'wait_for_event'>;

/** A `pipeline` step: a saved pipeline run as a child workflow. */
export type ChildPipelineNode = PlanNodeBase<'child', 'pipeline'>;

/** A `map` step: a child `runMap` workflow runs an item step or a saved pipeline per item. */
export interface MapNode extends PlanNodeBase<'map', 'map'> {
  /**
   * With a `step`: that per-item step, compiled (its id is the map step's; its `dependsOn` and
   * `gates` are empty). Its params are rendered once per item, with `item` and `index` in scope.
   */
  item?: ItemStepNode;
}

/** A map's per-item step: inline or activity. */
export type ItemStepNode = InlineNode | ActivityNode;

/** A step of the plan, by how it executes (`execution`); each variant narrows `kind`. */
export type PlanNode = InlineNode | ActivityNode | TimerNode | EventWaitNode | ChildPipelineNode | MapNode;

/**
 * A plan node's fields side by side, as the compiler assembles them and as recorded plans hold
 * them; `toPlanNode` gives the variant.
 */
export type PlanNodeFields = Omit<PlanNodeBase<NodeExecution, NodeKind>, never> &
  Omit<InlineNode, keyof PlanNodeBase<'inline', InlineKind>> &
  Omit<ActivityNode, keyof PlanNodeBase<'activity', ActivityKind>> &
  Omit<MapNode, keyof PlanNodeBase<'map', 'map'>>;

/** A map's per-item step node of `fields`: only inline and activity kinds run per item. */
export function toItemStepNode(fields: PlanNodeFields): ItemStepNode {
  const node = toPlanNode(fields);
  if (node.execution !== 'inline' && node.execution !== 'activity') {
    throw new Error(`plan node ${fields.id}: a '${fields.kind}' step does not run per item of a map`);
  }
  return node;
}

/** An `input` node (a type guard, for filters). */
export const isInputNode = (node: PlanNode): node is InlineNode & { kind: 'input' } => node.kind === 'input';

/** Where each kind runs. */
export const KIND_EXECUTION = {
  input: 'inline',
  output: 'inline',
  transform: 'inline',
  condition: 'inline',
  log: 'inline',
  delay: 'timer',
  wait_for_event: 'event',
  pipeline: 'child',
  map: 'map',
  llm: 'activity',
  api_call: 'activity',
  notification: 'activity',
  action: 'activity',
} as const satisfies Readonly<Record<NodeKind, NodeExecution>>;

/**
 * The plan node variant of `fields`. Its `execution` decides the variant; every kind runs one way
 * (`KIND_EXECUTION`), so a node whose kind and execution disagree is refused.
 *
 * @throws Error when `fields.execution` is not how `fields.kind` runs.
 */
export function toPlanNode(fields: PlanNodeFields): PlanNode {
  if (KIND_EXECUTION[fields.kind] !== fields.execution) {
    throw new Error(`plan node ${fields.id}: a '${fields.kind}' step does not run as '${fields.execution}'`);
  }
  // The check above is what the union's pairing of kind and execution says.
  return fields as PlanNode;
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
  /**
   * The engine's defaults when the plan was compiled (see engineDefaults.ts); absent in plans
   * compiled before they were written here.
   */
  engineDefaults?: EngineDefaults;
}
