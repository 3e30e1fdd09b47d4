/**
 * The plan as it travels in a run's start (and continue-as-new) input: every field that holds its
 * default is left out, so a 10,000-step plan fits in one Temporal payload (about 100–130 bytes a
 * step instead of 240). `unpackPlan` fills the defaults back in; a plan written in full (every
 * run recorded before the packed form existed) unpacks to itself.
 */
import { ALWAYS_NON_RETRYABLE } from '../kinds/nodeErrors';
import {
  KIND_EXECUTION,
  toPlanNode,
  type ExecutionPlan,
  type NodeKind,
  type PlanNode,
  type PlanNodeFields,
  type PlanRetryPolicy,
} from './plan';

export { KIND_EXECUTION } from './plan';

/** A plan node with its default-valued fields left out. */
export type PackedPlanNode = Pick<PlanNodeFields, 'id' | 'kind' | 'params'> & Partial<PlanNodeFields>;

/** What a kind's steps hold unless they say otherwise (the compiler's catalog provides it). */
export interface KindDefaults {
  /** Param values (primitives) the compiler fills in. */
  params?: Readonly<Record<string, unknown>>;
  /** The per-attempt timeout of an I/O step that sets none, ms. */
  timeoutMs?: number;
}

/** An {@link ExecutionPlan} whose nodes may leave out default-valued fields. */
export type PackedPlan = Omit<ExecutionPlan, 'nodes'> & {
  nodes: PackedPlanNode[];
  /** By kind: the defaults left out of its nodes (only kinds the plan uses). */
  defaults?: Partial<Record<NodeKind, KindDefaults>>;
};

export { ALWAYS_NON_RETRYABLE };

/** The retry policy of an I/O step that sets none. */
export function defaultRetryPolicy(): PlanRetryPolicy {
  return {
    maximumAttempts: 3,
    initialIntervalMs: 1000,
    backoffCoefficient: 2,
    maximumIntervalMs: 100_000,
    nonRetryableErrorTypes: [...ALWAYS_NON_RETRYABLE],
  };
}

function isDefaultRetry(retry: PlanRetryPolicy): boolean {
  const d = defaultRetryPolicy();
  return (
    retry.maximumAttempts === d.maximumAttempts &&
    retry.initialIntervalMs === d.initialIntervalMs &&
    retry.backoffCoefficient === d.backoffCoefficient &&
    retry.maximumIntervalMs === d.maximumIntervalMs &&
    retry.nonRetryableErrorTypes.length === d.nonRetryableErrorTypes.length &&
    retry.nonRetryableErrorTypes.every((type, i) => type === d.nonRetryableErrorTypes[i])
  );
}

/**
 * The plan with default-valued node fields left out; `kindDefaults` (by kind) says which param
 * values and timeouts are defaults, and travels with the plan for the kinds it uses.
 */
export function packPlan(
  plan: ExecutionPlan,
  kindDefaults: Readonly<Partial<Record<NodeKind, KindDefaults>>> = {},
): PackedPlan {
  const defaults: Partial<Record<NodeKind, KindDefaults>> = {};
  for (const node of plan.nodes) {
    const d = kindDefaults[node.kind];
    if (d && (Object.keys(d.params ?? {}).length > 0 || d.timeoutMs !== undefined)) defaults[node.kind] = d;
  }
  return {
    ...plan,
    nodes: plan.nodes.map((node) => packNode(node, defaults[node.kind] ?? {})),
    ...(Object.keys(defaults).length > 0 && { defaults }),
  };
}

function packNode(variant: PlanNode, defaults: KindDefaults): PackedPlanNode {
  const node: PlanNodeFields = variant;
  const packed: PackedPlanNode = { id: node.id, kind: node.kind, params: packParams(node.params, defaults) };
  if (node.action !== node.kind) packed.action = node.action;
  if (node.execution !== KIND_EXECUTION[node.kind]) packed.execution = node.execution;
  if (node.dependsOn.length > 0) packed.dependsOn = node.dependsOn;
  if (node.trigger !== 'all_completed') packed.trigger = node.trigger;
  if (node.condition !== undefined) packed.condition = node.condition;
  if (node.gates.length > 0) packed.gates = node.gates;
  if (node.retry && !isDefaultRetry(node.retry)) packed.retry = node.retry;
  if (node.timeoutMs !== undefined && node.timeoutMs !== defaults.timeoutMs)
    packed.timeoutMs = node.timeoutMs;
  if (node.allowFailure) packed.allowFailure = true;
  if (node.outputName !== undefined && node.outputName !== node.id) packed.outputName = node.outputName;
  if (node.inputName !== undefined && node.inputName !== node.id) packed.inputName = node.inputName;
  if (node.budget !== undefined) packed.budget = node.budget;
  if (node.item !== undefined) packed.item = node.item;
  return packed;
}

/** Params without the ones that hold their kind's default value. */
function packParams(params: Record<string, unknown>, defaults: KindDefaults): Record<string, unknown> {
  const defaultParams = defaults.params;
  if (!defaultParams) return params;
  const packed: Record<string, unknown> = {};
  for (const key of Object.keys(params)) {
    if (!(Object.hasOwn(defaultParams, key) && defaultParams[key] === params[key])) packed[key] = params[key];
  }
  return packed;
}

/** The plan with every node field present (the inverse of {@link packPlan}). */
export function unpackPlan(plan: PackedPlan | ExecutionPlan): ExecutionPlan {
  const { defaults = {}, ...rest } = plan as PackedPlan;
  return { ...rest, nodes: plan.nodes.map((node) => unpackNode(node, defaults[node.kind] ?? {})) };
}

function unpackNode(node: PackedPlanNode, defaults: KindDefaults): PlanNode {
  const execution = node.execution ?? KIND_EXECUTION[node.kind];
  const full: PlanNodeFields = {
    id: node.id,
    kind: node.kind,
    action: node.action ?? node.kind,
    execution,
    params: defaults.params ? { ...defaults.params, ...node.params } : node.params,
    dependsOn: node.dependsOn ?? [],
    trigger: node.trigger ?? 'all_completed',
    gates: node.gates ?? [],
    allowFailure: node.allowFailure ?? false,
  };
  if (node.condition !== undefined) full.condition = node.condition;
  if (node.retry !== undefined) full.retry = node.retry;
  else if (execution === 'activity') full.retry = defaultRetryPolicy();
  const timeoutMs = node.timeoutMs ?? defaults.timeoutMs;
  if (timeoutMs !== undefined && execution === 'activity') full.timeoutMs = timeoutMs;
  if (node.kind === 'output') full.outputName = node.outputName ?? node.id;
  if (node.kind === 'input') full.inputName = node.inputName ?? node.id;
  if (node.budget !== undefined) full.budget = node.budget;
  if (node.item !== undefined) full.item = node.item;
  return toPlanNode(full);
}
