/**
 * The end-of-run callback, workflow side: once the run's outcome is recorded, POST it (through
 * the `pipelineCallback` activity) to `callbacks.onComplete` or `callbacks.onFailure`. Delivery
 * never changes the run's status or result: a failed callback is recorded in the snapshot
 * (`callback`) and the run's log.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  proxyActivities,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import {
  DEFAULT_CALLBACK_MAX_ATTEMPTS,
  PIPELINE_CALLBACK_ACTIVITY,
  type PipelineCallbackReport,
  type PipelineCallbackInput,
  type PipelineCallbackResult,
} from '../../protocol';
import type { RunPipelineInput } from '../../protocol';
import type { RunState } from './runState';

type CallbackActivities = Record<
  typeof PIPELINE_CALLBACK_ACTIVITY,
  (input: PipelineCallbackInput) => Promise<PipelineCallbackResult>
>;

/** `https://host/path` of a URL, for messages (its query may carry a token). */
function origin(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^?#]*)/i.exec(url);
  return match ? `${match[1]}${match[2]}` : url;
}

/**
 * Sends the run's callback, if it has one for how it ended. Call it after `state.end(…)`.
 * Runs in a non-cancellable scope (a cancelled run reports too, and a cancel request arriving
 * during delivery does not interrupt it); never throws.
 *
 * @param log writes the run's log (an `error` record when delivery fails for good).
 */
export async function sendRunCallback(
  input: RunPipelineInput,
  state: RunState,
  log: (level: 'info' | 'error', message: string) => void,
): Promise<void> {
  const snapshot = state.snapshot;
  const status = snapshot.status;
  if (status === 'running' || status === 'pending') return;
  const url = status === 'completed' ? input.callbacks?.onComplete : input.callbacks?.onFailure;
  if (url === undefined) return;

  const body: PipelineCallbackReport = {
    executionId: workflowInfo().workflowId,
    pipelineId: input.plan.name,
    pipelineVersion: input.pipelineVersion ?? input.plan.definitionHash.slice(0, 12),
    status,
    ...(status !== 'cancelled' && snapshot.outputs !== undefined && { outputs: snapshot.outputs }),
    ...(status === 'failed' &&
      snapshot.error && {
        error: {
          message: snapshot.error.message,
          stepId: snapshot.error.nodeId,
          attempts: snapshot.error.attempts,
        },
      }),
    completedAt: snapshot.completedAt ?? new Date(Date.now()).toISOString(),
    ...(input.resume && { retryOf: input.resume.retryOf }),
  };
  const maximumAttempts = input.callbacks?.maxAttempts ?? DEFAULT_CALLBACK_MAX_ATTEMPTS;
  const activities = proxyActivities<CallbackActivities>({
    taskQueue: input.activityTaskQueue,
    startToCloseTimeout: '30s',
    summary: `callback · ${status}`,
    retry: {
      maximumAttempts,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10s',
      nonRetryableErrorTypes: ['BadRequest', 'Unauthorized', 'NodeConfigError'],
    },
  });

  state.setCallback({ url, status: 'pending', attempts: 0 });
  try {
    const result = await CancellationScope.nonCancellable(() =>
      activities[PIPELINE_CALLBACK_ACTIVITY]({ url, body, traceId: input.traceId }),
    );
    state.setCallback({ url, status: 'delivered', attempts: result.attempt });
    log('info', `callback delivered to ${origin(url)} (HTTP ${result.status}, attempt ${result.attempt})`);
  } catch (err) {
    const { attempts, message } = describeFailure(err, maximumAttempts);
    state.setCallback({ url, status: 'failed', attempts, error: message });
    log('error', `callback to ${origin(url)} failed after ${attempts} attempt(s): ${message}`);
  }
}

function describeFailure(err: unknown, maximumAttempts: number): { attempts: number; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  let attempts =
    err instanceof ActivityFailure && err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? maximumAttempts : 1;
  if (cause instanceof ApplicationFailure) {
    const details: unknown = cause.details?.[0];
    if (
      details &&
      typeof details === 'object' &&
      typeof (details as { attempt?: unknown }).attempt === 'number'
    )
      attempts = (details as { attempt: number }).attempt;
    return { attempts, message: cause.message };
  }
  if (cause instanceof TimeoutFailure) return { attempts, message: `timed out (${cause.timeoutType})` };
  return { attempts, message: cause instanceof Error ? cause.message : String(cause) };
}
