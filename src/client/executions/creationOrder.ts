/**
 * Listing runs in creation order (`StartTime`) without `ORDER BY`, which SQL visibility stores
 * (the dev server's SQLite, MySQL, PostgreSQL), Temporal Cloud and Elasticsearch by default
 * refuse. Visibility returns matches in its own order (documented: `CloseTime DESC NULLS FIRST,
 * StartTime DESC`, i.e. running runs first, then by close time); a page is the `take` first
 * matches in creation order, picked from a scan of that order, and a page token is the position
 * of the page's last run, so the next page's query starts there (`StartTime < …` / `>= …`).
 *
 * Newest first, the scan stops early: when visibility's order says a closed run closed before
 * the page's oldest start (so every later match, which closed no later and started before it
 * closed, is older than the page), one `count` of the matches started at or after that start
 * confirms the page has them all; a count that disagrees (a store in another order, a run
 * started meanwhile) makes it read on. Oldest first, it reads every remaining match, up to
 * `maxScan`. The result never depends on the store's order; only the cost does.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';

export type SortOrder = 'asc' | 'desc';

/** Where a page ended: the last run's start (ms), workflow id and run id. */
export interface ListPosition {
  order: SortOrder;
  startMs: number;
  workflowId: string;
  runId: string;
}

type Row = Pick<WorkflowExecutionInfo, 'startTime' | 'closeTime' | 'workflowId' | 'runId'>;

/** Ascending by start, workflow id, run id (ties on the millisecond are ordered by ids). */
function ascending(a: Row | ListPosition, b: Row | ListPosition): number {
  const as = 'startMs' in a ? a.startMs : a.startTime.getTime();
  const bs = 'startMs' in b ? b.startMs : b.startTime.getTime();
  if (as !== bs) return as - bs;
  if (a.workflowId !== b.workflowId) return a.workflowId < b.workflowId ? -1 : 1;
  return a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}

const compareIn = (order: SortOrder) =>
  order === 'asc' ? ascending : (a: Row | ListPosition, b: Row | ListPosition) => ascending(b, a);

/**
 * The visibility clause that keeps what comes after `after` (and a few runs of the same
 * millisecond, which the scan drops): visibility may keep start times finer than a millisecond.
 */
export function afterClause(after: ListPosition): string {
  return after.order === 'desc'
    ? `StartTime < '${new Date(after.startMs + 1).toISOString()}'`
    : `StartTime >= '${new Date(after.startMs).toISOString()}'`;
}

export const positionOf = (row: Row, order: SortOrder): ListPosition => ({
  order,
  startMs: row.startTime.getTime(),
  workflowId: row.workflowId,
  runId: row.runId,
});

export function encodePosition(position: ListPosition): string {
  const { order, startMs, workflowId, runId } = position;
  return Buffer.from(JSON.stringify({ o: order, s: startMs, w: workflowId, r: runId })).toString('base64url');
}

/** @throws TypeError when the token is not one `encodePosition` made. */
export function decodePosition(token: string): ListPosition {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (
      (t.o === 'asc' || t.o === 'desc') &&
      Number.isSafeInteger(t.s) &&
      typeof t.w === 'string' &&
      typeof t.r === 'string'
    ) {
      return { order: t.o, startMs: t.s as number, workflowId: t.w, runId: t.r };
    }
  } catch {
    // not JSON: said below
  }
  throw new TypeError('Invalid pageToken: pass the nextPageToken of a previous page of the same listing');
}

export interface ScanOptions {
  order: SortOrder;
  /** How many runs the page needs (with one more to know whether another page follows). */
  take: number;
  /** Only runs after this position (a page token's). */
  after?: ListPosition;
  /** At most this many matches read; a page that needs more is refused. */
  maxScan: number;
  /**
   * How many matches (of the same query) started at or after `startMs`: lets a newest-first
   * scan stop early once it confirms nothing unread belongs in the page. Without it, every match
   * is read.
   */
  countStartedFrom?: (startMs: number) => Promise<number>;
}

