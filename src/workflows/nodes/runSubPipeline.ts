/**
 * Runs a `pipeline` step: an engine activity resolves the saved pipeline's version (and checks the
 * child's inputs and params), then the version runs as a child `runPipeline` workflow on this
 * run's task queue and trace. Cancelling the parent cancels the child and waits for it to finish
 * its cleanup; the parent's close (termination, timeout) terminates the child.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  executeChild,
  TerminatedFailure,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../../protocol';
import type { ChildPipelineNode } from '../../model';
import { asRecord } from '../../model';
import {
  childExecutionId,
  RESOLVE_SAVED_PIPELINE_ACTIVITY,
  SUB_PIPELINE_ERRORS,
  type ChildRun,
  type ResolvedSavedPipeline,
  type ResolveSavedPipelineInput,
  type SubPipelineOutput,
} from '../../protocol';
import type { RunPipelineInput, RunPipelineResult } from '../../protocol';
import type { NodeRunEnv, StepOutcome } from './types';

type Resolve = (input: ResolveSavedPipelineInput) => Promise<ResolvedSavedPipeline>;

/** Runs a `pipeline` step with its rendered params; never rejects except on a bug. */
export async function runSubPipelineNode(
  node: ChildPipelineNode,
  params: Record<string, unknown>,
  env: NodeRunEnv,
): Promise<StepOutcome> {
  const pipeline = String(params.pipeline);
  const resolve = resolveSavedPipelineActivity(node.id, env.activityTaskQueue, pipeline);
  let resolved: ResolvedSavedPipeline;
  try {
    resolved = await resolve({
      pipeline,
      ...(typeof params.version === 'number' && { version: params.version }),
      inputs: asRecord(params.inputs),
      params: asRecord(params.params),
    });
  } catch (err) {
    if (isCancellation(err)) return { status: 'cancelled' };
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const code =
      cause instanceof ApplicationFailure && cause.type ? cause.type : SUB_PIPELINE_ERRORS.notFound;
    return {
      status: 'failed',
      attempts: 1,
      error: { code, message: (cause as Error | undefined)?.message ?? String(err) },
    };
  }

  const child: ChildRun = {
    executionId: childExecutionId(workflowInfo().workflowId, node.id),
    pipeline,
    version: resolved.version,
  };
  env.childStarted(node.id, child);
  try {
    const result = await executeChildRun({
      executionId: child.executionId,
      resolved,
      traceId: env.run.traceId,
      activityTaskQueue: env.activityTaskQueue,
      summary: `${resolved.plan.name} · ${resolved.version} (step ${node.id} of ${workflowInfo().workflowId})`,
    });
    const output: SubPipelineOutput = {
      outputs: result.outputs,
      executionId: child.executionId,
      version: child.version,
    };
    return { status: 'completed', output, attempts: 1 };
  } catch (err) {
    return childRunFailed(child, err);
  }
}

/** The engine activity that resolves a saved pipeline, for step (or map step) `stepId`. */
export function resolveSavedPipelineActivity(
  stepId: string,
  taskQueue: string | undefined,
  pipeline: string,
): Resolve {
  return proxyActivities<Record<string, Resolve>>({
    activityId: stepId,
    taskQueue,
    startToCloseTimeout: 30_000,
    summary: `${stepId} · resolve pipeline ${pipeline}`,
    retry: {
      maximumAttempts: 5,
      nonRetryableErrorTypes: [SUB_PIPELINE_ERRORS.notFound, SUB_PIPELINE_ERRORS.invalidInputs],
    },
  })[RESOLVE_SAVED_PIPELINE_ACTIVITY]!;
}

/** What a child run of a saved pipeline starts with. */
export interface ChildRunStart {
  executionId: string;
  resolved: Pick<ResolvedSavedPipeline, 'plan' | 'version' | 'inputs' | 'params'>;
  traceId: string;
  activityTaskQueue?: string;
  /** The Web UI's summary of the child. */
  summary: string;
}

/**
 * Runs a saved pipeline's version as a child `runPipeline` on this workflow's task queue: it is
 * terminated when this workflow closes, and cancelling the caller's scope cancels it and waits
 * for its cleanup.
 */
export function executeChildRun(start: ChildRunStart): Promise<RunPipelineResult> {
  const { resolved } = start;
  const version = String(resolved.version);
  const input: RunPipelineInput = {
    plan: resolved.plan,
    params: resolved.params,
    inputs: resolved.inputs,
    traceId: start.traceId,
    pipelineVersion: version,
    ...(start.activityTaskQueue !== undefined && { activityTaskQueue: start.activityTaskQueue }),
  };
  return executeChild<(input: RunPipelineInput) => Promise<RunPipelineResult>>('runPipeline', {
    workflowId: start.executionId,
    args: [input],
    parentClosePolicy: ParentClosePolicy.TERMINATE,
    cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    staticSummary: start.summary,
    memo: { params: resolved.params, parentExecutionId: workflowInfo().workflowId },
    typedSearchAttributes: [
      {
        key: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName.name, 'KEYWORD'),
        value: resolved.plan.name,
      },
      {
        key: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineVersion.name, 'KEYWORD'),
        value: version,
      },
    ],
  });
}

/**
 * The outcome of a child run that did not complete (`err`, what awaiting it threw): cancelled when
 * the caller was, else failed with `ChildPipelineFailed` and a sentence naming the child (a
 * sub-pipeline step, a map item).
 */
export function childRunFailed(child: ChildRun, err: unknown): StepOutcome {
  if (isCancellation(err)) return { status: 'cancelled' };
  return {
    status: 'failed',
    attempts: 1,
    error: { code: SUB_PIPELINE_ERRORS.childFailed, message: childFailure(child, err) },
  };
}

/** Why the child did not complete, in a sentence naming it. */
function childFailure(child: ChildRun, err: unknown): string {
  const name = `child pipeline '${child.pipeline}' version ${child.version} (${child.executionId})`;
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  if (cause instanceof TerminatedFailure) return `${name} was terminated`;
  if (cause instanceof TimeoutFailure) return `${name} timed out`;
  return `${name} failed: ${(cause as Error | undefined)?.message ?? String(err)}`;
}
