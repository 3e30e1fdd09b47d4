/**
 * The run's log and metrics on a real server: the engine's records (retries, skips, failures),
 * what actions log through `ctx.log` (with attempt numbers), the 1000-record bound, the `logs`
 * query's filters, per-node and per-run metrics, and activity ids matching step ids.
 */
import { z } from 'zod';
import { defineAction } from '../../src/model';
import { runLogsQuery, type RunLogEntry } from '../../src/protocol/messages/runMessages';
import { eventually } from '../support/eventually';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

/** Logs its attempt, then fails until attempt `succeedOn` (never, when 0). */
const flakyLogger = defineAction({
  name: 'flaky_logger',
  params: z.object({ succeedOn: z.number().int() }),
  run: (params, ctx) => {
    ctx.log('info', `attempt ${ctx.attempt} starting`);
    ctx.log.debug('details', { secretFree: true });
    if (params.succeedOn === 0 || ctx.attempt < params.succeedOn) {
      ctx.log('warn', `attempt ${ctx.attempt} giving up`);
      return Promise.reject(new Error(`flaky on attempt ${ctx.attempt}`));
    }
    return Promise.resolve({ attempt: ctx.attempt });
  },
});

/** Keeps the CPU busy for about 50 ms. */
const burnCpu = defineAction({
  name: 'burn_cpu',
  params: z.object({}),
  run: () => {
    const until = process.hrtime.bigint() + 50_000_000n;
    let x = 0;
    while (process.hrtime.bigint() < until) x += Math.sqrt(x + 1);
    return Promise.resolve({ x: x > 0 });
  },
});

/** What the client-side compiler needs to know about the worker's actions. */
const actions = { flaky_logger: flakyLogger, burn_cpu: burnCpu };

let h: PipelineHarness;
let http: HttpRecorder;

beforeAll(async () => {
  http = await startHttpRecorder();
  h = await startPipelineHarness({ actions: [flakyLogger, burnCpu] });
});
afterAll(async () => {
  await h?.close();
  await http?.close();
});
beforeEach(() => http.reset());

const about = (logs: RunLogEntry[], stepId: string) => logs.filter((r) => r.stepId === stepId);

