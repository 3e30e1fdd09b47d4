/**
 * The run log's account of activity attempts, through `RunState` (plain code, run directly):
 * attempt events from node activities, the last attempt's failure, unreported attempts, and
 * events that must be dropped.
 */
import { compileOrThrow } from '../../../src/model';
import { type AttemptEvent } from '../../../src/protocol';
import type { RunLogEntry } from '../../../src/protocol/messages/runMessages';
import { RunState } from '../../../src/workflows/run/runState';

function stateFor(retry: Record<string, unknown> = { max_attempts: 3, initial_interval: '100ms' }) {
  const plan = compileOrThrow({
    name: 'unit',
    steps: [
      { id: 'gen', action: 'llm', params: { prompt: 'hi', model: 'm' }, retry },
      { id: 'pure', action: 'transform', params: { value: 1 } },
    ],
  });
  const state = new RunState(plan, '4bf92f3577b34da6a3ce929d0e0e4736', undefined);
  const node = (id: string) => plan.nodes.find((n) => n.id === id)!;
  return { state, node };
}

const failed = (
  attempt: number,
  extra: Partial<Extract<AttemptEvent, { kind: 'failed' }>> = {},
): AttemptEvent => ({
  kind: 'failed',
  nodeId: 'gen',
  attempt,
  durationMs: 42,
  failure: { code: 'UpstreamUnavailable', status: 503, message: 'busy' },
  ...extra,
});
const started = (attempt: number, previous?: Extract<AttemptEvent, { kind: 'started' }>['previous']) =>
  ({ kind: 'started', nodeId: 'gen', attempt, ...(previous && { previous }) }) as AttemptEvent;

const attemptLines = (logs: RunLogEntry[]) =>
  logs.filter((r) => / attempts? \d+/.test(r.message)).map((r) => `${r.level} ${r.message}`);

test('failed attempts, retries and the last failure, with delays and the reason no attempt follows', () => {
  const { state, node } = stateFor();
  state.start(node('gen'));
  state.attemptEvent(
    failed(1, { failure: { code: 'RateLimited', status: 429, message: 'slow', retryAfterMs: 2000 } }),
  );
  state.attemptEvent(started(2));
  expect(state.snapshot.nodes.gen!.attempts).toBe(2);
  state.attemptEvent(failed(2));
  state.attemptEvent(started(3));
  state.report('gen', 3, { failure: { code: 'UpstreamUnavailable', status: 500, message: 'boom' } });
  state.fail('gen', { code: 'UpstreamUnavailable', message: 'boom' }, 3);
  expect(attemptLines(state.snapshot.logs)).toEqual([
    'warn step gen attempt 1 failed after 42 ms [RateLimited, HTTP 429]: slow; next attempt in 2000 ms (retry-after)',
    'info step gen attempt 2 started',
    'warn step gen attempt 2 failed after 42 ms [UpstreamUnavailable, HTTP 503]: busy; next attempt in 200 ms (retry policy)',
    'info step gen attempt 3 started',
    'warn step gen attempt 3 failed [UpstreamUnavailable, HTTP 500]: boom; no more attempts (maximum 3 attempts reached)',
  ]);
  expect(state.snapshot.logs.at(-1)).toMatchObject({
    level: 'error',
    message: expect.stringMatching(/failed after 3/),
  });
  expect(state.snapshot.logs.find((r) => r.attempt === 3 && r.attemptFailure)!.attemptFailure).toEqual({
    code: 'UpstreamUnavailable',
    status: 500,
    retry: false,
    reason: 'maximum 3 attempts reached',
  });
});

