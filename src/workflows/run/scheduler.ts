/**
 * The interpreter's scheduler: which steps may settle (the ready queue and each step's
 * readiness), starting them within the run's parallelism, and recording how they settled. It
 * owns what the run's steps share while they run: the steps in flight, fail_fast, the steps that
 * failed the run, and whether the run drains for a continue-as-new.
 */
import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import { checkLlmBudget, formatUsd } from '../../model';
import type { ActivityNode, ExecutionPlan, PlanBudget, PlanNode } from '../../model';
import type { NodeError } from '../../protocol';
import type { LlmCallBudget, TokenUsage } from '../../model';
import { assertNever } from '../../model';
import { runInlineStep, runNode } from '../nodes/runNode';
import type { NodeRunEnv, StepOutcome } from '../nodes/types';
import { readiness } from './readiness';
import { ReadyQueue } from './readyQueue';
import { isTerminal, type RunState } from './runState';
import type { ExpressionScopeBuilder } from './scope';
import { TaskWorkBudget } from './workBudget';

export interface SchedulerOptions {
  /** At most this many steps in flight (inline steps settled in a pass count too). */
  maxParallelism: number;
  /** The run's budget in force; `budgeted`: the run or one of its steps has a budget. */
  runBudget: PlanBudget | undefined;
  budgeted: boolean;
  /** Steps that failed the run before this execution (restored from a continuation). */
  failures: string[];
}

export class Scheduler {
  /** Activity, timer, event, child and map steps started and not settled yet. */
  readonly inFlight = new Map<string, Promise<void>>();
  /** Steps whose failure fails the run, in the order they failed. */
  readonly failures: string[];
  /**
   * The history is long: start no more activity or timer steps, let the ones in flight finish,
   * then continue as new with the run's state (pure steps still settle: they write no history).
   */
  draining = false;
  /** Steps started (not inline) by this execution. */
  stepsStarted = 0;