export interface ScanResult<T> {
  rows: T[];
  /** Matches read from visibility. */
  scanned: number;
  /** `count` calls made to confirm an early stop. */
  counted: number;
}

/**
 * The first `take` rows in creation order (`order`) after `after`, from `rows` in visibility's
 * order. Newest first, stops reading once a count confirms no unread match belongs in the page.
 * @throws RangeError when more than `maxScan` matches would have to be read.
 */
export async function scanInCreationOrder<T extends Row>(
  rows: AsyncIterable<T>,
  options: ScanOptions,
): Promise<ScanResult<T>> {
  const compare = compareIn(options.order);
  const best: T[] = [];
  const starts: number[] = [];
  let counted = 0;
  // Worth a count only while visibility's documented order holds (running first, then by close time).
  let mayStop = options.order === 'desc' && options.countStartedFrom !== undefined;
  let lastCloseMs: number | undefined;
  for await (const row of rows) {
    if (starts.length >= options.maxScan) {
      throw new RangeError(
        `Listing executions in creation order (${options.order}) needs more than ${options.maxScan} matches read for one page; narrow it with createdAfter / createdBefore, pipelineId, status or tags`,
      );
    }
    const startMs = row.startTime.getTime();
    starts.push(startMs);
    const closeMs = row.closeTime?.getTime();
    if (mayStop && lastCloseMs !== undefined && (closeMs === undefined || closeMs > lastCloseMs))
      mayStop = false;
    if (closeMs !== undefined) lastCloseMs = closeMs;
    if (!options.after || compare(row, options.after) > 0) insertSorted(best, row, compare, options.take);
    const oldest = best.length === options.take ? best[best.length - 1]!.startTime.getTime() : undefined;
    if (mayStop && oldest !== undefined && closeMs !== undefined && closeMs < oldest) {
      // Every match started at or after the page's oldest start has been read, if the count agrees.
      counted++;
      const read = starts.filter((ms) => ms >= oldest).length;
      if ((await options.countStartedFrom!(oldest)) === read) break;
      mayStop = false;
    }
  }
  return { rows: best, scanned: starts.length, counted };
}

/**
 * Newest first: the latest start time `from` (ms) such that at least `need` matches started at or
 * after it and before `beforeMs` (when given), found with `count` calls over windows that grow
 * from a minute back; `undefined` when even every match is fewer (read them all). Confining the
 * scan to `StartTime >= from` keeps a page's reads near the page's size when many runs closed in
 * another order than they started (a backlog of runs all closing late).
 */
export async function newestWindowStart(
  count: (fromMs: number) => Promise<number>,
  need: number,
  beforeMs: number | undefined,
  nowMs: number,
): Promise<number | undefined> {
  const anchor = beforeMs ?? nowMs + 60_000;
  let short = 0; // a span known to hold fewer than `need`
  let span = 60_000;
  let found = 0;
  for (let i = 0; ; i++) {
    if (i >= 16 || span >= anchor) return undefined;
    found = await count(anchor - span);
    if (found >= need) break;
    short = span;
    // Grow by the shortfall (at least ×4, at most ×64), assuming runs spread evenly back in time.
    span *= Math.min(64, Math.max(4, Math.ceil((2 * need) / Math.max(1, found))));
  }
  // Narrow a window that holds far more than the page (a burst of runs) by halves.
  for (let i = 0; i < 20 && found > 4 * need && span - short > 1; i++) {
    const mid = Math.floor((short + span) / 2);
    const inMid = await count(anchor - mid);
    if (inMid >= need) [span, found] = [mid, inMid];
    else short = mid;
  }
  return anchor - span;
}

/** Inserts `row` into `sorted` (kept sorted by `compare`, at most `max` long). */
function insertSorted<T>(sorted: T[], row: T, compare: (a: T, b: T) => number, max: number): void {
  if (sorted.length === max && compare(row, sorted[max - 1]!) >= 0) return;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(sorted[mid]!, row) <= 0) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, row);
  if (sorted.length > max) sorted.pop();
}