describe('a run with a retried call, a skipped step and a failed step', () => {
  let logs: RunLogEntry[];
  let run: Awaited<ReturnType<PipelineHarness['run']>>;

  beforeAll(async () => {
    http.script('/flaky', { status: 500, text: 'boom' }, { json: { value: 1 } });
    http.route('/bad', { status: 400, text: 'nope' });
    run = await h.run({
      steps: [
        {
          id: 'fetch',
          action: 'api_call',
          params: { url: http.url('/flaky') },
          retry: { max_attempts: 3, initial_interval: '100ms' },
        },
        {
          id: 'only_if_404',
          action: 'log',
          params: { message: 'not found' },
          condition: 'steps.fetch.output.status == 404',
        },
        {
          id: 'note',
          action: 'log',
          params: { message: 'fetched {{ steps.fetch.output.body.value }}', level: 'warn' },
        },
        { id: 'broken', action: 'api_call', params: { url: http.url('/bad') }, depends_on: ['fetch'] },
      ],
    });
    logs = run.snapshot.logs;
  });

  test('records are numbered 1, 2, 3, … in the run', () => {
    expect(run.snapshot.status).toBe('failed');
    expect(logs.map((r) => r.seq)).toEqual(logs.map((_, i) => i + 1));
    expect(run.snapshot.droppedLogs).toBe(0);
  });

  test('the retried step: started, attempt 1 failed, attempt 2 started, needed 2 attempts, completed with its duration', () => {
    expect(about(logs, 'fetch')).toEqual([
      expect.objectContaining({ source: 'engine', level: 'info', message: 'step fetch started (api_call)' }),
      expect.objectContaining({
        source: 'engine',
        level: 'warn',
        attempt: 1,
        message: expect.stringMatching(
          /^step fetch attempt 1 failed after \d+ ms \[UpstreamUnavailable, HTTP 500\]: .*; next attempt in 100 ms \(retry policy\)$/,
        ),
        attemptFailure: {
          code: 'UpstreamUnavailable',
          status: 500,
          retry: true,
          nextAttemptInMs: 100,
          delaySource: 'policy',
        },
      }),
      expect.objectContaining({
        source: 'engine',
        level: 'info',
        attempt: 2,
        message: 'step fetch attempt 2 started',
      }),
      expect.objectContaining({
        source: 'engine',
        level: 'warn',
        attempt: 2,
        message: 'step fetch needed 2 attempts (1 retried)',
      }),
      expect.objectContaining({
        source: 'engine',
        level: 'info',
        attempt: 2,
        message: expect.stringMatching(/^step fetch completed in \d+ ms$/),
      }),
    ]);
  });

  test('the skipped step says why; the log step is source log_node; the failed step has code and attempts', () => {
    expect(about(logs, 'only_if_404')).toEqual([
      expect.objectContaining({
        source: 'engine',
        level: 'info',
        message: 'step only_if_404 skipped: condition false',
      }),
    ]);
    expect(about(logs, 'note')).toContainEqual(
      expect.objectContaining({ source: 'log_node', level: 'warn', message: 'fetched 1' }),
    );
    expect(about(logs, 'broken').at(-1)).toEqual(
      expect.objectContaining({
        source: 'engine',
        level: 'error',
        attempt: 1,
        message: expect.stringMatching(/^step broken failed after 1 attempt\(s\) \[BadRequest\]: /),
      }),
    );
  });

  test('the logs query pages with afterSeq and filters by minimum level and step', async () => {
    const all = await run.handle.query(runLogsQuery, {});
    expect(all).toEqual({ records: logs, lastSeq: logs.length, droppedLogs: 0, closed: true });

    const first = await run.handle.query(runLogsQuery, { limit: 3 });
    expect(first.records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(first.lastSeq).toBe(3);
    const rest = await run.handle.query(runLogsQuery, { afterSeq: first.lastSeq });
    expect(rest.records).toEqual(logs.slice(3));

    const warnings = await run.handle.query(runLogsQuery, { level: 'warn' });
    expect(warnings.records.length).toBeGreaterThan(0);
    expect(warnings.records.every((r) => r.level === 'warn' || r.level === 'error')).toBe(true);
    expect(warnings.records).toEqual(logs.filter((r) => r.level === 'warn' || r.level === 'error'));

    const fetch = await run.handle.query(runLogsQuery, { stepId: 'fetch', level: 'info' });
    expect(fetch.records).toEqual(about(logs, 'fetch'));
    expect(fetch.lastSeq).toBe(logs.length);
  });
});

test("an action's ctx.log records carry the step and the attempt, for every attempt", async () => {
  const { snapshot } = await h.run(
    {
      steps: [
        {
          id: 'eventually',
          action: 'flaky_logger',
          params: { succeedOn: 3 },
          retry: { max_attempts: 3, initial_interval: '100ms' },
        },
        {
          id: 'never',
          action: 'flaky_logger',
          params: { succeedOn: 0 },
          retry: { max_attempts: 2, initial_interval: '100ms' },
          allow_failure: true,
        },
      ],
    },
    { actions },
  );
  expect(snapshot.status).toBe('completed');
  const fromAction = (id: string) => about(snapshot.logs, id).filter((r) => r.source === 'action');
  // Attempts that failed and were retried send their records with their failure (attemptEvent signal).
  const failedAttempt = (n: number): unknown[] => [
    expect.objectContaining({ level: 'info', attempt: n, message: `attempt ${n} starting` }),
    expect.objectContaining({ level: 'debug', attempt: n, message: 'details' }),
    expect.objectContaining({ level: 'warn', attempt: n, message: `attempt ${n} giving up` }),
  ];
  expect(fromAction('eventually')).toEqual([
    ...failedAttempt(1),
    ...failedAttempt(2),
    expect.objectContaining({ level: 'info', attempt: 3, message: 'attempt 3 starting' }),
    expect.objectContaining({ level: 'debug', attempt: 3, message: 'details' }),
  ]);
  expect(about(snapshot.logs, 'eventually')).toContainEqual(
    expect.objectContaining({
      source: 'engine',
      attempt: 3,
      message: 'step eventually needed 3 attempts (2 retried)',
    }),
  );
  // A final failure carries its attempt's records in the failure details.
  expect(fromAction('never')).toEqual([...failedAttempt(1), ...failedAttempt(2)]);
  // Action records come before the engine's record of the outcome.
  const never = about(snapshot.logs, 'never');
  expect(never.at(-1)).toMatchObject({ source: 'engine', level: 'error', attempt: 2 });
});

test('the run keeps the newest 1000 records and counts the dropped ones', async () => {
  const steps = Array.from({ length: 400 }, (_, i) => ({
    id: `l${i}`,
    action: 'log',
    params: { message: `line ${i}` },
  }));
  const { snapshot, handle } = await h.run({ steps });
  // Each log step writes started, its message, completed.
  const total = 3 * steps.length;
  expect(snapshot.logs).toHaveLength(1000);
  expect(snapshot.droppedLogs).toBe(total - 1000);
  expect(snapshot.logs[0]!.seq).toBe(total - 1000 + 1);
  expect(snapshot.logs.at(-1)!.seq).toBe(total);

  const page = await handle.query(runLogsQuery, { afterSeq: 0, limit: 10 });
  expect(page.droppedLogs).toBe(total - 1000);
  expect(page.records[0]!.seq).toBe(total - 1000 + 1);
  const lines = await handle.query(runLogsQuery, { stepId: 'l399' });
  expect(lines.records.map((r) => r.message)).toEqual([
    'step l399 started (log)',
    'line 399',
    expect.stringMatching(/^step l399 completed in \d+ ms$/),
  ]);
});

test('metrics: per node (CPU seconds, peak RSS) and for the run (sum, max)', async () => {
  http.route('/ok', { json: { ok: true } });
  const { snapshot } = await h.run(
    {
      steps: [
        { id: 'burn', action: 'burn_cpu' },
        { id: 'call', action: 'api_call', params: { url: http.url('/ok') } },
        { id: 'pure', action: 'transform', params: { value: 1 } },
      ],
    },
    { actions },
  );
  expect(snapshot.status).toBe('completed');
  const burn = snapshot.nodes.burn!.metrics!;
  const call = snapshot.nodes.call!.metrics!;
  expect(burn.cpuSeconds).toBeGreaterThan(0);
  expect(burn.peakMemoryMb).toBeGreaterThan(0);
  expect(call.peakMemoryMb).toBeGreaterThan(0);
  expect(snapshot.nodes.pure!.metrics).toBeUndefined();
  expect(snapshot.metrics.cpuSeconds).toBeCloseTo(burn.cpuSeconds + call.cpuSeconds, 9);
  expect(snapshot.metrics.peakMemoryMb).toBe(Math.max(burn.peakMemoryMb, call.peakMemoryMb));
});

test("a retrying node's activity id is its step id, so describe()'s pending activities name the step", async () => {
  const handle = await h.start(
    {
      steps: [
        {
          id: 'wobbly',
          action: 'flaky_logger',
          params: { succeedOn: 0 },
          // A long backoff keeps the activity pending between attempts.
          retry: { max_attempts: 5, initial_interval: '1m' },
        },
      ],
    },
    { actions },
  );
  try {
    const pending = await eventually(
      async () => (await handle.describe()).raw.pendingActivities?.[0],
      (activity) => (activity?.attempt ?? 0) >= 2,
    );
    expect(pending).toMatchObject({
      activityId: 'wobbly',
      attempt: 2,
      activityType: { name: 'flaky_logger' },
    });
    expect(pending!.lastFailure?.message).toContain('flaky on attempt 1');
    expect(pending!.nextAttemptScheduleTime).toBeTruthy();
  } finally {
    await handle.terminate('test over');
  }
});
