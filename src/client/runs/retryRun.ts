/**
 * Retrying a run: a new run of the same plan and inputs (optionally with new params), and,
 * `fromFailedStep`, taking the steps that completed in the old run as they are.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defineSearchAttributeKey, type Payload } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import {
  changedParams,
  PipelineValidationError,
  resolveRunParams,
  runBudgetIssues,
  reusableSteps,
} from '../../model';
import { SEARCH_ATTRIBUTES } from '../../protocol';
import { unpackPlan } from '../../model';
import { type ReusedStep, type RunPipelineInput } from '../../protocol';
import { NotFoundError, translateError } from '../errors';
import { queryRunSnapshot } from './runSnapshot';
import { RunHandle } from './runHandle';
import { startRun, type PriorityOption, type StartRunOptions } from './startRun';

export interface RetryOptions {
  /**
   * Params to change; the others keep the old run's values. Merged over them, then resolved and
   * type-checked against the pipeline's declarations again.
   */
  params?: Record<string, unknown>;
  /**
   * Reuse the steps that completed in the old run (their outputs feed the new run as they are)
   * and run the rest: the failed step, whatever it skipped or cancelled, and everything
   * downstream of a step that runs again. With changed params, a step that reads a changed
   * param (`params.x` in a template or expression) runs again too, and so does everything
   * downstream of it. @default false: everything runs again
   */
  fromFailedStep?: boolean;
  /**
   * The retry's budget, field by field over the old run's own `budget` option (which a retry
   * keeps otherwise). A retry's budget starts from zero used: the old run's tokens, and those of
   * the steps it reuses, are not counted again. Raise it to retry a run that failed with
   * `BudgetExceededError`.
   */
  budget?: StartRunOptions['budget'];
}

export interface RetryRunOptions extends RetryOptions {
  /** @default `<old id>-retry-<8 hex>` (an earlier `-retry-…` suffix is replaced, not stacked) */
  workflowId?: string;
  /** @default the old run's task queue */
  taskQueue?: string;
}

/** What the old run's start event tells a retry besides its input. */
interface OldRun {
  input: RunPipelineInput;
  runId: string;
  taskQueue: string;
  tags?: string[];
  timeoutMs?: number;
  priority?: PriorityOption;
  fairnessKey?: string;
  fairnessWeight?: number;
}

const RETRY_SUFFIX = /-retry-[0-9a-f]{8}$/;

/** A new workflow id for a retry of `executionId`: `<id>-retry-<8 hex>`. */
export function retryWorkflowId(executionId: string): string {
  return `${executionId.replace(RETRY_SUFFIX, '')}-retry-${randomBytes(4).toString('hex')}`;
}

async function loadOldRun(temporal: Client, executionId: string): Promise<OldRun> {
  const description = await temporal.workflow.getHandle(executionId).describe();
  if (description.type !== 'runPipeline') {
    throw new NotFoundError(`${executionId} is a ${description.type} workflow, not a pipeline run`);
  }
  const handle = temporal.workflow.getHandle(executionId, description.runId);
  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new NotFoundError(`The history of ${executionId} has no start event`);
  // Decode the way the client encoded it: codecs last-to-first, then the payload converter.
  const { payloadConverter, payloadCodecs } = temporal.options.loadedDataConverter;
  let payloads = (started.input?.payloads ?? []) as Payload[];
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  const first = payloads[0];
  if (first === undefined) throw new NotFoundError(`The run ${executionId} has no input`);
  const input = payloadConverter.fromPayload<RunPipelineInput>(first);
  const tags = description.typedSearchAttributes.get(
    defineSearchAttributeKey(SEARCH_ATTRIBUTES.tags.name, 'KEYWORD_LIST'),
  );
  const priority = description.typedSearchAttributes.get(
    defineSearchAttributeKey(SEARCH_ATTRIBUTES.priority.name, 'INT'),
  );
  const { fairnessKey, fairnessWeight } = description.priority ?? {};
  return {
    input,
    runId: description.runId,
    ...(priority !== undefined &&
      [1, 2, 3, 4, 5].includes(priority) && { priority: priority as PriorityOption }),
    // Temporal keeps the run's fairness key and weight with its priority.
    ...(fairnessKey && { fairnessKey }),
    ...(fairnessKey && fairnessWeight && { fairnessWeight }),
    taskQueue: description.taskQueue,
    tags: tags && tags.length > 0 ? tags : undefined,
    timeoutMs: optionalTsToMs(started.workflowExecutionTimeout) || undefined,
  };
}

