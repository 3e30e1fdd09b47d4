/**
 * `runMap`: the workflow behind a `map` step. It runs the per-item step (as an activity, or
 * inline for a transform) or the saved pipeline (as a child run) for each item, at most
 * `concurrency` at a time, and returns the outputs in the items' order.
 *
 * Long lists: every item costs this history a few events (an activity about 3, a child run about
 * 6, plus the workflow tasks that wake it). Past `continueAsNewAfterEvents` (or `…Bytes` of history)
 * it stops starting items, lets the ones in flight finish, and continues as new with the outputs
 * so far and the items not yet started, so no history grows near Temporal's limits whatever the
 * list's length. The outputs and errors are weighed as they arrive (mapResult.ts), so neither the
 * result nor a continuation's carry-over passes `max_output_bytes`.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { addUsd } from '../../model';
import { formatBytes, MAX_INLINE_PAYLOAD_BYTES } from '../../model';
import {
  MAP_ERRORS,
  mapItemExecutionId,
  mapItemNodeId,
  mapItemScope,
  type MapCarryOver,
  type MapItemError,
  type RunMapInput,
  type RunMapResult,
} from '../../model';
import type { TokenUsage } from '../../model';
import { resolveRunInputs, resolveRunParams } from '../../model';
import type { ExecutionPlan } from '../../model';
import { unpackPlan } from '../../model';
import { formatPipelineIssues, SUB_PIPELINE_ERRORS, type ChildRun } from '../../protocol';
import { renderValue } from '../../model';
import { mapProgressQuery } from '../../protocol';
import { attemptEventSignal, streamDeltasSignal } from '../../protocol';
import { runStep } from '../nodes/runNode';
import type { StepOutcome, StepRunEnv } from '../nodes/types';
import { childRunFailed, executeChildRun, resolveSavedPipelineActivity } from '../nodes/runSubPipeline';
import { asRunFailure, stepErrorCode } from '../run/failures';
import { TaskWorkBudget } from '../run/workBudget';
import { boundedItemError, MapResult } from './mapResult';
import { RECORDED_RUN_DEFAULTS } from '../run/replayRules';

/** The map workflow; an error of the engine's own code fails it (see failures.ts), never its task. */
export async function runMap(input: RunMapInput): Promise<RunMapResult> {
  try {
    return await mapItems(input);
  } catch (err) {
    throw asRunFailure(err, `map step '${input.stepId}'`);
  }
}

