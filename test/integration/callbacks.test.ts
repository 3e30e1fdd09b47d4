/**
 * End-of-run callbacks on a real server: which URL is told what, signatures, delivery retries,
 * and a failing receiver that never changes the run's outcome.
 */
import { createHmac } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { verifyCallbackSignature } from '../../src/client/callbacks/callbackSignature';
import type { PipelineCallbackBody } from '../../src/protocol';
import { statusQuery } from '../../src/protocol/messages/runMessages';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';
import { eventually } from '../support/eventually';

const SECRET = 'callback-test-secret';

let h: PipelineHarness;
let http: HttpRecorder;

beforeAll(async () => {
  http = await startHttpRecorder();
  h = await startPipelineHarness({ callbackSecret: SECRET });
});
afterAll(async () => {
  await h?.close();
  await http?.close();
});
beforeEach(() => http.reset());

const callbacks = () => ({ onComplete: http.url('/done'), onFailure: http.url('/failed') });

const greeting = {
  name: 'callback-greeting',
  steps: [
    { id: 'hello', action: 'transform', params: { value: 'hello' } },
    { id: 'out', action: 'output', params: { name: 'greeting', value: '{{ steps.hello.output }}' } },
  ],
};

/** A run that waits until it is cancelled or terminated. */
const waiting = {
  name: 'callback-waiting',
  steps: [{ id: 'wait', action: 'delay', params: { duration: '10m' } }],
};

async function untilRunning(handle: Awaited<ReturnType<PipelineHarness['start']>>): Promise<void> {
  const snapshot = await eventually(
    () => handle.query(statusQuery).catch(() => undefined),
    (s) => s?.nodes.wait?.status === 'running',
  );
  expect(snapshot?.nodes.wait?.status).toBe('running');
}

test('a completed run POSTs its outcome to onComplete, signed; the secret is not in history', async () => {
  const { handle, snapshot, outputs } = await h.run(greeting, { callbacks: callbacks() });
  expect(outputs).toEqual({ greeting: 'hello' });
  const [request] = http.requestsTo('/done');
  expect(http.requestsTo('/done')).toHaveLength(1);
  expect(http.requestsTo('/failed')).toHaveLength(0);
  expect(request!.method).toBe('POST');
  expect(request!.headers['idempotency-key']).toBe(`${handle.workflowId}:callback`);
  expect(request!.headers.traceparent).toMatch(new RegExp(`^00-${snapshot.traceId}-[0-9a-f]{16}-01$`));
  const body = request!.body as unknown as PipelineCallbackBody;
  expect(body.deliveryId).toMatch(/^[0-9a-f]{32}$/);
  expect(request!.headers['x-pipeline-delivery']).toBe(body.deliveryId);
  expect(body).toEqual({
    deliveryId: body.deliveryId,
    executionId: handle.workflowId,
    pipelineId: 'callback-greeting',
    pipelineVersion: snapshot.definitionHash.slice(0, 12),
    status: 'completed',
    outputs: { greeting: 'hello' },
    completedAt: snapshot.completedAt,
  });
  expect(snapshot.callback).toEqual({ url: http.url('/done'), status: 'delivered', attempts: 1 });

  // The signature verifies with the worker's secret and with no other.
  const header = request!.headers['x-pipeline-signature'] as string;
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)!;
  expect(createHmac('sha256', SECRET).update(`${t}.${request!.rawBody}`).digest('hex')).toBe(v1);
  expect(verifyCallbackSignature({ body: request!.rawBody, header, secret: SECRET })).toBe(true);
  expect(verifyCallbackSignature({ body: request!.rawBody, header, secret: 'another-secret' })).toBe(false);

  // Every byte of the run's history (payloads included, as stored).
  const history = temporal.api.history.v1.History.encode(await handle.fetchHistory()).finish();
  expect(Buffer.from(history).toString('latin1')).toContain(http.url('/done'));
  expect(Buffer.from(history).toString('latin1')).not.toContain(SECRET);
});

