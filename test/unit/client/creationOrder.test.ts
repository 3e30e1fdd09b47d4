/**
 * Picking a page in creation order from visibility's own order: runs that closed in another order
 * than they started, page after page through the page token's position, both directions; the
 * early stop newest-first under the documented order (`CloseTime DESC NULLS FIRST, StartTime
 * DESC`), and full reads where the order is another (a store that sorts differently).
 */
import fc from 'fast-check';
import {
  afterClause,
  decodePosition,
  encodePosition,
  newestWindowStart,
  positionOf,
  scanInCreationOrder,
  type ListPosition,
  type SortOrder,
} from '../../../src/client/executions/creationOrder';

interface Run {
  workflowId: string;
  runId: string;
  startTime: Date;
  closeTime?: Date;
}

const run = (id: string, startMs: number, closeMs?: number): Run => ({
  workflowId: id,
  runId: `r-${id}`,
  startTime: new Date(startMs),
  ...(closeMs !== undefined && { closeTime: new Date(closeMs) }),
});

/** Visibility's documented default order. */
function defaultOrder(runs: Run[]): Run[] {
  const close = (r: Run) => r.closeTime?.getTime() ?? Infinity;
  return [...runs].sort(
    (a, b) =>
      close(b) - close(a) || b.startTime.getTime() - a.startTime.getTime() || (a.runId < b.runId ? -1 : 1),
  );
}

/** What a store answers a query with the page token's clause: the matches, in `order`. */
function store(runs: Run[], after: ListPosition | undefined, reads: { n: number }, arrange = defaultOrder) {
  const clause = after ? afterClause(after) : undefined;
  const bound = clause ? Date.parse(/'(.*)'/.exec(clause)![1]!) : undefined;
  const matches = runs.filter((r) => {
    if (bound === undefined) return true;
    return after!.order === 'desc' ? r.startTime.getTime() < bound : r.startTime.getTime() >= bound;
  });
  return (async function* () {
    for (const r of arrange(matches)) {
      reads.n++;
      yield await Promise.resolve(r);
    }
  })();
}

/** The store's `count` of the same query's matches started at or after `startMs`. */
const countFrom = (runs: Run[], after: ListPosition | undefined) => (startMs: number) => {
  let n = 0;
  const bound = after ? Date.parse(/'(.*)'/.exec(afterClause(after))![1]!) : undefined;
  for (const r of runs) {
    const ms = r.startTime.getTime();
    const inQuery = bound === undefined || (after!.order === 'desc' ? ms < bound : ms >= bound);
    if (inQuery && ms >= startMs) n++;
  }
  return Promise.resolve(n);
};

async function listAll(runs: Run[], order: SortOrder, pageSize: number, arrange = defaultOrder) {
  const ids: string[] = [];
  let after: ListPosition | undefined;
  const reads = { n: 0 };
  for (let pages = 0; pages < 1000; pages++) {
    const { rows } = await scanInCreationOrder(store(runs, after, reads, arrange), {
      order,
      take: pageSize + 1,
      after,
      maxScan: 10_000,
      countStartedFrom: countFrom(runs, after),
    });
    const page = rows.slice(0, pageSize);
    ids.push(...page.map((r) => r.workflowId));
    if (rows.length <= pageSize) return { ids, reads: reads.n };
    after = decodePosition(encodePosition(positionOf(page[page.length - 1]!, order)));
  }
  throw new Error('no end');
}

test('A created before B but closed after it: newest first is [B, A], oldest first [A, B], one per page', async () => {
  const runs = [run('A', 1000, 5000), run('B', 2000, 3000)];
  expect((await listAll(runs, 'desc', 1)).ids).toEqual(['B', 'A']);
  expect((await listAll(runs, 'asc', 1)).ids).toEqual(['A', 'B']);
});

test('running runs, closed runs and ties on the millisecond, across pages of every size', async () => {
  const runs = [
    run('a', 100, 900),
    run('b', 200),
    run('c', 200, 250),
    run('d', 300, 400),
    run('e', 300),
    run('f', 500, 600),
    run('g', 50, 1000),
  ];
  const byStart = [...runs].sort(
    (x, y) => x.startTime.getTime() - y.startTime.getTime() || (x.workflowId < y.workflowId ? -1 : 1),
  );
  for (const size of [1, 2, 3, 7, 10]) {
    expect((await listAll(runs, 'asc', size)).ids).toEqual(byStart.map((r) => r.workflowId));
    expect((await listAll(runs, 'desc', size)).ids).toEqual(byStart.map((r) => r.workflowId).reverse());
  }
});

const runsArb = fc
  .array(
    fc.record({
      start: fc.integer({ min: 0, max: 5000 }),
      length: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
    }),
    { maxLength: 40 },
  )
  .map((specs) =>
    specs.map((s, i) =>
      run(`w${String(i).padStart(2, '0')}`, s.start, s.length === undefined ? undefined : s.start + s.length),
    ),
  );

