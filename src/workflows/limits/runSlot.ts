/**
 * A run's side of a concurrency limit: before its first step it asks its key's limiter for a
 * slot and waits, `pending`, until it has one; when it ends it gives the slot back. A run that
 * continues as new keeps its slot.
 */
import {
  condition,
  getExternalWorkflowHandle,
  log,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  concurrencyLimiterId,
  REQUEST_SLOT_ACTIVITY,
  type AcquireSlotResult,
  type RunConcurrency,
  type SlotRequest,
} from '../../model';
import { releaseSlotSignal, slotGrantedSignal } from '../../protocol';
import type { RunState } from '../run/runState';

// A local activity: asking costs the run no task-queue round trip, and a free slot is granted
// in the update's answer, within the same workflow task.
const activities = proxyLocalActivities<
  Record<
    typeof REQUEST_SLOT_ACTIVITY,
    (input: { key: string; taskQueue: string; request: SlotRequest }) => Promise<AcquireSlotResult>
  >
>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export class RunSlot {
  private granted = false;

  constructor(private readonly concurrency: RunConcurrency) {
    setHandler(slotGrantedSignal, () => {
      this.granted = true;
    });
  }

  /** Asks for the slot and waits for it. A cancellation while waiting throws `CancelledFailure`. */
  async acquire(state: RunState): Promise<void> {
    const { key, limit } = this.concurrency;
    const info = workflowInfo();
    state.waitForSlot(key);
    setCurrentDetails(`pending · waiting for a slot of concurrency key ${key} (limit ${limit})`);
    const answer = await activities[REQUEST_SLOT_ACTIVITY]({
      key,
      taskQueue: info.taskQueue,
      request: {
        holder: info.workflowId,
        limit,
        priority: info.priority?.priorityKey ?? 3,
        arrivalMs: info.startTime.getTime(),
      },
    });
    if (!answer.granted) await condition(() => this.granted);
    state.slotGranted();
  }

  /**
   * Gives the slot back (or stops waiting for one). Awaited: a signal still pending when the run
   * completes is never sent. Never throws: if it fails, the limiter finds the run ended itself.
   */
  async release(): Promise<void> {
    try {
      await getExternalWorkflowHandle(concurrencyLimiterId(this.concurrency.key)).signal(releaseSlotSignal, {
        holder: workflowInfo().workflowId,
      });
    } catch (err) {
      log.warn('could not give the concurrency slot back; the limiter will find the run ended', {
        key: this.concurrency.key,
        err: String(err),
      });
    }
  }
}
