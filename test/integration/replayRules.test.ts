/**
 * The replay-compatibility rules (src/workflows/run/replayRules.ts) against the recorded histories
 * in test/fixtures/histories: each rule names fixtures, each named fixture replays against the
 * current workflow code, and shows what its rule is about (a check per rule, below). A rule added
 * without a check, or a check whose fixture no longer shows it, fails here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import {
  CONTINUE_AS_NEW_PATCH,
  RECORDED_RUN_DEFAULTS,
  REPLAY_RULES,
} from '../../src/workflows/run/replayRules';
import type { EngineDefaults } from '../../src/model/plan/engineDefaults';
import { historyFromJson } from '../support/historyJson';
import { sharedTestEnv } from '../support/pipelineHarness';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');

interface JsonPayload {
  data?: string;
}
type JsonEvent = { eventType: string } & Record<string, unknown>;
interface Fixture {
  workflowId?: string;
  events: JsonEvent[];
}

const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;

/** The events of one type, with their attributes (`<type>EventAttributes`). */
function attributesOf<T>(f: Fixture, type: string, key: string): T[] {
  return f.events.filter((e) => e.eventType === `EVENT_TYPE_${type}`).map((e) => e[key] as T);
}

/** A json/plain payload's value (the fixtures are recorded without a codec). */
const decode = (payload: JsonPayload): unknown =>
  JSON.parse(Buffer.from(payload.data ?? '', 'base64').toString('utf8'));

interface StartInput {
  plan?: { engineDefaults?: EngineDefaults };
  heartbeatTimeoutMs?: number;
  continueAsNewAfterEvents?: number;
  continueAsNewAfterBytes?: number;
  budget?: unknown;
  concurrency?: unknown;
  callbacks?: unknown;
  resume?: unknown;
}

const startInput = (f: Fixture): StartInput => {
  const [started] = attributesOf<{ input: { payloads: JsonPayload[] } }>(
    f,
    'WORKFLOW_EXECUTION_STARTED',
    'workflowExecutionStartedEventAttributes',
  );
  return decode(started!.input.payloads[0]!) as StartInput;
};

const workflowType = (f: Fixture): string =>
  attributesOf<{ workflowType: { name: string } }>(
    f,
    'WORKFLOW_EXECUTION_STARTED',
    'workflowExecutionStartedEventAttributes',
  )[0]!.workflowType.name;

interface ScheduledActivity {
  activityId: string;
  activityType: { name: string };
  heartbeatTimeout?: string;
  input?: { payloads: JsonPayload[] };
}
const scheduledActivities = (f: Fixture) =>
  attributesOf<ScheduledActivity>(f, 'ACTIVITY_TASK_SCHEDULED', 'activityTaskScheduledEventAttributes');

interface StartedChild {
  workflowId: string;
  workflowType: { name: string };
  input: { payloads: JsonPayload[] };
}
const startedChildren = (f: Fixture) =>
  attributesOf<StartedChild>(
    f,
    'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
    'startChildWorkflowExecutionInitiatedEventAttributes',
  );

const eventTypes = (f: Fixture) => f.events.map((e) => e.eventType);
const seconds = (ms: number) => `${ms / 1000}s`;
/** Node activities (the end-of-run callback is the engine's own). */
const nodeActivities = (f: Fixture) =>
  scheduledActivities(f).filter((a) => a.activityType.name !== 'pipelineCallback');