test('a failed run POSTs to onFailure with the failing step, its attempts and the cause', async () => {
  http.route('/reject', { status: 400, text: 'no such thing' });
  const { handle, snapshot, failure } = await h.run(
    {
      name: 'callback-failing',
      steps: [
        { id: 'first', action: 'transform', params: { value: 1 } },
        { id: 'fetch', action: 'api_call', params: { url: http.url('/reject') }, depends_on: ['first'] },
      ],
    },
    { callbacks: callbacks() },
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect(snapshot.status).toBe('failed');
  expect(http.requestsTo('/done')).toHaveLength(0);
  const body = http.requestsTo('/failed')[0]!.body as unknown as PipelineCallbackBody;
  expect(body).toMatchObject({
    executionId: handle.workflowId,
    pipelineId: 'callback-failing',
    status: 'failed',
    error: { stepId: 'fetch', attempts: 1, message: expect.stringContaining('400') },
    completedAt: snapshot.completedAt,
  });
  expect(snapshot.callback).toMatchObject({ status: 'delivered', attempts: 1 });
});

test('a cancelled run reports to onFailure with status cancelled', async () => {
  const handle = await h.start(waiting, { callbacks: callbacks() });
  await untilRunning(handle);
  await handle.cancel();
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const body = http.requestsTo('/failed')[0]!.body as unknown as PipelineCallbackBody;
  expect(body).toMatchObject({ executionId: handle.workflowId, status: 'cancelled' });
  expect(body.error).toBeUndefined();
  const snapshot = await handle.query(statusQuery);
  expect(snapshot.status).toBe('cancelled');
  expect(snapshot.callback).toMatchObject({ status: 'delivered', attempts: 1 });
});

test('a terminated run runs no more workflow code, so it sends no callback', async () => {
  const handle = await h.start(waiting, { callbacks: callbacks() });
  await untilRunning(handle);
  await handle.terminate('test');
  // The closed history is the proof: it ends with the termination and never scheduled an activity,
  // so no delivery was attempted and none can be now.
  const { events } = await handle.fetchHistory();
  const types = events!.map((e) => e.eventType);
  expect(types.at(-1)).toBe(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  expect(types).not.toContain(temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  // And a run after it, on the same worker, is the only one the receiver hears from.
  const { handle: later } = await h.run(greeting, { callbacks: callbacks() });
  expect(http.requests.map((r) => r.path)).toEqual(['/done']);
  expect((http.requests[0]!.body as unknown as PipelineCallbackBody).executionId).toBe(later.workflowId);
});

test('a receiver answering 500 twice then 200 gets the callback on the third attempt', async () => {
  http.script('/done', { status: 500, text: 'down' }, { status: 500, text: 'still down' });
  const { snapshot } = await h.run(greeting, { callbacks: callbacks() });
  expect(http.requestsTo('/done')).toHaveLength(3);
  expect(snapshot.callback).toEqual({ url: http.url('/done'), status: 'delivered', attempts: 3 });
  // Each attempt is signed afresh, and each signature verifies.
  for (const r of http.requestsTo('/done')) {
    const header = r.headers['x-pipeline-signature'] as string;
    expect(verifyCallbackSignature({ body: r.rawBody, header, secret: SECRET })).toBe(true);
  }
  // One delivery, one id: every attempt carries it (signed, in the body) so a receiver can drop repeats.
  const ids = http.requestsTo('/done').map((r) => (r.body as unknown as PipelineCallbackBody).deliveryId);
  expect(new Set(ids).size).toBe(1);
  expect(http.requestsTo('/done').map((r) => r.headers['x-pipeline-delivery'])).toEqual(ids);

  // Another run's delivery has another id.
  http.reset();
  await h.run(greeting, { callbacks: callbacks() });
  const next = http.requestsTo('/done')[0]!.body as unknown as PipelineCallbackBody;
  expect(next.deliveryId).toMatch(/^[0-9a-f]{32}$/);
  expect(next.deliveryId).not.toBe(ids[0]);
});

test('a receiver that always fails never changes the run: still completed, callback failed, logged', async () => {
  http.route('/done', { status: 500, text: 'broken receiver' });
  const { snapshot, outputs, failure } = await h.run(greeting, {
    callbacks: { onComplete: http.url('/done'), maxAttempts: 2 },
  });
  expect(failure).toBeUndefined();
  expect(outputs).toEqual({ greeting: 'hello' });
  expect(snapshot.status).toBe('completed');
  expect(http.requestsTo('/done')).toHaveLength(2);
  expect(snapshot.callback).toEqual({
    url: http.url('/done'),
    status: 'failed',
    attempts: 2,
    error: expect.stringContaining('500'),
  });
  const entry = snapshot.logs.find((l) => l.level === 'error' && l.message.includes('callback'));
  expect(entry).toMatchObject({ source: 'engine', message: expect.stringContaining('after 2 attempt(s)') });
});

test('a run with no URL for how it ended sends nothing', async () => {
  const { snapshot } = await h.run(greeting, { callbacks: { onFailure: http.url('/failed') } });
  expect(snapshot.status).toBe('completed');
  expect(snapshot.callback).toBeUndefined();
  expect(http.requests).toHaveLength(0);
});
