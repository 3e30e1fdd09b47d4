/**
 * `runPipeline`: the one interpreter workflow (DESIGN.md decision 1). It runs an ExecutionPlan in
 * DAG order with bounded parallelism, answers the `status` query, and returns the outputs keyed by
 * output node name.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  TemporalFailure,
  workflowInfo,
} from '@temporalio/workflow';
import { checkLlmBudget, formatUsd, mergeBudgets } from '../../model';
import type { LlmCallBudget } from '../../model';
import type { PlanNode } from '../../model';
import { setOwn } from '../../model';
import { unpackPlan } from '../../model';
import { sendRunCallback } from './sendCallback';
import { continuationInput, restoreCarryOver } from './carryOver';
import { EventWaits } from '../nodes/eventWaits';
import {
  attemptEventSignal,
  runLogsQuery,
  sendEventUpdate,
  statusQuery,
  type SendEventRequest,
  streamDeltasSignal,
  streamReadQuery,
  type RunPipelineInput,
  type RunPipelineResult,
} from '../../protocol';
import { readiness } from './readiness';
import { runInlineStep, runNode, type NodeOutcome, type NodeRunEnv } from '../nodes/runNode';
import { applyResume } from './resume';
import { ReadyQueue } from './readyQueue';
import { RunSlot } from '../limits/runSlot';
import { isTerminal, RunState } from './runState';
import { ExpressionScopeBuilder } from './scope';
import { asRunFailure } from './failures';
import { TaskWorkBudget } from './workBudget';

const DEFAULT_MAX_PARALLELISM = 32;
/** Continue as new past this many history events (Temporal warns at 10,240). */
const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 8_000;
/** …or past this many bytes of history (Temporal warns at 10 MiB). */
const CONTINUE_AS_NEW_AFTER_BYTES = 8 * 1024 * 1024;
/** Marks runs that continue as new when their history is long (runs recorded before never did). */
const CONTINUE_AS_NEW_PATCH = 'continue-as-new-when-history-is-long';

/**
 * The interpreter workflow. An error of the engine's own code fails the run with `EngineError`
 * (see failures.ts) instead of failing its workflow task again and again.
 */
export async function runPipeline(input: RunPipelineInput): Promise<RunPipelineResult> {
  try {
    return await interpret(input);
  } catch (err) {
    throw asRunFailure(err, 'the run');
  }
}

