/**
 * Human in the loop (issue 9 item 2) on a real Temporal server: a `wait_for_event` step pauses the
 * run until an event arrives through `client.executions.signal` / `run.sendEvent` (a Temporal
 * update whose validator refuses bad events without touching history), or its timeout passes.
 */
import { connect, type PipelinesClient } from '../../src/client/connect';
import { EventRejectedError } from '../../src/client/errors';
import { APPROVAL_SCHEMA } from '../../src/model';
import { queryRunSnapshot } from '../../src/client/runs/runSnapshot';
import type { PipelineRunHandle } from '../../src/client/runs/startRun';
import type { NodeSnapshot } from '../../src/protocol/messages/runMessages';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';
import { eventually } from '../support/eventually';

let h: PipelineHarness;
let client: PipelinesClient;

beforeAll(async () => {
  h = await startPipelineHarness();
  client = await connect({ address: sharedTestEnv().address, taskQueue: h.taskQueue });
});
afterAll(async () => {
  await client?.close();
  await h?.close();
});

/** draft → approve (wait) → decide → publish | discard → out. */
const approvalFlow = (approve: Record<string, unknown> = {}) => ({
  name: 'hitl-approval',
  steps: [
    { id: 'draft', action: 'transform', params: { value: 'Ship v2 on Friday' } },
    {
      id: 'approve',
      action: 'wait_for_event',
      params: {
        event: 'approval',
        prompt: "Publish '{{ steps.draft.output }}'?",
        schema: APPROVAL_SCHEMA,
        timeout: '1h',
        ...approve,
      },
    },
    {
      id: 'decide',
      action: 'condition',
      params: {
        condition: 'steps.approve.output.payload.approved',
        on_true: 'publish',
        on_false: 'discard',
      },
    },
    { id: 'publish', action: 'transform', params: { value: 'published: {{ steps.draft.output }}' } },
    { id: 'discard', action: 'transform', params: { value: 'discarded' } },
  ],
});

/** Polls the run's status until `node` waits for its event. */
async function untilWaiting(handle: PipelineRunHandle, node: string): Promise<NodeSnapshot> {
  const snapshot = await eventually(
    () => queryRunSnapshot(handle).catch(() => undefined),
    (s) => s?.nodes[node]?.waitingFor !== undefined,
    20_000,
  );
  const step = snapshot?.nodes[node];
  expect(step?.waitingFor).toBeDefined();
  return step!;
}

const rejection = (promise: Promise<unknown>): Promise<EventRejectedError> =>
  promise.then(
    () => {
      throw new Error('expected the event to be refused');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(EventRejectedError);
      return err as EventRejectedError;
    },
  );

test('an approval that arrives becomes the step output and the run takes the approved branch; status shows the wait meanwhile', async () => {
  const handle = await h.start(approvalFlow());
  const waiting = await untilWaiting(handle, 'approve');
  expect(waiting.status).toBe('running');
  expect(waiting.waitingFor).toMatchObject({
    event: 'approval',
    prompt: "Publish 'Ship v2 on Friday'?",
    schema: APPROVAL_SCHEMA,
    onTimeout: 'fail',
  });
  const since = Date.parse(waiting.waitingFor!.since);
  expect(Date.parse(waiting.waitingFor!.timeoutAt!) - since).toBe(3_600_000);

  // The executions API shows the same, and the Web UI's current details say what the run waits for.
  const execution = await client.executions.get(handle.workflowId);
  expect(execution.status).toBe('running');
  expect(execution.steps.approve!.waitingFor).toMatchObject({ event: 'approval' });
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toContain('waiting for an event: approve (approval)');

  const accepted = await client.executions.signal(handle.workflowId, {
    node: 'approve',
    payload: { approved: true, comment: 'go' },
    by: 'ada',
  });
  expect(accepted).toMatchObject({ node: 'approve', event: 'approval' });

  const { outputs } = await handle.result();
  const snapshot = await queryRunSnapshot(handle);
  expect(snapshot.status).toBe('completed');
  expect(snapshot.nodes.approve).toMatchObject({
    status: 'completed',
    output: {
      payload: { approved: true, comment: 'go' },
      timedOut: false,
      receivedAt: accepted.receivedAt,
      by: 'ada',
    },
  });
  expect(snapshot.nodes.approve!.waitingFor).toBeUndefined();
  expect(snapshot.nodes.publish).toMatchObject({ status: 'completed' });
  expect(snapshot.nodes.discard).toMatchObject({ status: 'skipped', skipReason: 'branch not taken: decide' });
  expect(outputs).toEqual({ publish: 'published: Ship v2 on Friday' });
  expect(snapshot.logs.map((l) => l.message)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^step approve waits for event 'approval' until /),
      "step approve received event 'approval' from ada",
    ]),
  );
});

test('a rejection sent through the run handle takes the other branch', async () => {
  const handle = await h.start(approvalFlow({ timeout: undefined }));
  const waiting = await untilWaiting(handle, 'approve');
  // Without a timeout the step waits until an event arrives.
  expect(waiting.waitingFor!.timeoutAt).toBeUndefined();
  await client.runs.get(handle.workflowId).sendEvent('approve', { approved: false });
  const { outputs } = await handle.result();
  expect(outputs).toEqual({ discard: 'discarded' });
});