/** What each rule's fixtures must show, by rule id: `expect`s on one fixture. */
const CHECKS: Record<string, (f: Fixture, name: string) => void> = {
  'engine-defaults-from-plan': (f) => {
    const defaults = startInput(f).plan?.engineDefaults;
    expect(defaults).toBeDefined();
    const activities = scheduledActivities(f);
    expect(activities.length).toBeGreaterThan(0);
    for (const a of activities) expect(a.heartbeatTimeout).toBe(seconds(defaults!.heartbeatTimeoutMs));
    const [map] = startedChildren(f).filter((c) => c.workflowType.name === 'runMap');
    expect(decode(map!.input.payloads[0]!)).toMatchObject({
      continueAsNewAfterEvents: defaults!.mapContinueAsNewAfterEvents,
      continueAsNewAfterBytes: defaults!.mapContinueAsNewAfterBytes,
      heartbeatTimeoutMs: defaults!.heartbeatTimeoutMs,
    });
  },
  'recorded-defaults-frozen': (f) => {
    const input = startInput(f);
    expect(input.plan?.engineDefaults).toBeUndefined();
    expect(input.heartbeatTimeoutMs).toBeUndefined();
    const activities = nodeActivities(f);
    expect(activities.length).toBeGreaterThan(0);
    for (const a of activities)
      expect(a.heartbeatTimeout).toBe(seconds(RECORDED_RUN_DEFAULTS.heartbeatTimeoutMs));
  },
  'continue-as-new-behind-patch': (f, name) => {
    const markers = attributesOf<{ details?: { 'patch-data'?: { payloads: JsonPayload[] } } }>(
      f,
      'MARKER_RECORDED',
      'markerRecordedEventAttributes',
    );
    const patchIds = markers.flatMap((m) =>
      (m.details?.['patch-data']?.payloads ?? []).map((p) => (decode(p) as { id?: string }).id),
    );
    if (name === 'continued-as-new-first') {
      expect(patchIds).toContain(CONTINUE_AS_NEW_PATCH);
      expect(eventTypes(f).at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    } else if (name === 'continued-as-new-last') {
      expect(eventTypes(f).at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    } else {
      // A short run: no marker at all.
      expect(patchIds).toEqual([]);
      expect(eventTypes(f).at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    }
  },
  'pure-steps-issue-no-commands': (f) => {
    const inline = new Set(['input', 'output', 'transform', 'condition', 'log']);
    for (const a of scheduledActivities(f)) expect(inline.has(a.activityType.name)).toBe(false);
    expect(eventTypes(f)).not.toContain('EVENT_TYPE_TIMER_STARTED');
  },
  'optional-paths-only-when-used': (f, name) => {
    const input = startInput(f);
    expect(input.budget).toBeUndefined();
    expect(input.concurrency).toBeUndefined();
    expect(input.resume).toBeUndefined();
    for (const a of nodeActivities(f)) expect(decode(a.input!.payloads[0]!)).not.toHaveProperty('budget');
    const callbacks = scheduledActivities(f).filter((a) => a.activityType.name === 'pipelineCallback');
    if (name === 'run-with-callback') {
      expect(input.callbacks).toBeDefined();
      expect(callbacks).toHaveLength(1);
    } else {
      expect(input.callbacks).toBeUndefined();
      expect(callbacks).toEqual([]);
    }
  },
  'messages-leave-no-commands': (f) => {
    const types = eventTypes(f);
    expect(
      types.filter(
        (t) =>
          t === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED' ||
          t === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      ).length,
    ).toBeGreaterThan(0);
  },
  'activity-and-child-identity': (f, name) => {
    if (name === 'linear-llm') {
      expect(scheduledActivities(f).map((a) => [a.activityId, a.activityType.name])).toEqual([
        ['answer', 'llm'],
      ]);
    } else if (name === 'map-run') {
      expect(startedChildren(f).map((c) => c.workflowId)).toEqual([`${f.workflowId}/summaries`]);
    } else {
      const ids = scheduledActivities(f).map((a) => a.activityId);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) expect(id).toMatch(/^summaries\[\d+\]$/);
    }
  },
  'fixed-constants': (f, name) => {
    expect(workflowType(f)).toBe(name === 'registry-entity' ? 'pipelineRegistry' : 'runMap');
  },
};

let options: ReplayWorkerOptions;

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.TEST_LOG_LEVEL ?? 'ERROR') as 'ERROR') });
  } catch {
    // Already installed in this module registry.
  }
  options = { workflowBundle: { codePath: sharedTestEnv().bundlePath } };
});

test('every rule names recorded fixtures and has a check here, and every check is a rule', () => {
  expect(Object.keys(CHECKS).sort()).toEqual(REPLAY_RULES.map((r) => r.id).sort());
  for (const rule of REPLAY_RULES) {
    expect(rule.fixtures.length).toBeGreaterThan(0);
    for (const name of rule.fixtures) expect(existsSync(path.join(FIXTURES, `${name}.json`))).toBe(true);
  }
});

describe.each(REPLAY_RULES.map((rule) => [rule.id, rule] as const))('rule %s', (_id, rule) => {
  test.each(rule.fixtures)('fixture %s shows what the rule is about', (name) => {
    CHECKS[rule.id]!(fixture(name), name);
  });

  test('its fixtures replay against the current workflow code', async () => {
    const histories = rule.fixtures.map((name) => {
      const f = fixture(name);
      return { workflowId: f.workflowId ?? name, history: historyFromJson(f) };
    });
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(options, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
