/**
 * The client's side of concurrency limits: reserving a run's slot before it starts
 * (`onLimit: 'reject'`), and giving back the slot of a run it terminates (a terminated run runs no
 * more code; without this its limiter would find it ended at its next check of holders).
 */
import {
  WithStartWorkflowOperation,
  type Client,
  type WorkflowClient,
  type WorkflowHandle,
} from '@temporalio/client';
import { CONCURRENCY_LIMITER_WORKFLOW, concurrencyLimiterId, type RunConcurrency } from '../../model';
import { releaseSlotSignal, reserveSlotUpdate } from '../../protocol';
import type { concurrencyLimiter } from '../../workflows';
import { RateLimitError } from '../errors';
import { ENGINE_CONCURRENCY_LIMIT } from './rateLimitRetry';

/**
 * Reserves a slot of the run's key for `workflowId`, starting the key's limiter if needed.
 * @throws RateLimitError (reason `CONCURRENCY_LIMIT`, with `retryAfterMs`) when the key is at its limit.
 */
export async function reserveSlot(
  client: Client,
  concurrency: RunConcurrency,
  workflowId: string,
  taskQueue: string,
): Promise<void> {
  const result = await client.workflow.executeUpdateWithStart(reserveSlotUpdate, {
    args: [{ holder: workflowId, limit: concurrency.limit }],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof concurrencyLimiter>(
      CONCURRENCY_LIMITER_WORKFLOW,
      {
        workflowId: concurrencyLimiterId(concurrency.key),
        taskQueue,
        args: [{ key: concurrency.key }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `concurrency limiter · ${concurrency.key}`,
      },
    ),
  });
  if (!result.granted) {
    throw new RateLimitError(
      `Concurrency key '${concurrency.key}' is at its limit of ${concurrency.limit} running run(s); try again in about ${Math.ceil(result.retryAfterMs / 1000)} s.`,
      result.retryAfterMs,
      { reason: ENGINE_CONCURRENCY_LIMIT, scope: concurrency.key },
    );
  }
}

/** Gives back a slot reserved for a run that did not start. */
export async function releaseReservedSlot(
  client: Client,
  concurrency: RunConcurrency,
  workflowId: string,
): Promise<void> {
  await releaseSlot(client.workflow, concurrency.key, workflowId).catch(() => undefined);
}

/** Tells the key's limiter that the run `workflowId` no longer holds (or waits for) a slot. */
async function releaseSlot(workflows: WorkflowClient, key: string, workflowId: string): Promise<void> {
  await workflows.getHandle(concurrencyLimiterId(key)).signal(releaseSlotSignal, { holder: workflowId });
}

/**
 * After a terminate: gives back the run's slot, if it had a concurrency key (its memo says).
 * Best effort: the limiter also finds ended runs itself.
 */
export async function releaseSlotOfTerminatedRun(run: WorkflowHandle): Promise<void> {
  try {
    const { memo } = await run.describe();
    const key = memo?.concurrencyKey;
    if (typeof key === 'string') await releaseSlot(run.client, key, run.workflowId);
  } catch {
    // The limiter's own check of its holders frees the slot.
  }
}