test("a wait that times out fails the step with EventTimeout (on_timeout 'fail')", async () => {
  const outcome = await h.run(approvalFlow({ timeout: '2s' }));
  expect(outcome.failure).toBeDefined();
  expect(outcome.snapshot.status).toBe('failed');
  expect(outcome.snapshot.nodes.approve).toMatchObject({
    status: 'failed',
    error: { code: 'EventTimeout', message: "no event 'approval' arrived within 2 s" },
  });
  expect(outcome.snapshot.nodes.decide!.status).toBe('skipped');
  expect(outcome.snapshot.error).toMatchObject({ nodeId: 'approve' });
});

test("a wait that times out with on_timeout 'default' completes with the default", async () => {
  const outcome = await h.run(
    approvalFlow({
      timeout: '2s',
      on_timeout: 'default',
      default: { approved: false, comment: 'nobody answered' },
    }),
  );
  expect(outcome.snapshot.status).toBe('completed');
  expect(outcome.snapshot.nodes.approve).toMatchObject({
    status: 'completed',
    output: {
      payload: { approved: false, comment: 'nobody answered' },
      timedOut: true,
      receivedAt: null,
      by: null,
    },
  });
  expect(outcome.outputs).toEqual({ discard: 'discarded' });
});

test('bad events are refused without a trace in history; the step keeps waiting and a good one then works', async () => {
  const handle = await h.start({
    name: 'hitl-rejections',
    steps: [
      { id: 'first', action: 'wait_for_event', params: { schema: APPROVAL_SCHEMA } },
      { id: 'later', action: 'wait_for_event', params: {}, depends_on: ['first'] },
      { id: 'note', action: 'log', params: { message: 'hello' }, depends_on: ['later'] },
    ],
  });
  await untilWaiting(handle, 'first');
  const eventsBefore = (await handle.fetchHistory()).events?.length ?? 0;
  const send = (node: string, payload: unknown) =>
    rejection(client.executions.signal(handle.workflowId, { node, payload }));

  const wrongType = await send('first', { approved: 'yes' });
  expect(wrongType).toMatchObject({
    reason: 'invalid_payload',
    node: 'first',
    executionId: handle.workflowId,
    issues: [{ path: ['approved'], message: 'payload.approved must be a boolean, got a string' }],
  });
  expect(wrongType.message).toContain('payload.approved must be a boolean');

  const missing = await send('first', { comment: 'looks good' });
  expect(missing.issues).toEqual([{ path: ['approved'], message: 'payload.approved is required' }]);

  const unknown = await send('firstt', { approved: true });
  expect(unknown.reason).toBe('unknown_step');
  expect(unknown.message).toContain("Did you mean 'first'?");

  expect((await send('note', {})).reason).toBe('not_an_event_step');

  const early = await send('later', {});
  expect(early.reason).toBe('not_waiting');
  expect(early.message).toContain('has not started waiting yet');

  // Nothing of the refused events is in the history, and the step still waits.
  expect((await handle.fetchHistory()).events?.length ?? 0).toBe(eventsBefore);
  expect((await queryRunSnapshot(handle)).nodes.first!.status).toBe('running');

  await client.executions.signal(handle.workflowId, { node: 'first', payload: { approved: true } });
  // A second event for a step that has its event is refused too.
  const again = await send('first', { approved: false });
  expect(again.reason).toBe('not_waiting');

  await untilWaiting(handle, 'later');
  await client.executions.signal(handle.workflowId, { node: 'later', payload: ['any', 'shape'] });
  await handle.result();
  const snapshot = await queryRunSnapshot(handle);
  expect(snapshot.nodes.first!.output).toMatchObject({ payload: { approved: true } });
  expect(snapshot.nodes.later!.output).toMatchObject({ payload: ['any', 'shape'], by: null });

  // Once the run has ended, an event is refused as such.
  expect((await send('later', {})).reason).toBe('run_closed');
});

test('cancelling a run while a step waits cancels the step and the run', async () => {
  const handle = await h.start(approvalFlow());
  await untilWaiting(handle, 'approve');
  await client.executions.cancel(handle.workflowId);
  const execution = await eventually(
    () => client.executions.get(handle.workflowId),
    (e) => e.status === 'cancelled',
    20_000,
  );
  expect(execution.status).toBe('cancelled');
  expect(execution.steps.approve).toMatchObject({ status: 'cancelled' });
  expect(execution.steps.approve!.waitingFor).toBeUndefined();
  expect(execution.steps.publish!.status).toBe('cancelled');
});

test('fail_fast: a step that fails while another waits cancels the wait', async () => {
  const outcome = await h.run({
    name: 'hitl-fail-fast',
    fail_fast: true,
    steps: [
      { id: 'approve', action: 'wait_for_event', params: {} },
      { id: 'pause', action: 'delay', params: { duration: '300ms' } },
      { id: 'broken', action: 'transform', params: { expression: '1 / 0' }, depends_on: ['pause'] },
    ],
  });
  expect(outcome.snapshot.status).toBe('failed');
  expect(outcome.snapshot.nodes.broken!.status).toBe('failed');
  expect(outcome.snapshot.nodes.approve!.status).toBe('cancelled');
});
