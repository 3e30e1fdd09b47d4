/**
 * Sending an event to a run's waiting `wait_for_event` step: the `sendEvent` update. The run's
 * validator refuses what it cannot take (nothing enters its history then); the refusal comes back
 * as an {@link EventRejectedError}.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  EVENT_REJECTED,
  sendEventUpdate,
  type EventRejection,
  type SendEventRequest,
  type SendEventResult,
} from '../../protocol';
import { EventRejectedError, translateError } from '../errors';

export type { SendEventRequest, SendEventResult };

/**
 * Sends `request` to the run behind `handle` and resolves once the run accepted it.
 * @throws EventRejectedError when the run refused it (or has ended); NotFoundError when there is no such run.
 */
export async function sendRunEvent(
  handle: WorkflowHandle,
  request: SendEventRequest,
): Promise<SendEventResult> {
  const executionId = handle.workflowId;
  try {
    return await handle.executeUpdate(sendEventUpdate, { args: [request] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const failure = err.cause;
      if (failure.type === EVENT_REJECTED) {
        const details = (failure.details?.[0] ?? {}) as Partial<EventRejection>;
        throw new EventRejectedError(
          executionId,
          request.node,
          details.reason ?? 'invalid_payload',
          failure.message,
          details.issues ?? [],
          { cause: err },
        );
      }
    }
    if (err instanceof WorkflowNotFoundError) {
      // An update to a run that has ended reaches no workflow: say so if the run exists.
      const closed = await handle.describe().then(
        (d) => d.status.name !== 'RUNNING',
        () => false,
      );
      if (closed) {
        throw new EventRejectedError(executionId, request.node, 'run_closed', 'the run has ended.', [], {
          cause: err,
        });
      }
    }
    throw translateError(err, executionId);
  }
}
