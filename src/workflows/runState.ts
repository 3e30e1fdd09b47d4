/**
 * The run's state as the workflow keeps it, and the snapshot the `status` query returns.
 * Deterministic: the clock is workflow time (`Date.now()` inside a workflow is replay-safe).
 */
import type { ExecutionPlan, PlanNode, TokenUsage } from '../pipeline';
import type { NodeError, NodeSnapshot, NodeStatus, RunLogEntry, RunSnapshot, RunStatus } from './messages';

const MAX_LOGS = 500;
const TERMINAL: ReadonlySet<NodeStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled']);

export const isTerminal = (status: NodeStatus): boolean => TERMINAL.has(status);

const now = () => new Date(Date.now()).toISOString();

export class RunState {
  readonly snapshot: RunSnapshot;

  constructor(plan: ExecutionPlan, traceId: string, pipelineVersion: string | undefined) {
    const nodes: Record<string, NodeSnapshot> = {};
    for (const node of plan.nodes) nodes[node.id] = { status: 'pending', kind: node.kind, attempts: 0 };
    this.snapshot = {
      status: 'running',
      pipeline: plan.name,
      pipelineVersion,
      definitionHash: plan.definitionHash,
      traceId,
      startedAt: now(),
      nodes,
      completedSteps: 0,
      totalSteps: plan.nodes.length,
      progress: 0,
      logs: [],
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
    };
  }

  node(id: string): NodeSnapshot {
    const node = this.snapshot.nodes[id];
    if (!node) throw new Error(`no node ${id} in this run`);
    return node;
  }

  status(id: string): NodeStatus {
    return this.node(id).status;
  }

  start(node: PlanNode): void {
    Object.assign(this.node(node.id), { status: 'running', startedAt: now(), attempts: 1 });
  }

  complete(id: string, output: unknown, attempts: number, usage?: TokenUsage): void {
    const node = this.finish(id, 'completed');
    node.output = output;
    node.attempts = attempts;
    if (usage) {
      node.usage = usage;
      this.snapshot.usage.promptTokens += usage.promptTokens;
      this.snapshot.usage.completionTokens += usage.completionTokens;
      this.snapshot.usage.totalTokens += usage.totalTokens;
    }
  }

  fail(id: string, error: NodeError, attempts: number): void {
    const node = this.finish(id, 'failed');
    node.error = error;
    node.attempts = Math.max(node.attempts, attempts);
    this.log('error', `step ${id} failed after ${node.attempts} attempt(s): ${error.message}`, id);
  }

  skip(id: string, reason: string): void {
    this.finish(id, 'skipped').skipReason = reason;
  }

  cancel(id: string): void {
    this.finish(id, 'cancelled');
  }

  log(level: RunLogEntry['level'], message: string, nodeId?: string): void {
    const logs = this.snapshot.logs;
    logs.push({ at: now(), level, nodeId, message });
    if (logs.length > MAX_LOGS) logs.splice(0, logs.length - MAX_LOGS);
  }

  end(
    status: Exclude<RunStatus, 'running'>,
    outputs?: Record<string, unknown>,
    error?: RunSnapshot['error'],
  ): void {
    Object.assign(this.snapshot, { status, completedAt: now(), outputs, error });
  }

  private finish(id: string, status: NodeStatus): NodeSnapshot {
    const node = this.node(id);
    const wasStarted = node.startedAt !== undefined;
    node.status = status;
    node.completedAt = now();
    if (wasStarted) node.durationMs = Date.parse(node.completedAt) - Date.parse(node.startedAt!);
    const all = Object.values(this.snapshot.nodes);
    this.snapshot.completedSteps = all.filter((n) => n.status === 'completed').length;
    this.snapshot.progress = Math.floor((100 * all.filter((n) => isTerminal(n.status)).length) / all.length);
    return node;
  }
}
