/**
 * Bounded evaluation, through the public API on a real server (issue 17, item 4): expressions and
 * templates that would build huge values or loop over large data fail their step with
 * `EvaluationLimit` inside one short workflow task; the run ends by its failure semantics; no
 * workflow task fails (so nothing is retried for ever); and ordinary runs sharing the worker all
 * complete meanwhile.
 */
import type { temporal } from '@temporalio/proto';
import { EVALUATION_LIMITS } from '../../src/model/expressions/evaluationMeter';
import { PipelineValidationError } from '../../src/model/definition/errors';
import type { RunSnapshot } from '../../src/protocol/messages/runMessages';
import { startPipelineHarness, type PipelineHarness, type RunOutcome } from '../support/pipelineHarness';

jest.setTimeout(180_000);

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(async () => {
  await h?.close();
});

const MB = 1_000_000;
const ONE_MB_STRING = 'x'.repeat(MB);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const EventType = {
  workflowTaskStarted: 6,
  workflowTaskCompleted: 7,
  workflowTaskTimedOut: 8,
  workflowTaskFailed: 9,
} as const;

const input = (id: string, type: 'array' | 'string') => ({ id, action: 'input', params: { type } });

/**
 * Inputs `l` (a list) and `s` (a string), a transform that runs `expression`, a failure handler
 * that runs when it failed, and an output.
 */
function attack(name: string, expression: string) {
  return {
    name,
    steps: [
      input('l', 'array'),
      input('s', 'string'),
      { id: 'blow_up', action: 'transform', params: { expression } },
      {
        id: 'on_failure',
        action: 'transform',
        params: { value: 'handled' },
        condition: "steps.blow_up.status == 'failed'",
      },
      { id: 'result', action: 'output', params: { value: '{{ steps.blow_up.output }}' } },
    ],
  };
}

/** A workflow task that failed or timed out (the SDK retries those). */
const isFailedTask = (event: temporal.api.history.v1.IHistoryEvent) =>
  Number(event.eventType) === EventType.workflowTaskFailed ||
  Number(event.eventType) === EventType.workflowTaskTimedOut;

const seconds = (t: temporal.api.history.v1.IHistoryEvent['eventTime']) =>
  Number(t?.seconds ?? 0) + (t?.nanos ?? 0) / 1e9;

/** The longest workflow task (started → completed, server time) and whether any failed or timed out. */
async function workflowTasks(outcome: RunOutcome): Promise<{ longestMs: number; failedOrTimedOut: number }> {
  const events = (await outcome.handle.fetchHistory()).events ?? [];
  let longestMs = 0;
  let failedOrTimedOut = 0;
  let started: number | undefined;
  for (const event of events) {
    const type = Number(event.eventType);
    if (type === EventType.workflowTaskStarted) started = seconds(event.eventTime);
    if (type === EventType.workflowTaskCompleted && started !== undefined)
      longestMs = Math.max(longestMs, (seconds(event.eventTime) - started) * 1000);
    if (isFailedTask(event)) failedOrTimedOut++;
  }
  return { longestMs, failedOrTimedOut };
}

/** Asserts the step failed with EvaluationLimit quickly and the failure handler ran; returns timings. */
async function expectLimitHandled(outcome: RunOutcome, limit: string, stepId = 'blow_up') {
  const { snapshot } = outcome;
  const step = snapshot.nodes[stepId]!;
  expect(step).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'EvaluationLimit' } });
  expect(step.error!.message).toContain(`went past the evaluation limit ${limit}`);
  // Step timings come from the workflow's clock: the step started and failed within a second.
  expect(step.durationMs!).toBeLessThanOrEqual(1000);
  expect(snapshot.status).toBe('failed');
  expect(snapshot.error?.message).toContain(`step "${stepId}" failed after 1 attempt(s)`);
  expect(outcome.failure).toBeDefined();
  const tasks = await workflowTasks(outcome);
  // No workflow task failed or timed out: nothing was retried; the run closed.
  expect(tasks.failedOrTimedOut).toBe(0);
  expect(tasks.longestMs).toBeLessThan(5000);
  return { stepMs: step.durationMs!, longestTaskMs: tasks.longestMs };
}

const timings: string[] = [];
afterAll(() => {
  if (timings.length > 0) console.log(`bounded evaluation, measured:\n${timings.join('\n')}`);
});