  private readonly ready: ReadyQueue;
  private readonly taskWork = new TaskWorkBudget();
  /** Node work runs in its own scope so that fail_fast can cancel it without cancelling the run. */
  private readonly nodesScope = new CancellationScope();
  private failFastTriggered = false;
  /** Bumped by every settled step: the run waits for it to move. */
  private changes = 0;
  /** An error the engine's own code threw while settling a step: {@link nextChange} throws it. */
  private engineError: Error | undefined;

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly state: RunState,
    private readonly scope: ExpressionScopeBuilder,
    private readonly env: NodeRunEnv,
    private readonly options: SchedulerOptions,
  ) {
    this.failures = options.failures;
    this.ready = new ReadyQueue(plan.nodes, (id) => isTerminal(state.status(id)));
  }

  /** No step is in flight. */
  get idle(): boolean {
    return this.inFlight.size === 0;
  }

  /** Some step has not started yet. */
  get hasPending(): boolean {
    return this.plan.nodes.some((node) => this.state.status(node.id) === 'pending');
  }

  /** Enough inline work for one workflow task: the rest should go on in the next one. */
  get overWorkBudget(): boolean {
    return this.taskWork.spent();
  }

  /** Ends the workflow task, so inline work goes on in a fresh one. */
  yieldTask(): Promise<void> {
    return this.taskWork.yield();
  }

  /** Waits until a step in flight settles; throws what the engine's code threw while recording it. */
  async nextChange(): Promise<void> {
    const seen = this.changes;
    await condition(() => this.changes !== seen);
    if (this.engineError !== undefined) throw this.engineError;
  }

  /**
   * Settles every pending step it can, in passes. A pass takes the candidates (pending steps whose
   * dependencies have all settled) in plan order: it skips or fails what it must, starts activity
   * and timer steps, and runs pure steps there and then. What the pure steps produced is recorded
   * when the pass ends, making their dependents the next pass's candidates: the order of steps, and
   * so of commands, is the one of pure steps settling asynchronously between passes, which is how
   * recorded histories ran; but a chain of pure steps costs no promise and no wake-up per step.
   * A step skipped or failed by its verdict makes its dependents candidates in the same pass.
   */
  settlePending(): void {
    for (;;) {
      if (this.overWorkBudget) return;
      const settledInline = this.pass();
      for (const [node, outcome] of settledInline) this.record(node, outcome);
      // A pure step that failed may have triggered fail_fast just now.
      if (this.failFastTriggered) return this.cancelPending();
      if (settledInline.length === 0) return;
    }
  }

  /** The run was cancelled: waits for the steps in flight, then cancels every unfinished step. */
  async cancelUnfinished(): Promise<void> {
    // In-flight activities were asked to stop (they see it via heartbeats).
    await CancellationScope.nonCancellable(() => Promise.allSettled([...this.inFlight.values()]));
    for (const node of this.plan.nodes) {
      const status = this.state.status(node.id);
      if (status === 'pending' || status === 'running') this.state.cancel(node.id);
    }
  }

  /** One pass over the candidates; returns the pure steps it ran, to record. */
  private pass(): Array<[PlanNode, StepOutcome]> {
    const settledInline: Array<[PlanNode, StepOutcome]> = [];
    const notYet: number[] = [];
    for (let i = this.ready.pop(); i !== undefined; i = this.ready.pop()) {
      if (this.failFastTriggered) break;
      if (this.overWorkBudget) {
        notYet.push(i);
        break;
      }
      const node = this.plan.nodes[i]!;
      if (this.state.status(node.id) !== 'pending') continue;
      if (!this.take(node, settledInline)) notYet.push(i);
    }
    if (this.failFastTriggered) this.cancelPending();
    else for (const i of notYet) this.ready.push(i);
    return settledInline;
  }

  /** Acts on a candidate's readiness; false when it cannot settle yet (it is queued again). */
  private take(node: PlanNode, settledInline: Array<[PlanNode, StepOutcome]>): boolean {
    const verdict = readiness(node, this.state, this.scope);
    switch (verdict.kind) {
      case 'wait':
        return false;
      case 'run':
        if (!this.run(node, settledInline)) return false;
        break;
      case 'skip':
        this.state.skip(node.id, verdict.reason);
        this.ready.settled(node.id);
        break;
      case 'fail':
        this.startFailed(node, { code: verdict.code, message: verdict.message });
        break;
      default:
        return assertNever(verdict);
    }
    this.scope.invalidate(node.id);
    return true;
  }

  /** Runs a ready step: pure steps at once, others started; false when it may not start yet. */
  private run(node: PlanNode, settledInline: Array<[PlanNode, StepOutcome]>): boolean {
    if (this.inFlight.size + settledInline.length >= this.options.maxParallelism) return false;
    if (node.execution === 'inline') {
      this.state.start(node);
      this.scope.invalidate(node.id);
      settledInline.push([node, runInlineStep(node, this.env)]);
      return true;
    }
    if (this.draining) return false;
    if (!(this.options.budgeted && node.kind === 'llm')) {
      this.start(node);
      return true;
    }
    const usage = this.state.snapshot.usage;
    const used = { tokens: usage.totalTokens, costUsd: usage.costUsd ?? 0 };
    const verdict = checkLlmBudget(this.options.runBudget, used, node.budget);
    if (verdict.ok) this.start(node, verdict.call);
    // Refused before it starts: no call is made, and its dependents are skipped as after any failure.
    else
      this.startFailed(node, {
        code: 'BudgetExceeded',
        message: `${verdict.message}; the step was not started`,
        budget: verdict.breach,
      });
    return true;
  }

  /** A step that fails before it runs: started and failed at once (one attempt). */
  private startFailed(node: PlanNode, error: NodeError): void {
    this.state.start(node);
    this.record(node, { status: 'failed', attempts: 1, error });
  }

  /** Starts an activity or timer node; it is recorded, and leaves `inFlight`, when it settles. */
  private start(node: PlanNode, budget?: LlmCallBudget): void {
    this.stepsStarted++;
    this.state.start(node);
    this.scope.invalidate(node.id);
    // Nothing awaits `work`: an error thrown here would be an unhandled rejection, which fails
    // the workflow task (and every retry of it). `nextChange` rethrows it instead.
    const work = this.runInNodesScope(node, budget).then(
      (outcome) => this.settle(node, () => this.record(node, outcome)),
      (err: unknown) =>
        this.settle(node, () => {
          if (!isCancellation(err)) throw err;
          this.record(node, { status: 'cancelled' });
        }),
    );
    this.inFlight.set(node.id, work);
  }

  /**
   * Only fail_fast ever cancels nodesScope; without it, node work runs in the run's own scope and
   * saves the promises a scope's run() makes for every node.
   */
  private runInNodesScope(node: PlanNode, budget: LlmCallBudget | undefined): Promise<StepOutcome> {
    return this.plan.failFast
      ? this.nodesScope.run(() => runNode(node, this.env, budget))
      : runNode(node, this.env, budget);
  }

  private settle(node: PlanNode, done: () => void): void {
    this.inFlight.delete(node.id);
    try {
      done();
    } catch (err) {
      this.engineError ??= err instanceof Error ? err : new Error(String(err));
      this.changes++;
    }
  }

  private record(node: PlanNode, outcome: StepOutcome): void {
    const state = this.state;
    // The settling attempt's own log records and metrics go in before the engine's record.
    if (outcome.status !== 'cancelled') state.report(node.id, outcome.attempts, outcome);
    switch (outcome.status) {
      case 'completed':
        state.complete(node.id, outcome.output, outcome.attempts, outcome.usage);
        if (node.execution === 'activity' && node.budget && outcome.usage)
          logOverStepBudget(state, node, outcome.usage);
        break;
      case 'failed':
        state.fail(node.id, outcome.error, outcome.attempts);
        if (!node.allowFailure) this.failed(node.id);
        break;
      case 'cancelled':
        state.cancel(node.id);
        break;
    }
    this.ready.settled(node.id);
    this.scope.invalidate(node.id);
    this.changes++;
  }

  /** A step failed the run; with fail_fast, the first such failure cancels the node work. */
  private failed(id: string): void {
    this.failures.push(id);
    if (this.plan.failFast && !this.failFastTriggered) {
      this.failFastTriggered = true;
      this.nodesScope.cancel();
    }
  }

  /** fail_fast: every node not started yet is cancelled, in plan order. */
  private cancelPending(): void {
    for (const node of this.plan.nodes)
      if (this.state.status(node.id) === 'pending') this.state.cancel(node.id);
  }
}

/**
 * A step's own budget caps its reply, but its prompt is spent before the provider says how long
 * it was: a step that went past its budget that way keeps its output, and the log says so.
 */
function logOverStepBudget(state: RunState, node: ActivityNode, usage: TokenUsage): void {
  const tokens = usage.totalTokens;
  const costUsd = usage.costUsd;
  const over: string[] = [];
  if (node.budget?.maxTokens !== undefined && tokens > node.budget.maxTokens)
    over.push(`${tokens} tokens (max_tokens ${node.budget.maxTokens})`);
  if (node.budget?.maxCost !== undefined && costUsd !== undefined && costUsd > node.budget.maxCost)
    over.push(`${formatUsd(costUsd)} (max_cost ${formatUsd(node.budget.maxCost)})`);
  if (over.length > 0) {
    state.log(
      'warn',
      `step ${node.id} used ${over.join(' and ')}, past its own budget: its prompt counts too, and is only known once the provider answers`,
      node.id,
    );
  }
}
