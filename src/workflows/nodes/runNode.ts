/**
 * Runs one node: pure kinds inline, `delay` as a durable timer, `wait_for_event` as a durable wait
 * for an event (see eventWaits.ts), `pipeline` as a child run (see subPipeline.ts), `map` as a
 * child map workflow (see mapStep.ts), I/O kinds as an activity with the node's own retry policy,
 * timeout and Web UI summary.
 */
import {
  type ActivityOptions,
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  sleep,
  TimeoutFailure,
  log,
} from '@temporalio/workflow';
import type { AttemptFailure } from '../../protocol';
import type { ActionActivities, BuiltinNodeActivities, NodeActivityFn } from '../../protocol';
import type { LlmCallBudget, OutputType } from '../../model';
import type { Duration, ParamType } from '../../model';
import { durationToMs } from '../../model';
import { assertNever } from '../../model';
import { evaluateCondition, evaluateExpression } from '../../model';
import type { NodeActivityInput, NodeFailureDetails } from '../../protocol';
import type { RunLogLevel } from '../../model';
import { typeMismatch, valueMatchesType } from '../../model';
import type { ActivityNode, InlineNode, ItemStepNode, PlanNode, TimerNode } from '../../model';
import { STREAM_STRING_TYPE } from '../../protocol';
import { renderNodeParams } from '../../model';
import type { AttemptReport, NodeRunEnv, StepOutcome, StepRunEnv } from './types';
import type { NodeError } from '../../protocol';
import { stepErrorCode } from '../run/failures';
import { RECORDED_RUN_DEFAULTS } from '../run/replayRules';
import { runMapNode } from './runMapStep';
import { runSubPipelineNode } from './runSubPipeline';


/**
 * Runs an activity or timer node (pure nodes go through {@link runInlineStep}). It never rejects
 * except on a bug: failures and cancellation come back as outcomes. Written with `then` rather
 * than `async`/`await`: every promise a workflow creates costs a stack capture in the SDK's
 * promise hook, and a wide fan-out creates these per node.
 */
export function runNode(node: PlanNode, env: NodeRunEnv, budget?: LlmCallBudget): Promise<StepOutcome> {
  if (node.execution === 'inline') return Promise.resolve(runInlineStep(node, env));
  const rendered = renderParams(node, env);
  if (!('params' in rendered)) return Promise.resolve(rendered.failed);
  switch (node.execution) {
    case 'activity':
      return runActivityNode(node, rendered.params, env, budget);
    case 'child':
      return runSubPipelineNode(node, rendered.params, env);
    case 'map':
      return runMapNode(node, rendered.params, env);
    case 'event':
      return env.events
        .wait(node, rendered.params)
        .catch((err: unknown): StepOutcome =>
          isCancellation(err) ? { status: 'cancelled' } : inlineFailure(err),
        );
    case 'timer':
      return runTimerNode(node, rendered.params).then(
        (output): StepOutcome => ({ status: 'completed', output, attempts: 1 }),
        (err: unknown): StepOutcome => (isCancellation(err) ? { status: 'cancelled' } : inlineFailure(err)),
      );
    default:
      return assertNever(node);
  }
}

/**
 * Runs a pure node (input, output, transform, condition, log) synchronously: no promise, no
 * command. The interpreter settles whole chains of pure steps within one pass this way.
 */
export function runInlineStep(node: InlineNode, env: StepRunEnv): StepOutcome {
  const rendered = renderParams(node, env);
  if (!('params' in rendered)) return rendered.failed;
  try {
    return { status: 'completed', output: runInlineNode(node, rendered.params, env), attempts: 1 };
  } catch (err) {
    return inlineFailure(err);
  }
}

function renderParams(
  node: PlanNode,
  env: StepRunEnv,
): { params: Record<string, unknown> } | { failed: StepOutcome } {
  try {
    return { params: renderNodeParams(node, env.scope.build()) };
  } catch (err) {
    return {
      failed: {
        status: 'failed',
        attempts: 1,
        error: { code: stepErrorCode(err, 'TemplateError'), message: (err as Error).message },
      },
    };
  }
}

function inlineFailure(err: unknown): StepOutcome {
  return {
    status: 'failed',
    attempts: 1,
    error: {
      code: err instanceof InlineNodeError ? err.code : stepErrorCode(err, 'ExpressionError'),
      message: (err as Error).message,
    },
  };
}

/** A pure node's own failure, with the code the run reports. */
class InlineNodeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function runInlineNode(node: InlineNode, params: Record<string, unknown>, env: StepRunEnv): unknown {
  switch (node.kind) {
    case 'input': {
      const name = node.inputName ?? node.id;
      return { value: env.inputs[name] ?? params.default ?? null };
    }
    case 'output': {
      const value = params.value ?? null;
      // A `stream<string>` output holds the streamed text's final value: a string.
      const declared = params.type as OutputType | undefined;
      const type: ParamType | undefined = declared === STREAM_STRING_TYPE ? 'string' : declared;
      if (type !== undefined && !valueMatchesType(value, type)) {
        throw new InlineNodeError(
          'OutputTypeMismatch',
          `Output '${node.outputName ?? node.id}' ${typeMismatch(type, value)}.`,
        );
      }
      return value;
    }
    case 'transform':
      return typeof node.params.expression === 'string'
        ? evaluateExpression(node.params.expression, env.scope.build())
        : (params.value ?? null);
    case 'condition':
      return { result: evaluateCondition(String(node.params.condition), env.scope.build()) };
    case 'log': {
      const level = (params.level as RunLogLevel | undefined) ?? 'info';
      const message = typeof params.message === 'string' ? params.message : JSON.stringify(params.message);
      env.log(level, message, node.id);
      return { message, level };
    }
    default:
      return assertNever(node.kind);
  }
}