test("the issue's case: inputs.l.map(x, inputs.s) over 2,000 items and a 1 MB string fails its step with EvaluationLimit; the failure handler runs", async () => {
  const outcome = await h.run(attack('map-big-string', 'inputs.l.map(x, inputs.s)'), {
    inputs: { l: range(2000), s: ONE_MB_STRING },
  });
  const t = await expectLimitHandled(outcome, 'maxValueBytes');
  expect(outcome.snapshot.nodes.blow_up!.error!.message).toContain('inputs.l.map(x, inputs.s)');
  expect(outcome.snapshot.nodes.on_failure).toMatchObject({ status: 'completed', output: 'handled' });
  expect(outcome.snapshot.nodes.result).toMatchObject({ status: 'skipped' });
  timings.push(
    `map × 1 MB string: step ${t.stepMs} ms, longest workflow task ${t.longestTaskMs.toFixed(0)} ms`,
  );
});

test('a list that would grow huge (2,000 × a 2,000-item list), and map over the result of map, fail the same way', async () => {
  const huge = await h.run(attack('huge-list', 'inputs.l.map(x, inputs.l)'), {
    inputs: { l: range(2000), s: '' },
  });
  const t1 = await expectLimitHandled(huge, 'maxValueBytes');
  timings.push(
    `2,000 × 2,000 list: step ${t1.stepMs} ms, longest workflow task ${t1.longestTaskMs.toFixed(0)} ms`,
  );

  const chained = await h.run(attack('map-over-map', 'inputs.l.map(x, x).map(y, inputs.s)'), {
    inputs: { l: range(2000), s: ONE_MB_STRING },
  });
  const t2 = await expectLimitHandled(chained, 'maxValueBytes');
  timings.push(`map over map: step ${t2.stepMs} ms, longest workflow task ${t2.longestTaskMs.toFixed(0)} ms`);

  // A loop that builds nothing but scans a 1 MB string per item runs out of operations instead.
  const scan = await h.run(attack('scan', "inputs.l.exists(x, inputs.s.lowerAscii() == 'y')"), {
    inputs: { l: range(2000), s: ONE_MB_STRING },
  });
  const t3 = await expectLimitHandled(scan, 'maxOperations');
  timings.push(
    `scan 1 MB per item: step ${t3.stepMs} ms, longest workflow task ${t3.longestTaskMs.toFixed(0)} ms`,
  );
});

test('a macro nested inside another macro is refused before the run starts, naming the step', async () => {
  await expect(
    h.start(attack('nested', 'inputs.l.map(x, inputs.l.map(y, inputs.s))'), { inputs: { l: [1], s: 'x' } }),
  ).rejects.toThrow(PipelineValidationError);
  await expect(
    h.start(attack('nested', 'inputs.l.map(x, inputs.l.map(y, inputs.s))'), { inputs: { l: [1], s: 'x' } }),
  ).rejects.toThrow(/steps\[2\]\.params\.expression: .*cannot be used inside another macro/);
});

test('a template "{{ inputs.s }}{{ inputs.s }}…" past 1 MiB fails its step; with allow_failure the run goes on and completes', async () => {
  const outcome = await h.run(
    {
      name: 'template-blow-up',
      steps: [
        input('s', 'string'),
        {
          id: 'say',
          action: 'log',
          params: { message: '{{ inputs.s }}{{ inputs.s }}{{ inputs.s }}' },
          allow_failure: true,
        },
        {
          id: 'after',
          action: 'output',
          params: { value: "{{ steps.say.status + ' and on' }}" },
          condition: "steps.say.status == 'failed'",
        },
      ],
    },
    { inputs: { s: 'y'.repeat(400_000) } },
  );
  expect(outcome.snapshot.nodes.say).toMatchObject({ status: 'failed', error: { code: 'EvaluationLimit' } });
  expect(outcome.snapshot.nodes.say!.error!.message).toContain(
    `went past the evaluation limit maxValueBytes (${EVALUATION_LIMITS.maxValueBytes}): the template renders more than 1.0 MiB`,
  );
  // allow_failure: the step's failure does not fail the run; a step reading its status runs.
  expect(outcome.snapshot.status).toBe('completed');
  expect(outcome.outputs).toEqual({ after: 'failed and on' });
  expect((await workflowTasks(outcome)).failedOrTimedOut).toBe(0);
});

test('a condition past a limit fails its step (fail_fast cancels the rest)', async () => {
  const outcome = await h.run(
    {
      name: 'condition-blow-up',
      fail_fast: true,
      steps: [
        input('s', 'string'),
        { id: 'gate', action: 'transform', params: { value: 1 }, condition: 'size(inputs.s + inputs.s) > 0' },
        { id: 'slow', action: 'delay', params: { duration: '30s' } },
      ],
    },
    { inputs: { s: 'z'.repeat(600_000) } },
  );
  expect(outcome.snapshot.nodes.gate).toMatchObject({ status: 'failed', error: { code: 'EvaluationLimit' } });
  expect(outcome.snapshot.status).toBe('failed');
  expect(outcome.snapshot.nodes.slow!.status).toBe('cancelled');
});

