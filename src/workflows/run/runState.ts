/**
 * The run's state as the workflow keeps it, and the snapshot the `status` query returns.
 * Deterministic: the clock is workflow time (`Date.now()` inside a workflow is replay-safe).
 */
import type { AttemptEvent } from '../../protocol';
import { addUsd, formatUsd } from '../../model';
import type { RunLogLevel, TokenUsage } from '../../model';
import type { ExecutionPlan, PlanBudget, PlanNode } from '../../model';
import { streamOutputNames, type StreamDeltaBatch } from '../../protocol';
import type { ChildRun } from '../../protocol';
import type { MapRun } from '../../model';
import type {
  CallbackSnapshot,
  EventWait,
  NodeError,
  NodeSnapshot,
  NodeStatus,
  ReusedStep,
  RunLogEntry,
  RunLogsPage,
  RunLogsRequest,
  RunSnapshot,
  RunStatus,
  StatusRequest,
} from '../../protocol';
import { STATUS_PAGE_STEPS } from '../../protocol';
import { AttemptLog } from './attemptLog';
import { isLevel, RunLog, type RunLogOptions } from './runLog';
import type { AttemptReport } from '../nodes/types';
import { StreamLog } from './streamLog';
import { nowIso as now } from './clock';

const TERMINAL: ReadonlySet<NodeStatus> = new Set([
  'completed',
  'failed',
  'skipped',
  'cancelled',
  'terminated',
]);

export const isTerminal = (status: NodeStatus): boolean => TERMINAL.has(status);

export class RunState {
  readonly snapshot: RunSnapshot;
  /** The run's stream (the `streamRead` query); not part of the snapshot. */
  readonly stream: StreamLog;
  /** The run's log records (the snapshot's `logs`, kept within bounds). */
  private readonly runLog: RunLog;
  /** The log's account of activity attempts (failed attempts, retries' starts). */
  private readonly attempts: AttemptLog;

  private readonly terminalIds = new Set<string>();
  private readonly completedIds = new Set<string>();
  private readonly skippedIds = new Set<string>();
  private readonly failedIds = new Set<string>();

  /** The run's budget was used up and the log said so. */
  private budgetReachedLogged = false;