test('any runs, any page size, either order, and a store in any order: each run once, in creation order', async () => {
  const arrangements: Array<(runs: Run[]) => Run[]> = [
    defaultOrder,
    (rs) => [...rs].reverse(),
    (rs) => [...rs].sort((a, b) => a.startTime.getTime() - b.startTime.getTime()),
  ];
  await fc.assert(
    fc.asyncProperty(
      runsArb,
      fc.integer({ min: 1, max: 8 }),
      fc.constantFrom<SortOrder>('asc', 'desc'),
      fc.nat(2),
      async (runs, size, order, a) => {
        const expected = [...runs]
          .sort(
            (x, y) => x.startTime.getTime() - y.startTime.getTime() || (x.workflowId < y.workflowId ? -1 : 1),
          )
          .map((r) => r.workflowId);
        if (order === 'desc') expected.reverse();
        expect((await listAll(runs, order, size, arrangements[a])).ids).toEqual(expected);
      },
    ),
    { numRuns: 500 },
  );
});

test('newest first under the documented order stops reading once no older match can enter the page', async () => {
  // 200 runs that each closed 10 ms after they started, one every 100 ms.
  const runs = Array.from({ length: 200 }, (_, i) => run(`w${i}`, i * 100, i * 100 + 10));
  const first = await listAll(runs.slice(), 'desc', 200);
  expect(first.ids).toHaveLength(200);
  const reads = { n: 0 };
  const { rows, counted } = await scanInCreationOrder(store(runs, undefined, reads), {
    order: 'desc',
    take: 6,
    maxScan: 10_000,
    countStartedFrom: countFrom(runs, undefined),
  });
  expect(rows.map((r) => r.workflowId)).toEqual(['w199', 'w198', 'w197', 'w196', 'w195', 'w194']);
  expect(reads.n).toBeLessThanOrEqual(8);
  expect(counted).toBe(1);
  // A count that disagrees (a store in another order, a run started meanwhile): it reads on.
  const all = await scanInCreationOrder(store(runs, undefined, { n: 0 }), {
    order: 'desc',
    take: 6,
    maxScan: 10_000,
    countStartedFrom: () => Promise.resolve(7),
  });
  expect(all).toMatchObject({ scanned: 200, counted: 1 });
  expect(all.rows.map((r) => r.workflowId)).toEqual(['w199', 'w198', 'w197', 'w196', 'w195', 'w194']);
});

test('a page that would need more than maxScan matches read is refused, naming how to narrow it', async () => {
  const runs = Array.from({ length: 30 }, (_, i) => run(`w${i}`, i, 1000 - i));
  await expect(
    scanInCreationOrder(store(runs, undefined, { n: 0 }), { order: 'asc', take: 2, maxScan: 10 }),
  ).rejects.toThrow(/more than 10 matches.*createdAfter/);
});

test('a page token is checked', () => {
  expect(() => decodePosition('nonsense')).toThrow(/Invalid pageToken/);
  const position: ListPosition = { order: 'asc', startMs: 1_700_000_000_123, workflowId: "x'y", runId: 'r' };
  expect(decodePosition(encodePosition(position))).toEqual(position);
  expect(afterClause(position)).toBe("StartTime >= '2023-11-14T22:13:20.123Z'");
  expect(afterClause({ ...position, order: 'desc' })).toBe("StartTime < '2023-11-14T22:13:20.124Z'");
});

test('newest first, the window back from the position holds the page and not much more', async () => {
  const now = 1_800_000_000_000;
  // A burst: 1,000 runs in the last 30 s, and 100 a day apart before.
  const starts = [
    ...Array.from({ length: 1000 }, (_, i) => now - 30 * i),
    ...Array.from({ length: 100 }, (_, i) => now - 86_400_000 * (i + 1)),
  ];
  const calls = { n: 0 };
  const count = (fromMs: number, beforeMs = Infinity) => {
    calls.n++;
    return Promise.resolve(starts.filter((s) => s >= fromMs && s < beforeMs).length);
  };
  const from = await newestWindowStart(count, 51, undefined, now);
  const inWindow = starts.filter((s) => s >= from!).length;
  expect(inWindow).toBeGreaterThanOrEqual(51);
  expect(inWindow).toBeLessThanOrEqual(4 * 51);
  expect(calls.n).toBeLessThanOrEqual(25);
  // Back from a position among the daily runs: the window reaches far enough.
  const before = now - 86_400_000 * 10 + 1;
  const older = await newestWindowStart((ms) => count(ms, before), 5, before, now);
  expect(starts.filter((s) => s >= older! && s < before).length).toBeGreaterThanOrEqual(5);
  // Fewer matches than the page: no window (read them all).
  expect(
    await newestWindowStart((ms) => count(ms, now - 86_400_000 * 99), 5, now - 86_400_000 * 99, now),
  ).toBeUndefined();
});