test('many steps each just under the limit do not add up in one workflow task: the run yields with a timer and completes', async () => {
  // Each transform scans a 100 KB string 70 times: ~1.75 million operations, under its own limit;
  // 40 of them are 70 million, past what one workflow task may do (10 million).
  const steps: unknown[] = [input('l', 'array'), input('s', 'string')];
  for (let i = 0; i < 40; i++) {
    steps.push({
      id: `scan_${i}`,
      action: 'transform',
      params: { expression: "inputs.l.exists(x, inputs.s.lowerAscii() == 'y')" },
    });
  }
  const outcome = await h.run(
    { name: 'many-scans', steps },
    { inputs: { l: range(70), s: 'x'.repeat(100_000) } },
  );
  expect(outcome.snapshot.status).toBe('completed');
  for (let i = 0; i < 40; i++) expect(outcome.snapshot.nodes[`scan_${i}`]).toMatchObject({ output: false });
  const events = (await outcome.handle.fetchHistory()).events ?? [];
  const timers = events.filter((e) => e.timerStartedEventAttributes).length;
  expect(timers).toBeGreaterThanOrEqual(5);
  const tasks = await workflowTasks(outcome);
  expect(tasks.failedOrTimedOut).toBe(0);
  timings.push(
    `40 steps × 1.75 M operations: ${timers} yields, longest workflow task ${tasks.longestMs.toFixed(0)} ms`,
  );
});

test("a map's items are bounded the same way: their inline work yields in the map workflow, which completes", async () => {
  const outcome = await h.run(
    {
      name: 'map-scans',
      steps: [
        input('l', 'array'),
        input('s', 'string'),
        {
          id: 'scans',
          action: 'map',
          params: {
            items: '{{ inputs.l }}',
            concurrency: 40,
            step: {
              action: 'transform',
              params: { expression: 'inputs.l.exists(x, inputs.s.lowerAscii() == string(item))' },
            },
          },
        },
      ],
    },
    {
      inputs: {
        l: range(40)
          .map(() => 0)
          .concat(range(30)),
        s: 'x'.repeat(100_000),
      },
    },
  );
  expect(outcome.snapshot.status).toBe('completed');
  const output = outcome.snapshot.nodes.scans!.output as { results: unknown[]; executionId: string };
  expect(output.results).toEqual(range(70).map(() => false));
  const mapHistory = await h.client.workflow.getHandle(output.executionId).fetchHistory();
  const events = mapHistory.events ?? [];
  const timers = events.filter((e) => e.timerStartedEventAttributes).length;
  expect(timers).toBeGreaterThanOrEqual(5);
  expect(events.filter(isFailedTask)).toHaveLength(0);
  timings.push(`map of 70 items × 1.75 M operations: ${timers} yields in the map workflow`);
});

/** Latency percentiles of `n` ordinary runs started together, ms. */
async function ordinaryRuns(n: number, during: Promise<unknown> = Promise.resolve()) {
  const document = {
    name: 'ordinary',
    steps: [
      input('items', 'array'),
      { id: 'double', action: 'transform', params: { expression: 'inputs.items.map(x, x * 2)' } },
      { id: 'total', action: 'transform', params: { expression: 'steps.double.output.size()' } },
      { id: 'out', action: 'output', params: { value: 'total {{ steps.total.output }}' } },
    ],
  };
  const latencies = await Promise.all(
    range(n).map(async () => {
      const started = performance.now();
      const outcome = await h.run(document, { inputs: { items: range(100) } });
      expect(outcome.snapshot.status).toBe('completed');
      expect(outcome.outputs).toEqual({ out: 'total 100' });
      return performance.now() - started;
    }),
  );
  await during;
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
  return { p50: at(50), p99: at(99) };
}

test('50 ordinary runs on the same worker all complete while attacks run beside them (p50/p99 logged)', async () => {
  const quiet = await ordinaryRuns(50);
  const attacks = Promise.all(
    range(5).map((i) =>
      h.run(attack(`attack-${i}`, 'inputs.l.map(x, inputs.s)'), {
        inputs: { l: range(2000), s: ONE_MB_STRING },
      }),
    ),
  );
  const loaded = await ordinaryRuns(50, attacks);
  const attacked: RunSnapshot[] = (await attacks).map((o) => o.snapshot);
  for (const snapshot of attacked) {
    expect(snapshot.status).toBe('failed');
    expect(snapshot.nodes.blow_up!.error!.code).toBe('EvaluationLimit');
  }
  timings.push(
    `50 ordinary runs, quiet worker: p50 ${quiet.p50.toFixed(0)} ms, p99 ${quiet.p99.toFixed(0)} ms; ` +
      `beside 5 attacks: p50 ${loaded.p50.toFixed(0)} ms, p99 ${loaded.p99.toFixed(0)} ms ` +
      `(p99 ratio ${(loaded.p99 / quiet.p99).toFixed(2)})`,
  );
});
