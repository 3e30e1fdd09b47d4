/**
 * The `notification` activity with real HTTP against the recorder.
 */
import { createActivities } from '../../../src/activities';
import { startHttpRecorder, type HttpRecorder } from '../../support/httpRecorder';
import { TRACE_ID, detailsOf, failureOf, mockEnv, nodeInput, runNode } from './support';

let rec: HttpRecorder;
beforeAll(async () => {
  rec = await startHttpRecorder();
});
afterAll(async () => {
  await rec.close();
});
beforeEach(() => rec.reset());

const activities = () =>
  createActivities({
    env: {},
    egress: { allow: ['loopback'] },
    webhooks: { ops: rec.url('/hooks/ops/T000/SECRETPATH') },
    secrets: (n) => (n === 'HOOK_TOKEN' ? 'hook-secret' : undefined),
  });
const notify = (params: Record<string, unknown>) =>
  runNode(mockEnv().env, activities().notification!, nodeInput(params));

test('posts the message to an explicit url with run metadata', async () => {
  const before = Date.now();
  const result = await notify({
    url: rec.url('/direct'),
    message: 'Deployment failed',
    payload: { service: 'api', replicas: 3 },
    headers: { 'x-token': '{{ secrets.HOOK_TOKEN }}' },
  });
  expect(result).toEqual({
    output: { status: 200, delivered: true },
    attempt: 1,
    metrics: expect.any(Object),
  });
  const [req] = rec.requestsTo('/direct');
  expect(req!.method).toBe('POST');
  expect(req!.headers['content-type']).toBe('application/json');
  expect(req!.headers['x-token']).toBe('hook-secret');
  expect(req!.headers['idempotency-key']).toBe('task-123/step_1');
  expect(req!.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  expect(req!.body).toEqual({
    message: 'Deployment failed',
    channel: null,
    payload: { service: 'api', replicas: 3 },
    pipeline: 'unit-pipeline',
    taskId: 'task-123',
    nodeId: 'step_1',
    sentAt: expect.any(String),
  });
  expect(Date.parse(req!.body.sentAt)).toBeGreaterThanOrEqual(before - 1000);
});

test("posts to the worker's webhook for the channel; the answer's status is reported", async () => {
  rec.route('/hooks/ops/T000/SECRETPATH', { status: 202, text: 'accepted' });
  const result = await notify({ channel: 'ops', message: 'done' });
  expect(result.output).toEqual({ status: 202, delivered: true });
  const [req] = rec.requestsTo('/hooks/ops/T000/SECRETPATH');
  expect(req!.body).toMatchObject({ message: 'done', channel: 'ops', payload: null });
});

test('url wins over channel', async () => {
  await notify({ url: rec.url('/direct'), channel: 'ops', message: 'x' });
  expect(rec.requestsTo('/direct')).toHaveLength(1);
  expect(rec.requestsTo('/hooks/ops/T000/SECRETPATH')).toHaveLength(0);
});

test('no url and an unknown or missing channel → NodeConfigError, nothing sent', async () => {
  const unknown = await failureOf(notify({ channel: 'slack', message: 'x' }));
  expect(unknown).toMatchObject({ type: 'NodeConfigError', nonRetryable: true });
  expect(unknown.message).toContain('channel "slack" has no webhook on this worker (configured: ops)');
  const neither = await failureOf(notify({ message: 'x' }));
  expect(neither.message).toContain('needs `url` or `channel`');
  expect(rec.requests).toHaveLength(0);
});

test('a failing webhook is classified, without the webhook path (it may hold a token) in the message', async () => {
  rec.script('/hooks/ops/T000/SECRETPATH', { status: 503, text: 'down', headers: { 'retry-after': '3' } });
  const failure = await failureOf(notify({ channel: 'ops', message: 'x' }));
  expect(failure).toMatchObject({ type: 'UpstreamUnavailable', nonRetryable: false, nextRetryDelay: 3000 });
  expect(detailsOf(failure).status).toBe(503);
  expect(failure.message).toContain('(channel "ops")');
  expect(failure.message).not.toContain('SECRETPATH');
});