  /** @param budget the run's budget in force (the definition's with the run's option over it). */
  constructor(
    plan: ExecutionPlan,
    traceId: string,
    pipelineVersion: string | undefined,
    budget?: PlanBudget,
  ) {
    this.stream = new StreamLog(streamOutputNames(plan));
    this.attempts = new AttemptLog(plan, this);
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
      droppedLogs: 0,
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      metrics: { cpuSeconds: 0, peakMemoryMb: 0 },
    };
    if (budget) this.snapshot.budget = { ...budget, usedTokens: 0, usedCost: 0 };
    this.runLog = new RunLog(this.snapshot);
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
    this.log(
      'info',
      `step ${node.id} started (${node.kind === 'action' ? node.action : node.kind})`,
      node.id,
    );
    this.stream.started(node.id);
    this.attempts.started(node.id);
  }

  /** A `wait_for_event` step started waiting: its status shows what for (until it settles). */
  waiting(id: string, waitingFor: EventWait): void {
    this.node(id).waitingFor = waitingFor;
    const until = waitingFor.timeoutAt !== undefined ? ` until ${waitingFor.timeoutAt}` : '';
    this.log('info', `step ${id} waits for event '${waitingFor.event}'${until}`, id);
  }

  /** A `map` step started its map workflow: its status names it (and keeps it). */
  mapStarted(id: string, map: MapRun): void {
    this.node(id).map = map;
    this.log('info', `step ${id} started map ${map.executionId} over ${map.total} items`, id);
  }

  /** A `pipeline` step started its child run: its status names the child (and keeps it). */
  childStarted(id: string, child: ChildRun): void {
    this.node(id).child = child;
    this.log(
      'info',
      `step ${id} started child run ${child.executionId} (${child.pipeline} version ${child.version})`,
      id,
    );
  }

  /**
   * A node activity's report of a failed attempt or a retry's start (the `attemptEvent` signal):
   * written to the log while the step runs; a retry's start also raises the step's `attempts`.
   */
  attemptEvent(event: AttemptEvent): void {
    const attempt = this.attempts.event(event);
    if (attempt === undefined) return;
    const node = this.node(event.nodeId);
    node.attempts = Math.max(node.attempts, attempt);
  }

  /** A batch of streamed text from a node activity: taken only while the node is running. */
  streamDeltas(batch: StreamDeltaBatch): void {
    const nodeId = typeof batch === 'object' && batch !== null ? batch.nodeId : undefined;
    const node =
      typeof nodeId === 'string' && Object.hasOwn(this.snapshot.nodes, nodeId)
        ? this.snapshot.nodes[nodeId]
        : undefined;
    this.stream.deltas(batch, node?.status === 'running');
  }

  /**
   * What the activity attempt that settled a node reported: its log records (appended with the
   * step id and attempt, `source: 'action'`), metrics, and, when it failed for good, the
   * failure (the last attempt's record). Call before `complete` / `fail`.
   */
  report(id: string, attempt: number, report: AttemptReport): void {
    for (const record of Array.isArray(report.logs) ? report.logs : []) {
      if (typeof record !== 'object' || record === null) continue;
      const level = isLevel(record.level) ? record.level : 'info';
      const at = typeof record.at === 'string' ? record.at : undefined;
      this.log(level, String(record.message), id, { attempt, source: 'action', at });
    }
    if (typeof report.droppedLogs === 'number' && report.droppedLogs > 0) {
      this.log(
        'warn',
        `step ${id}: ${report.droppedLogs} more log record(s) of attempt ${attempt} were dropped (at most 100 per attempt)`,
        id,
        { attempt },
      );
    }
    if (report.failure) this.attempts.lastAttemptFailed(id, attempt, report.failure);
    const m = report.metrics;
    if (m && typeof m.cpuSeconds === 'number' && typeof m.peakMemoryMb === 'number') {
      this.node(id).metrics = { cpuSeconds: m.cpuSeconds, peakMemoryMb: m.peakMemoryMb };
      const run = this.snapshot.metrics;
      run.cpuSeconds += m.cpuSeconds;
      run.peakMemoryMb = Math.max(run.peakMemoryMb, m.peakMemoryMb);
    }
  }

  complete(id: string, output: unknown, attempts: number, usage?: TokenUsage): void {
    const node = this.finish(id, 'completed');
    node.output = output;
    node.attempts = attempts;
    this.attempts.settled(id, attempts);
    this.logRetries(id, attempts);
    this.log('info', `step ${id} completed in ${node.durationMs ?? 0} ms`, id, { attempt: attempts });
    this.stream.settled(id, 'completed', { attempt: attempts, output });
    if (usage) {
      node.usage = usage;
      const run = this.snapshot.usage;
      run.promptTokens += usage.promptTokens;
      run.completionTokens += usage.completionTokens;
      run.totalTokens += usage.totalTokens;
      if (typeof usage.costUsd === 'number') run.costUsd = addUsd(run.costUsd ?? 0, usage.costUsd);
      this.budgetUsed(id);
    }
  }

  /** A continuation: the usage its run carried (the budget's used amounts follow it). */
  restoreUsage(usage: TokenUsage): void {
    Object.assign(this.snapshot.usage, usage);
    this.budgetUsed(undefined, false);
  }

  /**
   * Brings the budget's used amounts up to date with `usage`; the first time the budget is used
   * up, says so in the log (not when restored from a continuation: it said so already).
   */
  private budgetUsed(stepId: string | undefined, log = true): void {
    const budget = this.snapshot.budget;
    if (!budget) return;
    budget.usedTokens = this.snapshot.usage.totalTokens;
    budget.usedCost = this.snapshot.usage.costUsd ?? 0;
    const reached: string[] = [];
    if (budget.maxTokens !== undefined && budget.usedTokens >= budget.maxTokens)
      reached.push(`max_tokens (${budget.usedTokens} of ${budget.maxTokens} tokens used)`);
    if (budget.maxCost !== undefined && budget.usedCost >= budget.maxCost)
      reached.push(`max_cost (${formatUsd(budget.usedCost)} of ${formatUsd(budget.maxCost)} used)`);
    if (reached.length === 0 || this.budgetReachedLogged) return;
    this.budgetReachedLogged = true;
    if (!log) return;
    this.log(
      'warn',
      `the run's budget is used up: ${reached.join(', ')}; llm steps that have not started will fail with BudgetExceeded`,
      stepId,
    );
  }

  fail(id: string, error: NodeError, attempts: number): void {
    const node = this.finish(id, 'failed');
    node.error = error;
    node.attempts = Math.max(node.attempts, attempts);
    this.attempts.settled(id, node.attempts);
    this.logRetries(id, node.attempts);
    const code = error.code ? ` [${error.code}]` : '';
    this.log('error', `step ${id} failed after ${node.attempts} attempt(s)${code}: ${error.message}`, id, {
      attempt: node.attempts,
    });
    this.stream.settled(id, 'failed', { attempt: node.attempts, error });
  }

  /** A step taken from the run this one retries (`retryOf`): completed at once, without running. */
  reuse(id: string, step: ReusedStep, retryOf: string): void {
    const node = this.finish(id, 'completed');
    node.output = step.output;
    node.attempts = step.attempts;
    node.reused = true;
    // Its tokens were spent by the earlier run: kept on the step, not added to this run's usage.
    if (step.usage) node.usage = step.usage;
    this.log('info', `step ${id} reused from ${retryOf} (not run again)`, id);
    this.stream.settled(id, 'completed', { attempt: step.attempts, output: step.output });
  }

  /** Records the end-of-run callback's delivery state. */
  setCallback(callback: CallbackSnapshot): void {
    this.snapshot.callback = callback;
  }

  skip(id: string, reason: string): void {
    this.finish(id, 'skipped').skipReason = reason;
    this.log('info', `step ${id} skipped: ${reason}`, id);
    this.stream.settled(id, 'skipped');
  }

  cancel(id: string): void {
    this.finish(id, 'cancelled');
    this.attempts.settled(id);
    this.log('warn', `step ${id} cancelled`, id);
    this.stream.settled(id, 'cancelled');
  }

  /** Appends a record to the run's log (see {@link RunLog.append}). */
  log(level: RunLogLevel, message: string, stepId?: string, options: RunLogOptions = {}): void {
    this.runLog.append(level, message, stepId, options);
  }

  /** The `status` query: the snapshot, or for a run of more than 1,000 steps a page of them. */
  statusPage(request: StatusRequest | undefined): RunSnapshot {
    const ids = Object.keys(this.snapshot.nodes);
    const req: StatusRequest = typeof request === 'object' && request !== null ? request : {};
    const from =
      typeof req.stepsFrom === 'number' && Number.isFinite(req.stepsFrom)
        ? Math.max(0, Math.floor(req.stepsFrom))
        : 0;
    const limit =
      typeof req.stepsLimit === 'number' && Number.isFinite(req.stepsLimit)
        ? Math.min(STATUS_PAGE_STEPS, Math.max(1, Math.floor(req.stepsLimit)))
        : STATUS_PAGE_STEPS;
    if (from === 0 && ids.length <= limit) return this.snapshot;
    const nodes: Record<string, NodeSnapshot> = {};
    const page = ids.slice(from, from + limit);
    for (const id of page) nodes[id] = this.snapshot.nodes[id]!;
    return Object.assign({}, this.snapshot, {
      nodes,
      logs: from === 0 ? this.snapshot.logs : [],
      stepsPage: { from, count: page.length, total: ids.length },
    });
  }

  /** The `logs` query (see {@link RunLog.page}). */
  logsPage(request: RunLogsRequest | undefined): RunLogsPage {
    // A run's end-of-run callback still logs its delivery after the run's status is final.
    return this.runLog.page(request, this.ended && this.snapshot.callback?.status !== 'pending');
  }

  /** The engine's record that an activity node needed more than one attempt. */
  private logRetries(id: string, attempts: number): void {
    if (attempts > 1) {
      this.log('warn', `step ${id} needed ${attempts} attempts (${attempts - 1} retried)`, id, {
        attempt: attempts,
      });
    }
  }

  /** The run's status is final. */
  get ended(): boolean {
    return this.snapshot.status !== 'running' && this.snapshot.status !== 'pending';
  }

  /** The run waits for a slot of its concurrency key: `pending` until it has one. */
  waitForSlot(concurrencyKey: string): void {
    Object.assign(this.snapshot, { status: 'pending', waitingFor: { concurrencyKey, since: now() } });
  }

  /** The run holds its slot: it runs from now. */
  slotGranted(): void {
    this.snapshot.status = 'running';
    delete this.snapshot.waitingFor;
  }

  end(
    status: Exclude<RunStatus, 'running' | 'pending'>,
    outputs?: Record<string, unknown>,
    error?: RunSnapshot['error'],
  ): void {
    Object.assign(this.snapshot, { status, completedAt: now(), outputs, error });
    this.stream.result(status, outputs, error);
  }

  private finish(id: string, status: NodeStatus): NodeSnapshot {
    const node = this.node(id);
    const wasStarted = node.startedAt !== undefined;
    node.status = status;
    if (node.waitingFor !== undefined) delete node.waitingFor;
    node.completedAt = now();
    if (wasStarted) node.durationMs = Date.parse(node.completedAt) - Date.parse(node.startedAt!);
    this.settledCount(id, status);
    return node;
  }

  /** Counted incrementally: recounting every step on every change is quadratic in big runs. */
  private settledCount(id: string, status: NodeStatus): void {
    this.terminalIds.add(id);
    if (status === 'completed') this.completedIds.add(id);
    else this.completedIds.delete(id);
    if (status === 'skipped') this.skippedIds.add(id);
    else this.skippedIds.delete(id);
    if (status === 'failed') this.failedIds.add(id);
    else this.failedIds.delete(id);
    this.snapshot.completedSteps = this.completedIds.size;
    this.snapshot.progress = Math.floor((100 * this.terminalIds.size) / this.snapshot.totalSteps);
  }

  /** Settled steps by outcome (kept incrementally, like the snapshot's counts). */
  get settled(): { completed: number; skipped: number; failed: number; cancelled: number } {
    const completed = this.completedIds.size;
    const skipped = this.skippedIds.size;
    const failed = this.failedIds.size;
    return { completed, skipped, failed, cancelled: this.terminalIds.size - completed - skipped - failed };
  }

  /** The `seq` of the newest log record. */
  get lastLogSeq(): number {
    return this.runLog.lastSeq;
  }

  /** A continuation: a step settled before the run continued as new, as it was (no log record). */
  restoreStep(id: string, step: Omit<NodeSnapshot, 'kind'>): void {
    Object.assign(this.node(id), step);
    this.settledCount(id, step.status);
  }

  /** A continuation: the log as the run left it (its newest records, and where it stood). */
  restoreLog(records: RunLogEntry[], dropped: number, lastSeq: number): void {
    this.runLog.restore(records, dropped, lastSeq);
  }
}
