/**
 * Replay safety (issue 6 item 4): the histories of representative runs, recorded by
 * `npm run record-histories` into `test/fixtures/histories/`, must replay against the current
 * workflow code. A failure here means runs in flight would break on deploy: guard the change with
 * `patched()` instead of re-recording (docs/development.md, "Replay safety").
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { ATTEMPT_EVENT_SIGNAL } from '../../src/protocol';
import { historyFromJson } from '../support/historyJson';
import { sharedTestEnv } from '../support/pipelineHarness';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');

/** What the recorder writes; a missing one means a fixture was lost, not that it passes. */
const EXPECTED = [
  'api-call-retried',
  'cancelled-run',
  'condition-branches',
  'continued-as-new-first',
  'continued-as-new-last',
  'engine-defaults-in-plan',
  'failing-run',
  'linear-llm',
  'llm-retried-attempts',
  'llm-stream',
  'map-items',
  'map-run',
  'registry-entity',
  'run-with-callback',
  'wait-for-event',
];

interface JsonEvent {
  eventType: string;
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  workflowExecutionSignaledEventAttributes?: { signalName: string };
}

const fixtureJson = (name: string) =>
  JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as {
    /** The recorded workflow id (fixtures recorded before it was written: none). */
    workflowId?: string;
    events: JsonEvent[];
  };

const fixtureNames = () =>
  readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();

let options: ReplayWorkerOptions;

beforeAll(() => {
  try {
    // Replay failures are expected in the negative test; keep the worker's WARN lines out.
    Runtime.install({ logger: new DefaultLogger((process.env.TEST_LOG_LEVEL ?? 'ERROR') as 'ERROR') });
  } catch {
    // Already installed in this module registry.
  }
  options = { workflowBundle: { codePath: sharedTestEnv().bundlePath } };
});

test('every representative scenario has a recorded history', () => {
  expect(fixtureNames()).toEqual(expect.arrayContaining(EXPECTED));
});

test('every recorded history replays against the current workflow code', async () => {
  const names = fixtureNames();
  // A run's child ids derive from its workflow id: replay with the recorded one when it is known.
  const histories = names.map((name) => {
    const fixture = fixtureJson(name);
    return { workflowId: fixture.workflowId ?? name, history: historyFromJson(fixture) };
  });
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories(options, histories)) {
    replayed += 1;
    if (result.error) {
      const kind = result.error instanceof DeterminismViolationError ? 'non-determinism' : 'replay failure';
      failures.push(`${result.workflowId}: ${kind}: ${result.error.message}`);
    }
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(names.length);
});

test("the retried llm run's history carries its activity's attempt events (so replay covers their handler)", () => {
  const signals = fixtureJson('llm-retried-attempts').events.flatMap(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? [],
  );
  // Attempt 1 failed, attempt 2 started, attempt 2 failed, attempt 3 started.
  expect(signals.filter((name) => name === ATTEMPT_EVENT_SIGNAL)).toHaveLength(4);
});

test('the long-run fixtures cover continue-as-new: the patch marker and the hand-off, then a continuation', () => {
  const first = fixtureJson('continued-as-new-first').events.map((e) => e.eventType);
  expect(first).toContain('EVENT_TYPE_MARKER_RECORDED');
  expect(first.at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
  const last = fixtureJson('continued-as-new-last').events.map((e) => e.eventType);
  expect(last.at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
});

test('the wait_for_event fixture holds an accepted sendEvent update (the refused one left nothing) and a fired timer', () => {
  const events = fixtureJson('wait-for-event').events.map((e) => e.eventType);
  expect(events.filter((t) => t === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(1);
  expect(events).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED');
  expect(events).toContain('EVENT_TYPE_TIMER_FIRED');
  expect(events.at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
});

test('a history the code would not produce is reported as a determinism violation', async () => {
  const tampered = fixtureJson('linear-llm');
  const scheduled = tampered.events.find((e) => e.activityTaskScheduledEventAttributes);
  expect(scheduled).toBeDefined();
  scheduled!.activityTaskScheduledEventAttributes!.activityType.name = 'renamedActivity';
  const error = await Worker.runReplayHistory(options, historyFromJson(tampered), 'tampered').then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(DeterminismViolationError);
  expect((error as Error).message).toMatch(/renamedActivity|activity type|nondetermin/i);
});