test("a failed attempt's own log records come before its failure record", () => {
  const { state, node } = stateFor();
  state.start(node('gen'));
  state.attemptEvent(
    failed(1, {
      logs: [{ at: '2026-01-01T00:00:00.000Z', level: 'info', message: 'trying' }],
      droppedLogs: 2,
    }),
  );
  const records = state.snapshot.logs.slice(1);
  expect(records).toEqual([
    expect.objectContaining({
      source: 'action',
      attempt: 1,
      message: 'trying',
      at: '2026-01-01T00:00:00.000Z',
    }),
    expect.objectContaining({
      source: 'engine',
      attempt: 1,
      message: expect.stringContaining('2 more log record(s)'),
    }),
    expect.objectContaining({
      source: 'engine',
      attempt: 1,
      message: expect.stringContaining('attempt 1 failed'),
    }),
  ]);
});

test("a retry's start tells the previous attempt's failure when no event did (a timeout); attempts nobody told are marked", () => {
  const { state, node } = stateFor({ max_attempts: 5, initial_interval: '1s' });
  state.start(node('gen'));
  state.attemptEvent(started(3, { code: 'Timeout', message: 'timed out (START_TO_CLOSE)' }));
  state.complete('gen', { ok: true }, 4);
  expect(attemptLines(state.snapshot.logs)).toEqual([
    'warn step gen attempt 1 failed; no report of it reached the run (it timed out, or its worker was lost)',
    'warn step gen attempt 2 failed [Timeout]: timed out (START_TO_CLOSE); next attempt in 2000 ms (retry policy)',
    'info step gen attempt 3 started',
    'warn step gen attempt 3 failed; no report of it reached the run (it timed out, or its worker was lost)',
  ]);
});

test('duplicate, late, malformed and foreign events are dropped', () => {
  const { state, node } = stateFor();
  state.start(node('gen'));
  state.start(node('pure'));
  state.attemptEvent(failed(1));
  state.attemptEvent(failed(1));
  state.attemptEvent(started(2, { message: 'already told' }));
  state.attemptEvent(started(2));
  state.attemptEvent({ kind: 'started', nodeId: 'pure', attempt: 2 });
  state.attemptEvent({ kind: 'started', nodeId: 'nope', attempt: 2 });
  state.attemptEvent({ kind: 'failed', nodeId: 'gen', attempt: 0 } as AttemptEvent);
  state.attemptEvent({ kind: 'failed', nodeId: 'gen', attempt: 5, failure: { message: 7 } } as never);
  state.attemptEvent(null as never);
  state.complete('gen', null, 2);
  state.attemptEvent(failed(2));
  state.attemptEvent(started(3));
  expect(attemptLines(state.snapshot.logs)).toEqual([
    expect.stringMatching(/^warn step gen attempt 1 failed after 42 ms/),
    'info step gen attempt 2 started',
  ]);
  expect(state.snapshot.nodes.gen!.attempts).toBe(2);
  expect(state.snapshot.nodes.pure!.attempts).toBe(1);
});

test('a long run of unreported attempts gets one record; an attempt beyond the policy limit is dropped', () => {
  const { state, node } = stateFor({ max_attempts: 100, initial_interval: '100ms' });
  state.start(node('gen'));
  state.attemptEvent(started(50));
  state.attemptEvent(failed(10));
  expect(attemptLines(state.snapshot.logs)).toEqual([
    'warn step gen attempts 1–49 failed; no report of it reached the run (it timed out, or its worker was lost)',
    'info step gen attempt 50 started',
  ]);

  const limited = stateFor();
  limited.state.start(limited.node('gen'));
  limited.state.attemptEvent(started(4));
  expect(attemptLines(limited.state.snapshot.logs)).toEqual([]);
  expect(limited.state.snapshot.nodes.gen!.attempts).toBe(1);
});

test('a step that failed before its activity ran (a template error) has no attempt record', () => {
  const { state, node } = stateFor();
  state.start(node('gen'));
  state.fail('gen', { code: 'TemplateError', message: 'no such step' }, 1);
  expect(attemptLines(state.snapshot.logs)).toEqual([]);
});

test('a cancelled step takes no more events', () => {
  const { state, node } = stateFor();
  state.start(node('gen'));
  state.cancel('gen');
  state.attemptEvent(failed(1));
  expect(attemptLines(state.snapshot.logs)).toEqual([]);
});
