/**
 * What an example on a shared Temporal server removes when it ends (localStack.ts `close()`): the
 * pipelines it saved, then whatever is still running on its own task queue (a run cut short by
 * Ctrl-C or an error), which no worker would serve once the example's worker is gone.
 */
import { NotFoundError, type PipelinesClient } from '../../src';

export interface Leftovers {
  client: PipelinesClient;
  /** Names the example saved pipelines under (or may have). */
  pipelineNames: Iterable<string>;
  /** A pipeline created before this time was there before the example: it is kept. */
  startedAt: number;
  /** The task queue only this example used; unset when it shares one. */
  ownTaskQueue?: string;
  log: (line: string) => void;
}

export async function leaveNothingBehind(leftovers: Leftovers): Promise<void> {
  const { client, log } = leftovers;
  for (const name of leftovers.pipelineNames) {
    const info = await client.pipelines.get(name).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    if (!info) continue;
    if (Date.parse(info.createdAt) < leftovers.startedAt) {
      log(`Kept pipeline ${name}: it was saved before this example started`);
      continue;
    }
    await client.pipelines.delete(name);
    log(`Deleted pipeline ${name} (saved by this example)`);
  }
  if (!leftovers.ownTaskQueue) return;
  const query = `TaskQueue = '${leftovers.ownTaskQueue}' AND ExecutionStatus = 'Running'`;
  for await (const execution of client.temporal.workflow.list({ query })) {
    await client.temporal.workflow
      .getHandle(execution.workflowId, execution.runId)
      .terminate('the example that started it ended')
      .catch((err: unknown) => {
        // It ended on its own meanwhile: nothing to do.
        if (!(err instanceof Error && err.name === 'WorkflowNotFoundError')) throw err;
      });
    log(`Terminated ${execution.workflowId}: it was still running when the example ended`);
  }
}
