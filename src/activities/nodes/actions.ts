/**
 * Users' actions as activities: the rendered params are validated with the action's own zod
 * schema, `run` gets an `ActionContext` built from the activity context, and what it throws is
 * classified: an `ApplicationFailure` passes through as is (the user decided), anything else is
 * a retryable `ActionFailed` with the original error as cause. Either way the wrapper redacts the
 * secrets the action was given from what it returns, throws and logs.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActionContext, ActionDefinition } from '../../model';
import { NodeActivityError, isErrorLike } from './nodeFailures';
import { wrapNodeActivity, type NodeActivity, type SecretResolver } from './wrapNodeActivity';
import { parseParams } from './params';

/**
 * The activity function for one action (register it under `action.name`).
 * Invalid params fail with `InvalidActionParams` (non-retryable), listing the zod issues.
 */
export function createActionActivity(
  action: ActionDefinition,
  options: { secrets?: SecretResolver; heartbeatIntervalMs?: number; maxOutputBytes?: number } = {},
): NodeActivity {
  return wrapNodeActivity(
    async (input, ctx) => {
      const params = parseParams(
        `action "${action.name}"`,
        action.params,
        input.params,
        'InvalidActionParams',
      );
      const actionCtx: ActionContext = {
        nodeId: ctx.nodeId,
        attempt: ctx.attempt,
        taskId: ctx.taskId,
        traceId: ctx.traceId,
        signal: ctx.signal,
        heartbeat: (details?: unknown) => ctx.heartbeat(details),
        log: ctx.log,
      };
      try {
        return { output: await action.run(params, actionCtx) };
      } catch (err) {
        // Cancellation is the wrapper's business; a user's ApplicationFailure is final as thrown.
        if (ctx.signal.aborted || err instanceof ApplicationFailure) throw err;
        const reason = isErrorLike(err) ? err.message : String(err);
        throw new NodeActivityError('ActionFailed', `action "${action.name}" failed: ${reason}`, {
          cause: err,
        });
      }
    },
    {
      secrets: options.secrets,
      fallbackCode: 'ActionFailed',
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      maxOutputBytes: options.maxOutputBytes,
    },
  );
}
