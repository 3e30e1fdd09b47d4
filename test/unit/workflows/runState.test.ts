/**
 * The run's log as the workflow keeps it: engine records, action records, bounds, the `logs`
 * query's paging and filters, and metrics. `RunState` is plain code, so it runs here directly.
 */
import { compileOrThrow, type PlanNode } from '../../../src/model';
import { MAX_RUN_LOGS } from '../../../src/protocol';
import { RunState } from '../../../src/workflows/run/runState';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function stateFor(steps: unknown[]): { state: RunState; node: (id: string) => PlanNode } {
  const plan = compileOrThrow({ name: 'unit', steps });
  const state = new RunState(plan, TRACE, undefined);
  const node = (id: string) => plan.nodes.find((n) => n.id === id)!;
  return { state, node };
}

const logNodes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `l${i}`, action: 'log', params: { message: `m${i}` } }));

test('engine records: started, completed with duration, retries, failed with code and attempts, skipped, cancelled; attempts no event told are marked unreported', () => {
  const { state, node } = stateFor([
    { id: 'a', action: 'api_call', params: { url: 'http://x' } },
    { id: 'b', action: 'api_call', params: { url: 'http://x' } },
    { id: 'c', action: 'transform', params: { value: 1 } },
    { id: 'd', action: 'transform', params: { value: 1 } },
  ]);
  state.start(node('a'));
  state.complete('a', { ok: true }, 3);
  state.start(node('b'));
  state.fail('b', { message: 'bad gateway', code: 'UpstreamUnavailable' }, 2);
  state.skip('c', 'dependency failed: b');
  state.cancel('d');
  const logs = state.snapshot.logs;
  expect(logs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  expect(logs.every((r) => r.source === 'engine')).toBe(true);
  const unreported = (id: string, attempt: number): unknown =>
    expect.objectContaining({
      level: 'warn',
      stepId: id,
      attempt,
      message: `step ${id} attempt ${attempt} failed; no report of it reached the run (it timed out, or its worker was lost)`,
      attemptFailure: { retry: true },
    });
  expect(logs).toEqual([
    expect.objectContaining({ level: 'info', stepId: 'a', message: 'step a started (api_call)' }),
    unreported('a', 1),
    unreported('a', 2),
    expect.objectContaining({
      level: 'warn',
      stepId: 'a',
      attempt: 3,
      message: 'step a needed 3 attempts (2 retried)',
    }),
    expect.objectContaining({
      level: 'info',
      stepId: 'a',
      attempt: 3,
      message: expect.stringMatching(/^step a completed in \d+ ms$/),
    }),
    expect.objectContaining({ level: 'info', stepId: 'b', message: 'step b started (api_call)' }),
    unreported('b', 1),
    expect.objectContaining({ level: 'warn', stepId: 'b', attempt: 2 }),
    expect.objectContaining({
      level: 'error',
      stepId: 'b',
      attempt: 2,
      message: 'step b failed after 2 attempt(s) [UpstreamUnavailable]: bad gateway',
    }),
    expect.objectContaining({ level: 'info', stepId: 'c', message: 'step c skipped: dependency failed: b' }),
    expect.objectContaining({ level: 'warn', stepId: 'd', message: 'step d cancelled' }),
  ]);
  expect(Number.isNaN(Date.parse(logs[0]!.at))).toBe(false);
  expect(state.snapshot.droppedLogs).toBe(0);
});

test('an attempt report adds the action records (step, attempt, its own time), a dropped-records note, and metrics', () => {
  const { state, node } = stateFor([
    { id: 'a', action: 'api_call', params: { url: 'http://x' } },
    { id: 'b', action: 'api_call', params: { url: 'http://x' } },
  ]);
  state.start(node('a'));
  state.report('a', 2, {
    logs: [
      { at: '2026-01-01T00:00:00.000Z', level: 'debug', message: 'one' },
      { at: '2026-01-01T00:00:01.000Z', level: 'bogus' as never, message: 'two' },
    ],
    droppedLogs: 7,
    metrics: { cpuSeconds: 0.25, peakMemoryMb: 100 },
  });
  state.complete('a', null, 2);
  state.start(node('b'));
  state.report('b', 1, { metrics: { cpuSeconds: 0.5, peakMemoryMb: 80 } });
  state.complete('b', null, 1);

  const actionRecords = state.snapshot.logs.filter((r) => r.source === 'action');
  expect(actionRecords).toEqual([
    expect.objectContaining({
      stepId: 'a',
      attempt: 2,
      level: 'debug',
      message: 'one',
      at: '2026-01-01T00:00:00.000Z',
    }),
    expect.objectContaining({ stepId: 'a', attempt: 2, level: 'info', message: 'two' }),
  ]);
  expect(state.snapshot.logs).toContainEqual(
    expect.objectContaining({
      source: 'engine',
      level: 'warn',
      stepId: 'a',
      message: expect.stringContaining('7 more log record(s)'),
    }),
  );
  expect(state.snapshot.nodes.a!.metrics).toEqual({ cpuSeconds: 0.25, peakMemoryMb: 100 });
  expect(state.snapshot.nodes.b!.metrics).toEqual({ cpuSeconds: 0.5, peakMemoryMb: 80 });
  expect(state.snapshot.metrics).toEqual({ cpuSeconds: 0.75, peakMemoryMb: 100 });
});

test('the run keeps the newest 1000 records and counts the dropped ones; seq keeps counting', () => {
  const { state } = stateFor(logNodes(1));
  for (let i = 1; i <= 1250; i++) state.log('info', `record ${i}`, 'l0', { source: 'log_node' });
  const { logs, droppedLogs } = state.snapshot;
  expect(logs).toHaveLength(MAX_RUN_LOGS);
  expect(droppedLogs).toBe(250);
  expect(logs[0]).toMatchObject({ seq: 251, message: 'record 251' });
  expect(logs.at(-1)).toMatchObject({ seq: 1250, message: 'record 1250' });
});

test('messages are cut to 2 KiB; the kept messages stay within 512 KiB in all', () => {
  const { state } = stateFor(logNodes(1));
  state.log('info', 'y'.repeat(10_000));
  expect(state.snapshot.logs[0]!.message).toMatch(/… \[truncated, 10000 bytes\]$/);
  expect(Buffer.byteLength(state.snapshot.logs[0]!.message)).toBeLessThanOrEqual(2048);
  for (let i = 0; i < 400; i++) state.log('info', 'z'.repeat(2048));
  const bytes = state.snapshot.logs.reduce((n, r) => n + Buffer.byteLength(r.message), 0);
  expect(bytes).toBeLessThanOrEqual(512 * 1024);
  expect(state.snapshot.logs.length + state.snapshot.droppedLogs).toBe(401);
  expect(state.snapshot.droppedLogs).toBeGreaterThan(0);
});

describe('logs query', () => {
  const { state, node } = stateFor([
    { id: 'a', action: 'log', params: { message: 'x' } },
    { id: 'b', action: 'log', params: { message: 'x' } },
  ]);
  state.start(node('a')); // 1 info engine a
  state.log('debug', 'a debug', 'a', { source: 'log_node' }); // 2
  state.log('warn', 'a warn', 'a', { source: 'log_node' }); // 3
  state.complete('a', null, 1); // 4 info engine a
  state.start(node('b')); // 5 info engine b
  state.log('error', 'b error', 'b', { source: 'log_node' }); // 6

  test('everything, oldest first; lastSeq is the newest seq; the run is not closed yet', () => {
    const page = state.logsPage({});
    expect(page.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(page).toMatchObject({ lastSeq: 6, droppedLogs: 0, closed: false });
    expect(state.logsPage(undefined).records).toHaveLength(6);
  });

  test('afterSeq pages forward; limit stops at a full page whose last record is lastSeq', () => {
    const first = state.logsPage({ limit: 4 });
    expect(first.records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(first.lastSeq).toBe(4);
    const next = state.logsPage({ afterSeq: first.lastSeq, limit: 4 });
    expect(next.records.map((r) => r.seq)).toEqual([5, 6]);
    expect(next.lastSeq).toBe(6);
    const none = state.logsPage({ afterSeq: next.lastSeq });
    expect(none).toMatchObject({ records: [], lastSeq: 6 });
  });

  test('level is a minimum; stepId selects one step; filtered-out records are not scanned again', () => {
    expect(state.logsPage({ level: 'warn' }).records.map((r) => r.message)).toEqual(['a warn', 'b error']);
    expect(state.logsPage({ level: 'error' }).records.map((r) => r.seq)).toEqual([6]);
    expect(state.logsPage({ stepId: 'a' }).records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    const page = state.logsPage({ stepId: 'a', level: 'warn', afterSeq: 3 });
    expect(page).toMatchObject({ records: [], lastSeq: 6 });
  });

  test('nonsense arguments fall back to the defaults; afterSeq beyond the end is kept', () => {
    const page = state.logsPage({ afterSeq: Number.NaN, level: 'loud' as never, limit: -5 });
    expect(page.records.map((r) => r.seq)).toEqual([1]);
    expect(state.logsPage({ afterSeq: 99 })).toMatchObject({ records: [], lastSeq: 99 });
  });

  test('closed once the run has ended', () => {
    state.end('completed', {});
    expect(state.logsPage({}).closed).toBe(true);
  });
});