async function mapItems(input: RunMapInput): Promise<RunMapResult> {
  const carried = input.carried;
  const maxOutputBytes = input.maxOutputBytes ?? MAX_INLINE_PAYLOAD_BYTES;
  const mapResult = new MapResult(maxOutputBytes, carried);
  let usage: TokenUsage | undefined = carried?.usage;
  /** The result passed `maxOutputBytes`: the map fails (items in flight are cancelled). */
  let tooLarge: string | undefined;
  const continuations = carried?.continuations ?? 0;
  /** Items of `input.items` started so far (by this history). */
  let started = 0;
  let running = 0;
  let retries = 0;
  let changes = 0;
  /** The first item that failed for good under `on_item_failure: 'fail'`. */
  let failure: MapItemError | undefined;

  setHandler(mapProgressQuery, () => ({
    total: input.total,
    settled: input.offset + started - running,
    failed: mapResult.failed + (failure ? 1 : 0),
    running,
    retries,
    continuations,
  }));
  // Item activities report their retries to the workflow that scheduled them: this one.
  setHandler(attemptEventSignal, (event) => {
    if (event.kind === 'failed') retries++;
  });
  // A map's items do not stream (the compiler refuses `stream: true` in a map's item step).
  setHandler(streamDeltasSignal, () => undefined);

  let resolved = carried?.resolved;
  if (input.pipeline && !resolved) {
    const { pipeline, version } = input.pipeline;
    try {
      const found = await resolveSavedPipelineActivity(
        input.stepId,
        input.activityTaskQueue,
        pipeline,
      )({
        pipeline,
        ...(version !== undefined && { version }),
        inputs: {},
        params: {},
        planOnly: true,
      });
      resolved = { version: found.version, plan: found.plan };
    } catch (err) {
      if (isCancellation(err)) throw err;
      const cause = err instanceof ActivityFailure ? err.cause : err;
      throw ApplicationFailure.create({
        type: cause instanceof ApplicationFailure && cause.type ? cause.type : SUB_PIPELINE_ERRORS.notFound,
        message: (cause as Error | undefined)?.message ?? String(err),
        nonRetryable: true,
      });
    }
  }
  const childPlan: ExecutionPlan | undefined = resolved && unpackPlan(resolved.plan);

  const stepEnv = (index: number, item: unknown): StepRunEnv => {
    const scope = mapItemScope(input.context, item, index);
    return {
      scope: { build: () => scope },
      inputs: input.context.inputs,
      run: input.run,
      ...(input.activityTaskQueue !== undefined && { activityTaskQueue: input.activityTaskQueue }),
      log: (level, message) => log[level](message, { stepId: input.stepId, index }),
      heartbeatTimeoutMs: input.heartbeatTimeoutMs ?? RECORDED_RUN_DEFAULTS.heartbeatTimeoutMs,
    };
  };

  /** Runs one item of a map with `pipeline`: its mapping rendered and checked, then a child run. */
  const runChildItem = async (index: number, item: unknown): Promise<StepOutcome> => {
    const mapping = input.pipeline!;
    const scope = mapItemScope(input.context, item, index);
    let inputs: Record<string, unknown>;
    let params: Record<string, unknown>;
    try {
      inputs = renderValue(mapping.inputs, scope) as Record<string, unknown>;
      params = renderValue(mapping.params, scope) as Record<string, unknown>;
    } catch (err) {
      return {
        status: 'failed',
        attempts: 1,
        error: { code: stepErrorCode(err, 'TemplateError'), message: (err as Error).message },
      };
    }
    const checkedParams = resolveRunParams(childPlan!.params, params);
    const checkedInputs = resolveRunInputs(childPlan!, inputs);
    if (!checkedParams.ok || !checkedInputs.ok) {
      const issues = [
        ...(checkedParams.ok ? [] : checkedParams.issues),
        ...(checkedInputs.ok ? [] : checkedInputs.issues),
      ];
      return {
        status: 'failed',
        attempts: 1,
        error: {
          code: SUB_PIPELINE_ERRORS.invalidInputs,
          message: `Saved pipeline '${mapping.pipeline}' version ${resolved!.version} refuses item ${index}'s mapping: ${formatPipelineIssues(issues)}`,
        },
      };
    }
    const child: ChildRun = {
      executionId: mapItemExecutionId(workflowInfo().workflowId, index),
      pipeline: mapping.pipeline,
      version: resolved!.version,
    };
    try {
      const result = await executeChildRun({
        executionId: child.executionId,
        resolved: {
          plan: resolved!.plan,
          version: resolved!.version,
          inputs: checkedInputs.inputs,
          params: checkedParams.params,
        },
        traceId: input.run.traceId,
        activityTaskQueue: input.activityTaskQueue,
        summary: `${childPlan!.name} · ${resolved!.version} (item ${index} of map ${input.stepId})`,
      });
      return { status: 'completed', output: result.outputs, attempts: 1 };
    } catch (err) {
      return childRunFailed(child, err);
    }
  };

  const runItem = (index: number, item: unknown): Promise<StepOutcome> =>
    input.step
      ? runStep({ ...input.step, id: mapItemNodeId(input.stepId, index) }, stepEnv(index, item))
      : runChildItem(index, item);

  // Items run in a scope of their own, so a failed item can cancel the others without cancelling the map.
  const itemsScope = new CancellationScope();
  const inFlight = new Set<Promise<void>>();
  const settle = (index: number, outcome: StepOutcome) => {
    running--;
    changes++;
    if (outcome.status === 'completed') {
      mapResult.addOutput(index, outcome.output);
      if ('usage' in outcome && outcome.usage) usage = addUsage(usage, outcome.usage);
    } else if (outcome.status === 'cancelled') mapResult.addNone(index);
    else {
      const error: MapItemError = { index, message: outcome.error.message, attempts: outcome.attempts };
      if (outcome.error.code !== undefined) error.code = outcome.error.code;
      if (input.onItemFailure === 'continue') mapResult.addFailure(error);
      else {
        mapResult.addNone(index);
        if (!failure) {
          failure = boundedItemError(error);
          itemsScope.cancel();
        }
      }
    }
    if (mapResult.tooLarge && tooLarge === undefined) {
      tooLarge =
        `the items' outputs${mapResult.errors.length > 0 ? ' and errors' : ''} add up to ` +
        `${formatBytes(mapResult.bytes)} by item ${index}, over the step's max_output_bytes ` +
        `(${maxOutputBytes} bytes): a map's results travel in one Temporal payload. Return less per ` +
        'item, or raise max_output_bytes when the worker and client use the claim check.';
      itemsScope.cancel();
    }
  };

  let draining = false;
  const threshold = input.continueAsNewAfterEvents ?? RECORDED_RUN_DEFAULTS.mapContinueAsNewAfterEvents;
  const thresholdBytes = input.continueAsNewAfterBytes ?? RECORDED_RUN_DEFAULTS.mapContinueAsNewAfterBytes;
  const historyIsLong = () => {
    const info = workflowInfo();
    return info.historyLength >= threshold || info.historySize >= thresholdBytes;
  };
  let shown = '';
  const showProgress = () => {
    const settled = input.offset + started - running;
    const details =
      `${settled} of ${input.total} items settled · ${running} running` +
      (mapResult.failed > 0 ? ` · ${mapResult.failed} failed` : '') +
      (continuations > 0 ? ` · continuation ${continuations}` : '');
    if (details !== shown) setCurrentDetails((shown = details));
  };

  const taskWork = new TaskWorkBudget();
  /** An error the engine's own code threw while settling an item: the loop fails the map with it. */
  let engineError: Error | undefined;
  const failIfBroken = (): void => {
    if (engineError) throw engineError;
  };
  try {
    for (;;) {
      failIfBroken();
      if (!draining && started > 0 && historyIsLong()) draining = true;
      while (
        !failure &&
        tooLarge === undefined &&
        !draining &&
        running < input.concurrency &&
        started < input.items.length &&
        !taskWork.spent()
      ) {
        const position = started++;
        const index = input.offset + position;
        running++;
        const work = itemsScope
          .run(() => runItem(index, input.items[position]))
          .then(
            (outcome) => settle(index, outcome),
            (err: unknown) => {
              if (!isCancellation(err)) throw err;
              settle(index, { status: 'cancelled' });
            },
          )
          // Nothing awaits `work`: a rejection would fail the workflow task on every retry.
          .catch((err: unknown) => {
            engineError ??= err instanceof Error ? err : new Error(String(err));
            changes++;
          })
          .finally(() => inFlight.delete(work));
        inFlight.add(work);
      }
      showProgress();
      failIfBroken();
      if (taskWork.spent() && started < input.items.length) {
        // Enough inline work for one workflow task: the rest goes on in the next one.
        await taskWork.yield();
        continue;
      }
      if (running === 0) break;
      const seen = changes;
      await condition(() => changes !== seen);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The map was cancelled (its run was): the items in flight were asked to stop; wait for them.
    await CancellationScope.nonCancellable(() => Promise.allSettled([...inFlight]));
    throw err;
  }

  if (tooLarge !== undefined) {
    throw ApplicationFailure.create({
      type: MAP_ERRORS.outputTooLarge,
      message: tooLarge,
      nonRetryable: true,
    });
  }
  if (failure) {
    throw ApplicationFailure.create({
      type: MAP_ERRORS.itemFailed,
      message: `item ${failure.index} of ${input.total} failed${failure.attempts > 1 ? ` after ${failure.attempts} attempts` : ''}: ${failure.message}`,
      nonRetryable: true,
      details: [failure],
    });
  }
  if (started < input.items.length) {
    const next: MapCarryOver = { ...mapResult.state(), continuations: continuations + 1 };
    if (usage) next.usage = usage;
    if (resolved) next.resolved = resolved;
    log.info('continuing as new', {
      historyLength: workflowInfo().historyLength,
      next: input.offset + started,
    });
    await continueAsNew<typeof runMap>({
      ...input,
      items: input.items.slice(started),
      offset: input.offset + started,
      carried: next,
    });
  }
  const { results, errors, droppedErrors } = mapResult.state();
  return { results, errors, droppedErrors, ...(usage && { usage }) };
}

function addUsage(total: TokenUsage | undefined, usage: TokenUsage): TokenUsage {
  const sum: TokenUsage = {
    promptTokens: (total?.promptTokens ?? 0) + usage.promptTokens,
    completionTokens: (total?.completionTokens ?? 0) + usage.completionTokens,
    totalTokens: (total?.totalTokens ?? 0) + usage.totalTokens,
  };
  const cost =
    total?.costUsd === undefined
      ? usage.costUsd
      : usage.costUsd === undefined
        ? total.costUsd
        : addUsd(total.costUsd, usage.costUsd);
  if (cost !== undefined) sum.costUsd = cost;
  return sum;
}