async function runTimerNode(node: TimerNode, params: Record<string, unknown>): Promise<unknown> {
  const ms = durationToMs(params.duration as Duration);
  await sleep(ms, { summary: `${node.id} · delay` });
  return { duration_ms: ms };
}

/**
 * Runs an inline or activity step (a map's item step): its params rendered in `env.scope`.
 * Never rejects except on a bug.
 */
export function runStep(node: ItemStepNode, env: StepRunEnv): Promise<StepOutcome> {
  if (node.execution === 'inline') return Promise.resolve(runInlineStep(node, env));
  const rendered = renderParams(node, env);
  if (!('params' in rendered)) return Promise.resolve(rendered.failed);
  return runActivityNode(node, rendered.params, env, undefined);
}

/** `budget`: what an llm step's call may use under the run's and its own budgets (see `checkLlmBudget`). */
function runActivityNode(
  node: ActivityNode,
  params: Record<string, unknown>,
  env: StepRunEnv,
  budget: LlmCallBudget | undefined,
): Promise<StepOutcome> {
  const retry = node.retry;
  const options: ActivityOptions = {
    // The step id, so a client can match `describe()`'s pending activities (attempt, last
    // failure, next attempt time) to steps. A step runs once per run, so it is unique.
    activityId: node.id,
    taskQueue: env.activityTaskQueue,
    startToCloseTimeout: node.timeoutMs ?? RECORDED_RUN_DEFAULTS.startToCloseTimeoutMs,
    heartbeatTimeout: env.heartbeatTimeoutMs,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: `${node.id} · ${node.kind === 'action' ? node.action : node.kind}`,
    retry: retry && {
      maximumAttempts: retry.maximumAttempts,
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalMs,
      nonRetryableErrorTypes: retry.nonRetryableErrorTypes,
    },
  };
  const activity = nodeActivity(node, options);
  const input: NodeActivityInput = { nodeId: node.id, params, run: env.run };
  // Only runs with a budget carry one: the input of every other run is as it always was.
  if (budget) input.budget = budget;
  return activity(input).then(
    (result): StepOutcome => ({
      status: 'completed',
      output: result.output,
      attempts: result.attempt,
      usage: result.usage,
      logs: result.logs,
      droppedLogs: result.droppedLogs,
      metrics: result.metrics,
    }),
    (err: unknown): StepOutcome => {
      if (isCancellation(err)) return { status: 'cancelled' };
      const failure = describeActivityFailure(err, retry?.maximumAttempts ?? 1);
      log.warn('node failed', { nodeId: node.id, ...failure.error, attempts: failure.attempts });
      return { status: 'failed', ...failure };
    },
  );
}

/** The step's activity: its kind's built-in one, or the user action's (named after the action). */
function nodeActivity(node: ActivityNode, options: ActivityOptions): NodeActivityFn {
  if (node.kind !== 'action') return proxyActivities<BuiltinNodeActivities>(options)[node.kind];
  const activity = proxyActivities<ActionActivities>(options)[node.action];
  if (!activity) throw new Error(`no activity proxy for ${node.action}`);
  return activity;
}

/**
 * The cause, code and attempt count of an activity that failed for good, its last attempt's
 * failure (for the run log), and what that attempt reported (only when our error classifier
 * built the failure).
 */
function describeActivityFailure(
  err: unknown,
  maximumAttempts: number,
): { error: NodeError; attempts: number } & AttemptReport {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  let attempts = 1;
  if (err instanceof ActivityFailure && err.retryState === 'MAXIMUM_ATTEMPTS_REACHED')
    attempts = maximumAttempts;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as NodeFailureDetails | undefined;
    const error = { message: cause.message, code: cause.type ?? undefined };
    const failure: AttemptFailure = { message: cause.message };
    if (cause.nonRetryable) failure.nonRetryable = true;
    if (cause.type) failure.code = cause.type;
    if (!details || typeof details !== 'object' || typeof details.attempt !== 'number') {
      return { attempts, error, failure };
    }
    if (typeof details.status === 'number') failure.status = details.status;
    return {
      attempts: details.attempt,
      error,
      failure,
      logs: Array.isArray(details.logs) ? details.logs : undefined,
      droppedLogs: typeof details.droppedLogs === 'number' ? details.droppedLogs : undefined,
      metrics: details.metrics && typeof details.metrics === 'object' ? details.metrics : undefined,
    };
  }
  if (cause instanceof TimeoutFailure) {
    const error = { message: `timed out (${cause.timeoutType})`, code: 'Timeout' };
    return { attempts, error, failure: { ...error } };
  }
  const message = (cause as Error | undefined)?.message ?? String(err);
  return { attempts, error: { message }, failure: { message } };
}

