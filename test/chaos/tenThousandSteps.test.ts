/**
 * Scale (issue 6 item 9): one run of a 10,000-step pipeline, half of its steps activities, completes
 * with the outputs a reference evaluator predicts, and no history of it reaches Temporal's
 * 10,240-event warning: the run continues as new with its state, under one workflow id.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { queryRunSnapshot } from '../../src/client/runs/runSnapshot';
import { startPipelineRun } from '../../src/client/runs/startRun';
import { startLocalServer, type LocalServer } from '../../src/dev/localServer';
import { defineAction, MAX_STEPS } from '../../src/model';
import { createPipelineWorker } from '../../src/worker';
import { prepareChaosScratch, report, type ChaosScratch } from './support/chaosEnv';

const LANES = 50;
const TEMPORAL_EVENT_WARNING = 10_240;

let calls = 0;
const addOne = defineAction({
  name: 'add_one',
  params: z.object({ value: z.number() }),
  run: ({ value }) => {
    calls++;
    return Promise.resolve({ value: value + 1 });
  },
});

interface Middle {
  id: string;
  lane: number;
  kind: 'add_one' | 'transform';
  prev?: string;
}

/**
 * input `n` → 9,997 steps dealt round-robin to 50 lanes, alternating an `add_one` activity and a
 * `transform` (+2) within each lane → a `sum` transform over the lanes' last steps → output.
 */
function bigPipeline(): { document: unknown; middle: Middle[]; laneEnds: string[] } {
  const middle: Middle[] = [];
  const last: Array<Middle | undefined> = Array.from({ length: LANES }, () => undefined);
  for (let j = 0; j < MAX_STEPS - 3; j++) {
    const lane = j % LANES;
    const position = Math.floor(j / LANES);
    const step: Middle = {
      id: `l${lane}_${position}`,
      lane,
      kind: position % 2 === 0 ? 'add_one' : 'transform',
      prev: last[lane]?.id,
    };
    middle.push(step);
    last[lane] = step;
  }
  const read = (step: Middle | undefined) =>
    step === undefined
      ? 'steps.n.output.value'
      : step.kind === 'add_one'
        ? `steps.${step.id}.output.value`
        : `steps.${step.id}.output`;
  const byId = new Map(middle.map((m) => [m.id, m]));
  const laneEnds = last.map((m) => m!.id);
  const steps: unknown[] = [
    { id: 'n', action: 'input', params: { type: 'integer' } },
    ...middle.map((m) => {
      const from = read(m.prev === undefined ? undefined : byId.get(m.prev));
      return m.kind === 'add_one'
        ? { id: m.id, action: 'add_one', params: { value: `{{ ${from} }}` } }
        : { id: m.id, action: 'transform', params: { expression: `${from} + 2` } };
    }),
    {
      id: 'sum',
      action: 'transform',
      params: { expression: laneEnds.map((id) => read(byId.get(id))).join(' + ') },
    },
    { id: 'total', action: 'output', params: { value: '{{ steps.sum.output }}' } },
  ];
  return { document: { name: 'ten_thousand_steps', steps }, middle, laneEnds };
}

/** The reference evaluator: every step's value, computed without the engine. */
function expectedValues(n: number, middle: Middle[], laneEnds: string[]) {
  const values = new Map<string, number>();
  for (const m of middle) {
    const from = m.prev === undefined ? n : values.get(m.prev)!;
    values.set(m.id, m.kind === 'add_one' ? from + 1 : from + 2);
  }
  return { values, total: laneEnds.reduce((sum, id) => sum + values.get(id)!, 0) };
}

let scratch: ChaosScratch;
let server: LocalServer;
let native: NativeConnection;
let connection: Connection;

afterAll(async () => {
  await connection?.close();
  await native?.close();
  await server?.stop();
  scratch?.remove();
}, 60_000);

