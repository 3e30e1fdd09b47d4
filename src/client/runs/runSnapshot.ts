/**
 * Reads a run's whole `status` snapshot: one query for runs of up to 1,000 steps, one per
 * 1,000 steps beyond that (the workflow answers big runs a page at a time, to keep each answer
 * under Temporal's payload limit).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery, type RunSnapshot } from '../../protocol';

type QueryableHandle = Pick<WorkflowHandle, 'query'>;

/** The run's snapshot with every step. Rejects as the query does. */
export async function queryRunSnapshot(handle: QueryableHandle): Promise<RunSnapshot> {
  const first = await handle.query(statusQuery);
  if (!first.stepsPage) return first;
  const snapshot: RunSnapshot = { ...first, nodes: { ...first.nodes } };
  delete snapshot.stepsPage;
  let next = first.stepsPage.from + first.stepsPage.count;
  while (first.stepsPage.count > 0 && next < first.stepsPage.total) {
    const page = await handle.query(statusQuery, { stepsFrom: next });
    Object.assign(snapshot.nodes, page.nodes);
    if (!page.stepsPage || page.stepsPage.count === 0) break;
    next = page.stepsPage.from + page.stepsPage.count;
  }
  return snapshot;
}