async function interpret(input: RunPipelineInput): Promise<RunPipelineResult> {
  // A schedule starts every run with the same input: its runs leave the trace id empty and each
  // takes its own from the first run id of its chain (a UUID is 32 hex digits without dashes).
  if (!input.traceId) input = { ...input, traceId: workflowInfo().firstExecutionRunId.replace(/-/g, '') };
  const plan = unpackPlan(input.plan);
  // Budgets: only runs that have one take the budget's code paths (recorded runs never did).
  const runBudget = mergeBudgets(plan.budget, input.budget);
  const budgeted = runBudget !== undefined || plan.nodes.some((node) => node.budget !== undefined);
  const state = new RunState(plan, input.traceId, input.pipelineVersion, runBudget);
  setHandler(statusQuery, (request) => state.statusPage(request));
  setHandler(runLogsQuery, (request) => state.logsPage(request));
  setHandler(streamReadQuery, (request) => state.stream.read(request));
  setHandler(streamDeltasSignal, (batch) => state.streamDeltas(batch));
  setHandler(attemptEventSignal, (event) => state.attemptEvent(event));
  // wait_for_event steps: an event is checked by the validator (a refused one leaves no history).
  const events = new EventWaits(plan, state);
  setHandler(sendEventUpdate, (request) => events.deliver(request), {
    validator: (request: SendEventRequest) => events.validate(request),
  });
  /** The engine's own records about the run's end-of-run callback. */
  const runLog = (level: 'info' | 'warn' | 'error', message: string) =>
    state.log(level, message, undefined, { source: 'engine' });
  // A run with a concurrency limit holds a slot of its key while it executes (kept across continue-as-new).
  const slot = input.concurrency ? new RunSlot(input.concurrency) : undefined;
  const failures: string[] = [];
  if (input.carried) failures.push(...restoreCarryOver(state, input.carried));
  else if (input.resume) applyResume(state, plan, input.resume);

  const scope = new ExpressionScopeBuilder(state, input.params, input.inputs);
  const ready = new ReadyQueue(plan.nodes, (id) => isTerminal(state.status(id)));
  const env: NodeRunEnv = {
    scope,
    inputs: input.inputs,
    activityTaskQueue: input.activityTaskQueue,
    run: {
      taskId: workflowInfo().workflowId,
      traceId: input.traceId,
      pipeline: plan.name,
      pipelineVersion: input.pipelineVersion,
    },
    log: (level, message, stepId) => {
      state.log(level, message, stepId, { source: 'log_node' });
      log[level](message, { stepId });
    },
    events,
    childStarted: (stepId, child) => state.childStarted(stepId, child),
    mapStarted: (stepId, map) => state.mapStarted(stepId, map),
    ...(input.continueAsNewAfterEvents !== undefined && {
      continueAsNewAfterEvents: input.continueAsNewAfterEvents,
    }),
  };
  const maxParallelism = Math.max(1, input.maxParallelism ?? DEFAULT_MAX_PARALLELISM);
  // Node work runs in its own scope so that fail_fast can cancel it without cancelling the run.
  const nodesScope = new CancellationScope();
  const inFlight = new Map<string, Promise<void>>();
  let failFastTriggered = false;
  let changes = 0;
  /** An error the engine's own code threw while settling a step: the main loop fails the run with it. */
  let engineError: Error | undefined;
  /**
   * The history is long: start no more activity or timer steps, let the ones in flight finish,
   * then continue as new with the run's state (pure steps still settle: they write no history).
   */
  let draining = false;
  const continueAsNewAfterEvents = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  const historyIsLong = () => {
    const info = workflowInfo();
    return info.historyLength >= continueAsNewAfterEvents || info.historySize >= CONTINUE_AS_NEW_AFTER_BYTES;
  };

  const record = (node: PlanNode, outcome: NodeOutcome) => {
    // The settling attempt's own log records and metrics go in before the engine's record.
    if (outcome.status !== 'cancelled') state.report(node.id, outcome.attempts, outcome);
    switch (outcome.status) {
      case 'completed':
        state.complete(node.id, outcome.output, outcome.attempts, outcome.usage);
        if (node.budget && outcome.usage)
          overStepBudget(node, outcome.usage.totalTokens, outcome.usage.costUsd);
        break;
      case 'failed':
        state.fail(node.id, outcome.error, outcome.attempts);
        if (!node.allowFailure) {
          failures.push(node.id);
          if (plan.failFast && !failFastTriggered) {
            failFastTriggered = true;
            nodesScope.cancel();
          }
        }
        break;
      case 'cancelled':
        state.cancel(node.id);
        break;
    }
    ready.settled(node.id);
    scope.invalidate(node.id);
    changes++;
  };

  /**
   * A step's own budget caps its reply, but its prompt is spent before the provider says how long
   * it was: a step that went past its budget that way keeps its output, and the log says so.
   */
  const overStepBudget = (node: PlanNode, tokens: number, costUsd: number | undefined) => {
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
  };

  // Only fail_fast ever cancels nodesScope; without it, node work runs in the run's own scope and
  // saves the promises a scope's run() makes for every node.
  const runInNodesScope = plan.failFast
    ? (node: PlanNode, budget?: LlmCallBudget) => nodesScope.run(() => runNode(node, env, budget))
    : (node: PlanNode, budget?: LlmCallBudget) => runNode(node, env, budget);
  /** Starts an activity or timer node; it is recorded, and leaves `inFlight`, when it settles. */
  let stepsStarted = 0;
  const start = (node: PlanNode, budget?: LlmCallBudget) => {
    stepsStarted++;
    state.start(node);
    scope.invalidate(node.id);
    const settle = (done: () => void) => {
      inFlight.delete(node.id);
      try {
        done();
      } catch (err) {
        engineError ??= err instanceof Error ? err : new Error(String(err));
        changes++;
      }
    };
    // Nothing awaits `work`: an error thrown here would be an unhandled rejection, which fails
    // the workflow task (and every retry of it). The main loop rethrows it instead.
    const work = runInNodesScope(node, budget).then(
      (outcome) => settle(() => record(node, outcome)),
      (err: unknown) =>
        settle(() => {
          if (!isCancellation(err)) throw err;
          record(node, { status: 'cancelled' });
        }),
    );
    inFlight.set(node.id, work);
  };

  /** fail_fast: every node not started yet is cancelled, in plan order. */
  const cancelPending = (): void => {
    for (const node of plan.nodes) if (state.status(node.id) === 'pending') state.cancel(node.id);
  };
  /**
   * Settles every pending node it can, in passes. A pass takes the candidates (pending steps whose
   * dependencies have all settled) in plan order: it skips or fails what it must, starts activity
   * and timer steps, and runs pure steps there and then. What the pure steps produced is recorded
   * when the pass ends, making their dependents the next pass's candidates: the order of steps, and
   * so of commands, is the one of pure steps settling asynchronously between passes, which is how
   * recorded histories ran; but a chain of pure steps costs no promise and no wake-up per step.
   * A step skipped or failed by its verdict makes its dependents candidates in the same pass.
   */
  const taskWork = new TaskWorkBudget();
  const overWorkBudget = () => taskWork.spent();
  const settlePending = (): void => {
    for (;;) {
      if (overWorkBudget()) return;
      const settledInline: Array<[PlanNode, NodeOutcome]> = [];
      const notYet: number[] = [];
      for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
        if (failFastTriggered) break;
        if (overWorkBudget()) {
          notYet.push(i);
          break;
        }
        const node = plan.nodes[i]!;
        if (state.status(node.id) !== 'pending') continue;
        const verdict = readiness(node, state, scope);
        if (verdict.kind === 'wait') {
          notYet.push(i);
          continue;
        }
        if (verdict.kind === 'run') {
          if (inFlight.size + settledInline.length >= maxParallelism) {
            notYet.push(i);
            continue;
          }
          if (node.execution === 'inline') {
            state.start(node);
            scope.invalidate(node.id);
            settledInline.push([node, runInlineStep(node, env)]);
          } else if (draining) {
            notYet.push(i);
            continue;
          } else if (budgeted && node.kind === 'llm') {
            const usage = state.snapshot.usage;
            const verdict = checkLlmBudget(
              runBudget,
              { tokens: usage.totalTokens, costUsd: usage.costUsd ?? 0 },
              node.budget,
            );
            if (verdict.ok) start(node, verdict.call);
            else {
              // Refused before it starts: no call is made, and its dependents are skipped as
              // after any failure.
              state.start(node);
              record(node, {
                status: 'failed',
                attempts: 1,
                error: {
                  code: 'BudgetExceeded',
                  message: `${verdict.message}; the step was not started`,
                  budget: verdict.breach,
                },
              });
            }
          } else {
            start(node);
          }
        } else if (verdict.kind === 'skip') {
          state.skip(node.id, verdict.reason);
          ready.settled(node.id);
        } else {
          state.start(node);
          record(node, {
            status: 'failed',
            attempts: 1,
            error: { code: verdict.code, message: verdict.message },
          });
        }
        scope.invalidate(node.id);
      }
      if (failFastTriggered) cancelPending();
      else for (const i of notYet) ready.push(i);
      for (const [node, outcome] of settledInline) record(node, outcome);
      // A pure step that failed may have triggered fail_fast just now.
      if (failFastTriggered) return cancelPending();
      if (settledInline.length === 0) return;
    }
  };

  /** The Web UI's "current details" (a query, no history): how far the run is and what runs now. */
  let shownProgress = '';
  const showProgress = () => {
    const running: string[] = [];
    const waiting: string[] = [];
    for (const id of inFlight.keys()) {
      const waitingFor = state.node(id).waitingFor;
      if (waitingFor) waiting.push(waitingFor.event === id ? id : `${id} (${waitingFor.event})`);
      else running.push(id);
    }
    const list = (ids: string[]) =>
      ids.slice(0, 5).join(', ') + (ids.length > 5 ? ` and ${ids.length - 5} more` : '');
    const snap = state.snapshot;
    const settled = state.settled;
    const details =
      `${snap.progress}% · ${settled.completed} of ${snap.totalSteps} done` +
      (settled.skipped > 0 ? ` · ${settled.skipped} skipped` : '') +
      (settled.failed > 0 ? ` · ${settled.failed} failed` : '') +
      (settled.cancelled > 0 ? ` · ${settled.cancelled} cancelled` : '') +
      (running.length > 0 ? ` · running: ${list(running)}` : '') +
      (waiting.length > 0 ? ` · waiting for an event: ${list(waiting)}` : '');
    if (details !== shownProgress) setCurrentDetails((shownProgress = details));
  };

  let mayContinueAsNew = true;
  try {
    if (slot && !input.carried) await slot.acquire(state);
    for (;;) {
      for (;;) {
        // Checked only past the threshold, so shorter runs record no patch marker.
        // A continuation always starts a step before it may continue again, so runs make progress.
        if (
          mayContinueAsNew &&
          !draining &&
          stepsStarted > 0 &&
          historyIsLong() &&
          patched(CONTINUE_AS_NEW_PATCH)
        ) {
          draining = true;
        }
        settlePending();
        showProgress();
        if (overWorkBudget()) {
          // Enough inline work for one workflow task: the rest goes on in the next one.
          await taskWork.yield();
          continue;
        }
        if (inFlight.size === 0) break;
        const seen = changes;
        await condition(() => changes !== seen);
        if (engineError !== undefined) throw engineError;
      }
      if (!draining || !plan.nodes.some((node) => state.status(node.id) === 'pending')) break;
      const next = continuationInput(input, plan, state, failures);
      if ('input' in next) {
        log.info('continuing as new', {
          historyLength: workflowInfo().historyLength,
          continuations: next.input.carried!.continuations,
        });
        await continueAsNew<typeof runPipeline>(next.input);
      } else {
        runLog(
          'warn',
          `the run's history is long, but its state (${next.tooLarge} bytes) is too large to carry into a new history; it goes on in this one`,
        );
        draining = false;
        mayContinueAsNew = false;
      }
    }
  } catch (err) {
    if (!isCancellation(err)) {
      if (err instanceof TemporalFailure || err instanceof ContinueAsNew) throw err;
      // The engine's own code broke: the run fails, says why, and gives its concurrency slot back.
      const failure = asRunFailure(err, 'the run');
      state.end('failed', collectOutputs(plan.nodes, state), { message: (failure as Error).message });
      if (slot) await CancellationScope.nonCancellable(() => slot.release());
      await sendRunCallback(input, state, runLog);
      throw failure;
    }
    // The run was cancelled: in-flight activities were asked to stop (they see it via heartbeats);
    // wait for them, then mark whatever did not finish as cancelled.
    await CancellationScope.nonCancellable(() => Promise.allSettled([...inFlight.values()]));
    for (const node of plan.nodes) {
      const status = state.status(node.id);
      if (status === 'pending' || status === 'running') state.cancel(node.id);
    }
    state.end('cancelled');
    if (slot) await CancellationScope.nonCancellable(() => slot.release());
    await sendRunCallback(input, state, runLog);
    throw err;
  }

  if (failures.length > 0) {
    const first = state.node(failures[0]!);
    const error = {
      nodeId: failures[0]!,
      attempts: first.attempts,
      message: `step "${failures[0]}" failed after ${first.attempts} attempt(s): ${first.error?.message ?? 'unknown error'}`,
    };
    state.end('failed', collectOutputs(plan.nodes, state), error);
    await slot?.release();
    await sendRunCallback(input, state, runLog);
    const breach = first.error?.budget;
    throw ApplicationFailure.create({
      type: 'PipelineNodeFailed',
      message: error.message,
      nonRetryable: true,
      details: [
        { ...error, code: first.error?.code, failedSteps: failures, ...(breach && { budget: breach }) },
      ],
    });
  }

  const outputs = collectOutputs(plan.nodes, state);
  state.end('completed', outputs);
  await slot?.release();
  await sendRunCallback(input, state, runLog);
  return { outputs };
}

/** Outputs keyed by output node name; with no output nodes, by leaf step id. */
function collectOutputs(nodes: PlanNode[], state: RunState): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  const outputNodes = nodes.filter((n) => n.kind === 'output');
  if (outputNodes.length > 0) {
    for (const node of outputNodes) {
      const snap = state.node(node.id);
      if (snap.status === 'completed') setOwn(outputs, node.outputName ?? node.id, snap.output);
    }
    return outputs;
  }
  const hasDependents = new Set(nodes.flatMap((n) => n.dependsOn));
  for (const node of nodes) {
    const snap = state.node(node.id);
    if (!hasDependents.has(node.id) && snap.status === 'completed') setOwn(outputs, node.id, snap.output);
  }
  return outputs;
}