async function buildRetryInput(
  temporal: Client,
  executionId: string,
  old: OldRun,
  options: RetryOptions,
): Promise<RunPipelineInput> {
  const plan = unpackPlan(old.input.plan);
  let params = old.input.params;
  if (options.params !== undefined) {
    const resolved = resolveRunParams(plan.params, { ...old.input.params, ...options.params });
    if (!resolved.ok) throw new PipelineValidationError(resolved.issues);
    params = resolved.params;
  }
  const budgetIssues = runBudgetIssues(options.budget);
  if (budgetIssues.length > 0) throw new PipelineValidationError(budgetIssues);
  const budget = { ...old.input.budget };
  if (options.budget?.maxTokens !== undefined) budget.maxTokens = options.budget.maxTokens;
  if (options.budget?.maxCost !== undefined) budget.maxCost = options.budget.maxCost;
  const reuse: Record<string, ReusedStep> = {};
  if (options.fromFailedStep) {
    const snapshot = await queryRunSnapshot(temporal.workflow.getHandle(executionId, old.runId));
    const completed = new Set(
      Object.entries(snapshot.nodes)
        // A step whose output the old run no longer holds (it continued as new) runs again.
        .filter(([, node]) => node.status === 'completed' && !node.outputDropped)
        .map(([id]) => id),
    );
    for (const id of reusableSteps(plan, completed, changedParams(old.input.params, params))) {
      const node = snapshot.nodes[id]!;
      reuse[id] = {
        output: node.output ?? null,
        attempts: node.attempts,
        ...(node.usage && { usage: node.usage }),
      };
    }
  }
  const { carried: _carried, budget: _budget, ...firstInput } = old.input;
  return {
    ...firstInput,
    ...(Object.keys(budget).length > 0 && { budget }),
    params,
    traceId: randomBytes(16).toString('hex'),
    resume: { retryOf: executionId, reuse },
  };
}

/**
 * The input of a retry of run `executionId`: the old run's plan (the same pipeline version),
 * inputs, callbacks and limits, read from its history's start event; `params` merged over the
 * old ones and checked again; with `fromFailedStep`, the old run's completed steps to reuse
 * (read from its final `status` snapshot — for a closed run a worker replays it to answer).
 *
 * Reuse rule: a step completed in the old run is reused unless it depends (directly or
 * transitively) on a step that runs again, or reads (directly) a param whose value changed; so
 * with changed params nothing that references a changed `params.*`, or sits downstream of a
 * step that does, is reused. Steps the old run skipped are evaluated again.
 *
 * @throws NotFoundError when there is no such run, or it is not a pipeline run.
 * @throws PipelineValidationError when the merged params do not fit the pipeline's declarations.
 */
export async function prepareRetry(
  temporal: Client,
  executionId: string,
  options: RetryOptions = {},
): Promise<RunPipelineInput> {
  try {
    return await buildRetryInput(temporal, executionId, await loadOldRun(temporal, executionId), options);
  } catch (err) {
    throw translateError(err, executionId);
  }
}

/**
 * Retries run `executionId` (see {@link prepareRetry}) as a new run with workflow id
 * `<old id>-retry-<8 hex>`, on the old run's task queue, with its tags, priority, fairness key and weight, and time limit. The new
 * run's snapshot has `retryOf` and its memo `retryOf` (see `describe().memo`).
 *
 * @example
 * const retry = await retryRun(client.temporal, 'support-triage-4711', { fromFailedStep: true });
 * await retry.result();
 */
export async function retryRun(
  temporal: Client,
  executionId: string,
  options: RetryRunOptions = {},
): Promise<RunHandle> {
  try {
    const old = await loadOldRun(temporal, executionId);
    const input = await buildRetryInput(temporal, executionId, old, options);
    const startOptions: StartRunOptions = {
      taskQueue: options.taskQueue ?? old.taskQueue,
      workflowId: options.workflowId ?? retryWorkflowId(executionId),
      pipelineVersion: input.pipelineVersion,
      ...(old.tags && { tags: old.tags }),
      ...(old.timeoutMs !== undefined && { timeout: old.timeoutMs }),
      ...(old.priority !== undefined && { priority: old.priority }),
      ...(old.fairnessKey !== undefined && { fairnessKey: old.fairnessKey }),
      ...(old.fairnessWeight !== undefined && { fairnessWeight: old.fairnessWeight }),
    };
    const started = await startRun(temporal, input, startOptions);
    return new RunHandle(started.workflow, started.traceId);
  } catch (err) {
    throw translateError(err, executionId);
  }
}