test(`a ${MAX_STEPS.toLocaleString('en')}-step run completes with no history past ${TEMPORAL_EVENT_WARNING.toLocaleString('en')} events`, async () => {
  [scratch, server] = await Promise.all([prepareChaosScratch(), startLocalServer({ uiPort: false })]);
  native = await NativeConnection.connect({ address: server.address });
  // Pages of these histories exceed gRPC's default 4 MB message limit (the 1.3 MB plan is in the
  // start and continue-as-new events): let the client read them.
  connection = await Connection.connect({
    address: server.address,
    channelArgs: { 'grpc.max_receive_message_length': 64 * 2 ** 20 },
  });
  const client = new Client({ connection, namespace: server.namespace });
  const taskQueue = `scale-${randomBytes(3).toString('hex')}`;
  const worker = await createPipelineWorker({
    connection: native,
    taskQueue,
    workflowBundle: { code: readFileSync(scratch.bundlePath, 'utf8') },
    activities: { actions: [addOne] },
  });
  const { document, middle, laneEnds } = bigPipeline();
  const expected = expectedValues(7, middle, laneEnds);

  const started = Date.now();
  const { handle, result, snapshot } = await worker.runUntil(async () => {
    const handle = await startPipelineRun(client, document, {
      taskQueue,
      inputs: { n: 7 },
      actions: { add_one: addOne },
    });
    const result = await handle.result();
    return { handle, result, snapshot: await queryRunSnapshot(handle) };
  });
  const seconds = (Date.now() - started) / 1000;

  expect(result.outputs).toEqual({ total: expected.total });
  const activities = middle.filter((m) => m.kind === 'add_one').length;
  expect(calls).toBe(activities);

  // Every step, through the paged status query: completed, with the value the evaluator predicts
  // where the run still holds it.
  expect(Object.keys(snapshot.nodes)).toHaveLength(MAX_STEPS);
  expect(snapshot.completedSteps).toBe(MAX_STEPS);
  let outputsHeld = 0;
  for (const m of middle) {
    const node = snapshot.nodes[m.id]!;
    expect(node.status).toBe('completed');
    if (node.outputDropped) continue;
    outputsHeld++;
    const value = m.kind === 'add_one' ? (node.output as { value: number }).value : node.output;
    expect(value).toBe(expected.values.get(m.id));
  }

  // The run's histories, first to last.
  const histories: number[] = [];
  const sizes: number[] = [];
  const bytesByType = new Map<string, number>();
  let runId: string | undefined = (handle as WorkflowHandleWithFirstExecutionRunId).firstExecutionRunId;
  while (runId !== undefined) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(handle.workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    histories.push(events.length);
    sizes.push(temporal.api.history.v1.History.encode(history).finish().length);
    for (const event of events) {
      const type = String(event.eventType);
      bytesByType.set(
        type,
        (bytesByType.get(type) ?? 0) + temporal.api.history.v1.HistoryEvent.encode(event).finish().length,
      );
    }
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  expect(histories.length).toBeGreaterThan(1);
  expect(Math.max(...histories)).toBeLessThan(TEMPORAL_EVENT_WARNING);
  expect(snapshot.continuations).toBe(histories.length - 1);

  const startInput = Buffer.byteLength(JSON.stringify((document as { steps: unknown[] }).steps));
  report(`${MAX_STEPS.toLocaleString('en')}-step run`, {
    steps: `${MAX_STEPS} (${activities} activities, ${MAX_STEPS - activities} pure)`,
    'completed in': `${seconds.toFixed(1)} s (${Math.round(activities / seconds)} activities/s)`,
    histories: histories.length,
    'events per history': histories.join(', '),
    'events in all': histories.reduce((a, b) => a + b, 0),
    'history size per run (MB, protobuf)': sizes.map((s) => (s / 2 ** 20).toFixed(1)).join(', '),
    'definition JSON': `${(startInput / 2 ** 20).toFixed(2)} MB`,
    'history bytes by event type (MB)': Object.fromEntries(
      [...bytesByType]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([t, b]) => [t, +(b / 2 ** 20).toFixed(1)]),
    ),
    'outputs still held at the end': `${outputsHeld} of ${middle.length}`,
  });
}, 900_000);
