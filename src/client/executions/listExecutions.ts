/**
 * One page of `client.executions.list`: matches of a filter in creation order, read from
 * visibility in a window that grows until it holds the page (see `creationOrder.ts`).
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { translateError } from '../errors';
import {
  afterClause,
  decodePosition,
  encodePosition,
  newestWindowStart,
  positionOf,
  scanInCreationOrder,
} from './creationOrder';
import type { ExecutionPage, ListExecutionsOptions } from './executionOptions';
import { executionsQuery } from './executionsQuery';
import { toExecution } from './executionView';

/** At most this many matches are read for one page of `list`. */
const MAX_SCANNED = 10_000;

/**
 * Executions matching a filter in creation order, newest first or oldest first.
 * @throws RangeError when a page would need more than 10,000 matches read.
 * @throws TypeError when `pageToken` is not a `nextPageToken` of this sort order.
 */
export async function listExecutions(
  temporal: Client,
  options: ListExecutionsOptions,
): Promise<ExecutionPage> {
  const limit = Math.max(1, Math.min(options.limit ?? 50, 1000));
  const order = options.sortOrder ?? 'desc';
  const after = options.pageToken !== undefined ? decodePosition(options.pageToken) : undefined;
  if (after && after.order !== order) {
    throw new TypeError(`Invalid pageToken: it continues a '${after.order}' listing, not '${order}'`);
  }
  const offset = after ? 0 : Math.max(0, options.offset ?? 0);
  const query = [executionsQuery(options), ...(after ? [afterClause(after)] : [])].join(' AND ');
  let rows: WorkflowExecutionInfo[];
  try {
    const take = offset + limit + 1;
    const countFrom = async (fromMs: number, base = query) =>
      (await temporal.workflow.count(`${base} AND StartTime >= '${new Date(fromMs).toISOString()}'`)).count;
    // Newest first: confine the scan to a window back from the position holding enough runs;
    // a window that falls short (runs of the position's millisecond already listed) grows.
    let from =
      order === 'desc'
        ? await newestWindowStart(countFrom, take, after && after.startMs + 1, Date.now())
        : undefined;
    for (;;) {
      const scanned =
        from === undefined ? query : `${query} AND StartTime >= '${new Date(from).toISOString()}'`;
      const result = await scanInCreationOrder(
        temporal.workflow.list({ query: scanned, pageSize: Math.min(1000, Math.max(100, 2 * take)) }),
        {
          order,
          take,
          after,
          maxScan: MAX_SCANNED,
          countStartedFrom: (startMs) => countFrom(startMs, scanned),
        },
      );
      if (result.rows.length >= take || from === undefined) {
        rows = result.rows;
        break;
      }
      const widened: number = from - 4 * Math.max(60_000, (after?.startMs ?? Date.now()) - from);
      from = widened > 0 ? widened : undefined;
    }
    const page = rows.slice(offset, offset + limit);
    const last = page[page.length - 1];
    return {
      executions: page.map((info) => toExecution(info)),
      ...(rows.length > offset + limit && last && { nextPageToken: encodePosition(positionOf(last, order)) }),
    };
  } catch (err) {
    throw translateError(err);
  }
}
