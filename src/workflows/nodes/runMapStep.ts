/**
 * Runs a `map` step from the run: checks the rendered list, then hands it to a child `runMap`
 * workflow (id `<run id>/<step id>`), which runs the items and continues as new through long
 * lists. The run's own history grows by a handful of events whatever the list's length.
 * Cancelling the run cancels the map (and its items) and waits for their cleanup; the run's close
 * terminates it.
 */
import {
  ApplicationFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  TerminatedFailure,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { StepScope } from '../../model';
import {
  MAP_ERRORS,
  MAX_MAP_ITEMS,
  mapExecutionId,
  type MapOutput,
  type OnItemFailure,
  type RunMapInput,
  type RunMapResult,
} from '../../model';
import type { MapNode } from '../../model';
import { asRecord } from '../../model';
import type { NodeRunEnv, StepOutcome } from './types';
import { RECORDED_RUN_DEFAULTS } from '../run/replayRules';

const failed = (code: string, message: string): StepOutcome => ({
  status: 'failed',
  attempts: 1,
  error: { code, message },
});

/** Runs a `map` step with its rendered params (`items` rendered; the per-item parts as written). */
export async function runMapNode(
  node: MapNode,
  params: Record<string, unknown>,
  env: NodeRunEnv,
): Promise<StepOutcome> {
  const items = params.items;
  if (!Array.isArray(items)) {
    const got = items === null ? 'null' : typeof items;
    return failed(MAP_ERRORS.notAList, `Step ${node.id}: items must be a list, got ${got}.`);
  }
  if (items.length > MAX_MAP_ITEMS) {
    return failed(
      MAP_ERRORS.tooManyItems,
      `Step ${node.id}: items has ${items.length} elements; a map step takes at most ${MAX_MAP_ITEMS}.`,
    );
  }
  const parentId = workflowInfo().workflowId;
  const executionId = mapExecutionId(parentId, node.id);
  // The per-item templates read only steps the map depends on (the compiler made them dependencies).
  const scope = env.scope.build();
  const steps: Record<string, StepScope> = {};
  for (const id of node.dependsOn) {
    const step = scope.steps[id];
    if (step) steps[id] = step;
  }
  const input: RunMapInput = {
    stepId: node.id,
    items,
    offset: 0,
    total: items.length,
    concurrency:
      typeof params.concurrency === 'number' ? params.concurrency : RECORDED_RUN_DEFAULTS.mapConcurrency,
    onItemFailure: (params.on_item_failure as OnItemFailure | undefined) ?? 'fail',
    ...(typeof params.max_output_bytes === 'number' && { maxOutputBytes: params.max_output_bytes }),
    context: { steps, params: scope.params, inputs: scope.inputs },
    run: env.run,
    ...(env.activityTaskQueue !== undefined && { activityTaskQueue: env.activityTaskQueue }),
    continueAsNewAfterEvents: env.mapContinueAsNew.afterEvents,
    continueAsNewAfterBytes: env.mapContinueAsNew.afterBytes,
    heartbeatTimeoutMs: env.heartbeatTimeoutMs,
  };
  if (node.item) input.step = node.item;
  else {
    input.pipeline = {
      pipeline: String(params.pipeline),
      ...(typeof params.version === 'number' && { version: params.version }),
      inputs: asRecord(params.inputs),
      params: asRecord(params.params),
    };
  }
  env.mapStarted(node.id, { executionId, total: items.length });
  const what = node.item
    ? node.item.kind === 'action'
      ? node.item.action
      : node.item.kind
    : input.pipeline!.pipeline;
  try {
    const result = await executeChild<(input: RunMapInput) => Promise<RunMapResult>>('runMap', {
      workflowId: executionId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.TERMINATE,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      staticSummary: `map ${node.id} of ${parentId}: ${what} × ${items.length}`,
      memo: { parentExecutionId: parentId, stepId: node.id },
    });
    const output: MapOutput = {
      results: result.results,
      errors: result.errors,
      droppedErrors: result.droppedErrors ?? 0,
      executionId,
    };
    return { status: 'completed', output, attempts: 1, ...(result.usage && { usage: result.usage }) };
  } catch (err) {
    if (isCancellation(err)) return { status: 'cancelled' };
    const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure) {
      return failed(cause.type ?? MAP_ERRORS.itemFailed, cause.message);
    }
    if (cause instanceof TerminatedFailure) {
      return failed(MAP_ERRORS.mapFailed, `map workflow ${executionId} was terminated`);
    }
    if (cause instanceof TimeoutFailure) {
      return failed(MAP_ERRORS.mapFailed, `map workflow ${executionId} timed out`);
    }
    return failed(MAP_ERRORS.mapFailed, (cause as Error | undefined)?.message ?? String(err));
  }
}
