/**
 * The activities behind concurrency limits: a run asks its key's limiter for a slot (starting the
 * limiter if it is not running), and the limiter asks which of its holders have ended.
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  ACQUIRE_SLOT_UPDATE,
  type AcquireSlotResult,
  CLOSED_RUNS_ACTIVITY,
  CONCURRENCY_LIMITER_WORKFLOW,
  concurrencyLimiterId,
  REQUEST_SLOT_ACTIVITY,
  type SlotRequest,
} from '../../model';

export interface RequestSlotInput {
  key: string;
  /** The limiter runs on the run's task queue. */
  taskQueue: string;
  request: SlotRequest;
}

/** How many holders are described at once. */
const DESCRIBE_CONCURRENCY = 10;

export interface ConcurrencyActivities {
  [REQUEST_SLOT_ACTIVITY]: (input: RequestSlotInput) => Promise<AcquireSlotResult>;
  [CLOSED_RUNS_ACTIVITY]: (workflowIds: string[]) => Promise<string[]>;
}

export function createConcurrencyActivities(): ConcurrencyActivities {
  return {
    async [REQUEST_SLOT_ACTIVITY]({ key, taskQueue, request }) {
      return Context.current().client.workflow.executeUpdateWithStart<
        (input: { key: string }) => Promise<void>,
        AcquireSlotResult,
        [typeof request]
      >(ACQUIRE_SLOT_UPDATE, {
        args: [request],
        startWorkflowOperation: new WithStartWorkflowOperation(CONCURRENCY_LIMITER_WORKFLOW, {
          workflowId: concurrencyLimiterId(key),
          taskQueue,
          args: [{ key }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `concurrency limiter · ${key}`,
        }),
      });
    },

    /** The runs among `workflowIds` that are no longer running (or do not exist). */
    async [CLOSED_RUNS_ACTIVITY](workflowIds) {
      const client = Context.current().client;
      const closed: string[] = [];
      const queue = [...workflowIds];
      const next = async (): Promise<void> => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          try {
            const { status } = await client.workflow.getHandle(id).describe();
            if (status.name !== 'RUNNING') closed.push(id);
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) closed.push(id);
            else throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: DESCRIBE_CONCURRENCY }, next));
      return closed;
    },
  };
}
