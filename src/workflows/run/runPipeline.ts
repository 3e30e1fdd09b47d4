/**
 * `runPipeline`: the one interpreter workflow (DESIGN.md decision 1). It runs an ExecutionPlan in
 * DAG order with bounded parallelism (see scheduler.ts), answers the `status` query, and returns
 * the outputs keyed by output node name. Every way a run ends goes through {@link closeRun}.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  log,
  patched,
  setHandler,
  TemporalFailure,
  workflowInfo,
} from '@temporalio/workflow';
import { mergeBudgets } from '../../model';
import type { ExecutionPlan, InlineNode, PlanNode } from '../../model';
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
  type RunSnapshot,
} from '../../protocol';
import type { NodeRunEnv } from '../nodes/types';
import { applyResume } from './resume';
import { RunSlot } from '../limits/runSlot';
import { RunState } from './runState';
import { ExpressionScopeBuilder } from './scope';
import { asRunFailure } from './failures';
import { Scheduler } from './scheduler';
import { ProgressDetails } from './progressDetails';
import { CONTINUE_AS_NEW_PATCH, runDefaults } from './replayRules';


/** One execution of a run: what its steps, its end and its continuation share. */
interface Run {
  input: RunPipelineInput;
  plan: ExecutionPlan;
  state: RunState;
  scheduler: Scheduler;
  /** A run with a concurrency limit holds a slot of its key while it executes (kept across continue-as-new). */
  slot: RunSlot | undefined;
  /** The engine's own records about the run (its end-of-run callback, its continuation). */
  engineLog: (level: 'info' | 'warn' | 'error', message: string) => void;
}

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
  const traceId = input.traceId || workflowInfo().firstExecutionRunId.replace(/-/g, '');
  if (!input.traceId) input = { ...input, traceId };
  const run = openRun(input, unpackPlan(input.plan), traceId);
  try {
    if (run.slot && !input.carried) await run.slot.acquire(run.state);
    await runSteps(run);
  } catch (err) {
    if (isCancellation(err)) {
      // The run was cancelled: whatever did not finish is cancelled.
      await run.scheduler.cancelUnfinished();
      await closeRun(run, 'cancelled');
      throw err;
    }
    if (err instanceof TemporalFailure || err instanceof ContinueAsNew) throw err;
    // The engine's own code broke: the run fails, says why, and gives its concurrency slot back.
    const failure = asRunFailure(err, 'the run');
    await closeRun(run, 'failed', { message: (failure as Error).message });
    throw failure;
  }
  if (run.scheduler.failures.length > 0) throw await failedSteps(run);
  return { outputs: await closeRun(run, 'completed') };
}

/** Sets the run up: its state, query/signal/update handlers, scope, slot and scheduler. */
function openRun(input: RunPipelineInput, plan: ExecutionPlan, traceId: string): Run {
  // Budgets: only runs that have one take the budget's code paths (recorded runs never did).
  const runBudget = mergeBudgets(plan.budget, input.budget);
  const budgeted =
    runBudget !== undefined ||
    plan.nodes.some((node) => node.execution === 'activity' && node.budget !== undefined);
  const state = new RunState(plan, traceId, input.pipelineVersion, runBudget);
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
  const slot = input.concurrency ? new RunSlot(input.concurrency) : undefined;
  const failures: string[] = [];
  if (input.carried) failures.push(...restoreCarryOver(state, input.carried));
  else if (input.resume) applyResume(state, plan, input.resume);
  const scope = new ExpressionScopeBuilder(state, input.params, input.inputs);
  const env = nodeRunEnv(input, plan, state, scope, events, traceId);
  const maxParallelism = Math.max(1, input.maxParallelism ?? runDefaults(plan).maxParallelism);
  const scheduler = new Scheduler(plan, state, scope, env, { maxParallelism, runBudget, budgeted, failures });
  const engineLog = (level: 'info' | 'warn' | 'error', message: string) =>
    state.log(level, message, undefined, { source: 'engine' });
  return { input, plan, state, scheduler, slot, engineLog };
}

/** What the run's steps need from it: the scope they read, where they log and report. */
function nodeRunEnv(
  input: RunPipelineInput,
  plan: ExecutionPlan,
  state: RunState,
  scope: ExpressionScopeBuilder,
  events: EventWaits,
  traceId: string,
): NodeRunEnv {
  const defaults = runDefaults(plan);
  return {
    scope,
    inputs: input.inputs,
    activityTaskQueue: input.activityTaskQueue,
    run: {
      taskId: workflowInfo().workflowId,
      traceId,
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
    heartbeatTimeoutMs: defaults.heartbeatTimeoutMs,
    mapContinueAsNew: {
      afterEvents: input.continueAsNewAfterEvents ?? defaults.mapContinueAsNewAfterEvents,
      afterBytes: defaults.mapContinueAsNewAfterBytes,
    },
  };
}

/**
 * Runs the steps until none can run; when the history grew long, continues as new with the
 * run's state (or, when that state is too large to carry, goes on in this history).
 */
async function runSteps(run: Run): Promise<void> {
  const { input, plan, state, scheduler } = run;
  const progress = new ProgressDetails(state);
  let mayContinueAsNew = true;
  for (;;) {
    await settleAll(run, progress, mayContinueAsNew);
    if (!scheduler.draining || !scheduler.hasPending) return;
    const next = continuationInput(input, plan, state, scheduler.failures);
    if ('input' in next) {
      log.info('continuing as new', {
        historyLength: workflowInfo().historyLength,
        continuations: next.input.carried!.continuations,
      });
      await continueAsNew<typeof runPipeline>(next.input);
    } else {
      run.engineLog(
        'warn',
        `the run's history is long, but its state (${next.tooLarge} bytes) is too large to carry into a new history; it goes on in this one`,
      );
      scheduler.draining = false;
      mayContinueAsNew = false;
    }
  }
}

/** Settles steps until none is in flight; past the history threshold, the scheduler drains. */
async function settleAll(run: Run, progress: ProgressDetails, mayContinueAsNew: boolean): Promise<void> {
  const { scheduler } = run;
  for (;;) {
    // Checked only past the threshold, so shorter runs record no patch marker.
    // A continuation always starts a step before it may continue again, so runs make progress.
    if (
      mayContinueAsNew &&
      !scheduler.draining &&
      scheduler.stepsStarted > 0 &&
      historyIsLong(run.input, run.plan) &&
      patched(CONTINUE_AS_NEW_PATCH)
    ) {
      scheduler.draining = true;
    }
    scheduler.settlePending();
    progress.show(scheduler.inFlight.keys());
    if (scheduler.overWorkBudget) {
      // Enough inline work for one workflow task: the rest goes on in the next one.
      await scheduler.yieldTask();
      continue;
    }
    if (scheduler.idle) return;
    await scheduler.nextChange();
  }
}

/** The history is past the run's continue-as-new threshold (events or bytes). */
function historyIsLong(input: RunPipelineInput, plan: ExecutionPlan): boolean {
  const info = workflowInfo();
  const defaults = runDefaults(plan);
  const afterEvents = input.continueAsNewAfterEvents ?? defaults.continueAsNewAfterEvents;
  return info.historyLength >= afterEvents || info.historySize >= defaults.continueAsNewAfterBytes;
}

/** Steps failed the run: it closes as failed, and the first failure is the run's error. */
async function failedSteps(run: Run): Promise<ApplicationFailure> {
  const failures = run.scheduler.failures;
  const first = run.state.node(failures[0]!);
  const error = {
    nodeId: failures[0]!,
    attempts: first.attempts,
    message: `step "${failures[0]}" failed after ${first.attempts} attempt(s): ${first.error?.message ?? 'unknown error'}`,
  };
  await closeRun(run, 'failed', error);
  const breach = first.error?.budget;
  return ApplicationFailure.create({
    type: 'PipelineNodeFailed',
    message: error.message,
    nonRetryable: true,
    details: [
      { ...error, code: first.error?.code, failedSteps: failures, ...(breach && { budget: breach }) },
    ],
  });
}

/**
 * Ends the run: its final status (with its outputs, unless cancelled), its concurrency slot given
 * back, and its end-of-run callback sent. Returns the outputs.
 */
async function closeRun(
  run: Run,
  status: 'completed' | 'failed' | 'cancelled',
  error?: RunSnapshot['error'],
): Promise<Record<string, unknown>> {
  const outputs = status === 'cancelled' ? undefined : collectOutputs(run.plan.nodes, run.state);
  run.state.end(status, outputs, error);
  const slot = run.slot;
  // A cancelled run still gives its slot back.
  if (slot) await CancellationScope.nonCancellable(() => slot.release());
  await sendRunCallback(run.input, run.state, run.engineLog);
  return outputs ?? {};
}

/** Outputs keyed by output node name; with no output nodes, by leaf step id. */
function collectOutputs(nodes: PlanNode[], state: RunState): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  const outputNodes = nodes.filter((n): n is InlineNode => n.kind === 'output');
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
