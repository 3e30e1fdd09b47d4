/**
 * Failure semantics on a real server: retries with backoff, failure handlers, allow_failure,
 * fail_fast, and cancellation reaching in-flight activities.
 */
import { ApplicationFailure } from '@temporalio/common';
import { startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { statusQuery } from '../../src/protocol/messages/runMessages';

let h: PipelineHarness;
let http: HttpRecorder;

beforeAll(async () => {
  http = await startHttpRecorder();
  h = await startPipelineHarness();
});
afterAll(async () => {
  await h?.close();
  await http?.close();
});
beforeEach(() => http.reset());

test('transient 5xx are retried with backoff; the attempt count is recorded', async () => {
  http.script(
    '/flaky',
    { status: 500, text: 'boom' },
    { status: 503, text: 'busy' },
    { json: { value: 42 } },
  );
  const { snapshot, outputs } = await h.run({
    steps: [
      {
        id: 'fetch',
        action: 'api_call',
        params: { url: http.url('/flaky') },
        retry: { max_attempts: 4, initial_interval: '200ms', backoff_multiplier: 2 },
      },
      { id: 'out', action: 'output', params: { value: '{{ steps.fetch.output.body.value }}' } },
    ],
  });
  expect(snapshot.status).toBe('completed');
  expect(outputs).toEqual({ out: 42 });
  expect(snapshot.nodes.fetch).toMatchObject({ status: 'completed', attempts: 3 });
  const times = http.requestsTo('/flaky').map((r) => r.time);
  expect(times).toHaveLength(3);
  // 200 ms, then 400 ms (backoff ×2); the server adds its own scheduling latency on top.
  expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(190);
  expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(390);
});

test('a node that fails after its retries fails the run; the failure handler still runs; the error names node, attempts and cause', async () => {
  http.route('/deploy', { status: 502, text: 'bad gateway' });
  http.route('/notify', { json: { ok: true } });
  const { snapshot, failure } = await h.run({
    name: 'deploy-with-handler',
    steps: [
      {
        id: 'deploy',
        action: 'api_call',
        params: { url: http.url('/deploy'), method: 'POST' },
        retry: { max_attempts: 2, initial_interval: '100ms' },
      },
      { id: 'after_deploy', action: 'log', params: { message: 'deployed' }, depends_on: ['deploy'] },
      { id: 'independent', action: 'transform', params: { value: 'still runs' } },
      {
        id: 'notify_failure',
        action: 'notification',
        params: { url: http.url('/notify'), message: 'deploy failed: {{ steps.deploy.error }}' },
        condition: "steps.deploy.status == 'failed'",
      },
    ],
  });
  expect(http.requestsTo('/deploy')).toHaveLength(2);
  expect(snapshot.status).toBe('failed');
  expect(snapshot.nodes.deploy).toMatchObject({
    status: 'failed',
    attempts: 2,
    error: { code: 'UpstreamUnavailable' },
  });
  expect(snapshot.nodes.after_deploy).toMatchObject({
    status: 'skipped',
    skipReason: 'dependency failed: deploy',
  });
  expect(snapshot.nodes.independent!.status).toBe('completed');
  expect(snapshot.nodes.notify_failure!.status).toBe('completed');
  expect(http.requestsTo('/notify')[0]!.body.message).toMatch(/^deploy failed: .*502/);

  const cause = failure?.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('PipelineNodeFailed');
  expect(cause!.message).toMatch(/step "deploy" failed after 2 attempt\(s\): .*502/);
  expect((cause as ApplicationFailure).details?.[0]).toMatchObject({
    nodeId: 'deploy',
    attempts: 2,
    code: 'UpstreamUnavailable',
  });
  expect(snapshot.error).toMatchObject({ nodeId: 'deploy', attempts: 2 });
});

test('a 4xx is not retried', async () => {
  http.route('/bad', { status: 422, json: { error: 'nope' } });
  const { snapshot } = await h.run({
    steps: [
      {
        id: 'call',
        action: 'api_call',
        params: { url: http.url('/bad') },
        retry: { max_attempts: 5, initial_interval: '100ms' },
      },
    ],
  });
  expect(http.requestsTo('/bad')).toHaveLength(1);
  expect(snapshot.nodes.call).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'BadRequest' } });
});

test('allow_failure: the node fails, its dependents skip, and the run completes', async () => {
  http.route('/optional', { status: 404, text: 'gone' });
  const { snapshot, failure, outputs } = await h.run({
    steps: [
      { id: 'enrich', action: 'api_call', params: { url: http.url('/optional') }, allow_failure: true },
      { id: 'use', action: 'transform', params: { value: '{{ steps.enrich.output.body }}' } },
      {
        id: 'fallback',
        action: 'transform',
        params: { value: 'default' },
        condition: "steps.enrich.status != 'completed'",
      },
    ],
  });
  expect(failure).toBeUndefined();
  expect(snapshot.status).toBe('completed');
  expect(snapshot.nodes.enrich!.status).toBe('failed');
  expect(snapshot.nodes.use!.status).toBe('skipped');
  expect(outputs).toEqual({ fallback: 'default' });
});

test('fail_fast cancels nodes in flight and the ones not started', async () => {
  http.route('/hang', { hang: true });
  http.route('/fail', { delayMs: 300, status: 400, text: 'invalid' });
  const { snapshot, failure } = await h.run({
    fail_fast: true,
    steps: [
      { id: 'slow', action: 'api_call', params: { url: http.url('/hang'), timeout: '60s' } },
      { id: 'broken', action: 'api_call', params: { url: http.url('/fail') } },
      { id: 'later', action: 'log', params: { message: 'x' }, depends_on: ['slow'] },
    ],
  });
  expect(failure).toBeDefined();
  expect(snapshot.status).toBe('failed');
  expect(snapshot.nodes.broken!.status).toBe('failed');
  expect(snapshot.nodes.slow!.status).toBe('cancelled');
  expect(snapshot.nodes.later!.status).toBe('cancelled');
  await http.waitFor(
    () => http.requestsTo('/hang')[0]?.clientClosed === true,
    10_000,
    'the hanging request to be aborted',
  );
});

test('cancel() stops in-flight activities (the HTTP request is aborted) and the run ends cancelled', async () => {
  http.route('/hang', { hang: true });
  const handle = await h.start({
    steps: [
      { id: 'wait_forever', action: 'api_call', params: { url: http.url('/hang'), timeout: '5m' } },
      { id: 'next', action: 'log', params: { message: 'never' }, depends_on: ['wait_forever'] },
    ],
  });
  await http.waitForRequests('/hang', 1);
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  const snapshot = await handle.query(statusQuery);
  expect(snapshot.status).toBe('cancelled');
  expect(snapshot.nodes.wait_forever!.status).toBe('cancelled');
  expect(snapshot.nodes.next!.status).toBe('cancelled');
  expect(http.requestsTo('/hang')[0]!.clientClosed).toBe(true);
});

test('terminate() ends the run at once as TERMINATED', async () => {
  http.route('/hang', { hang: true });
  const handle = await h.start({
    steps: [{ id: 'stuck', action: 'api_call', params: { url: http.url('/hang') } }],
  });
  await http.waitForRequests('/hang', 1);
  await handle.terminate('test');
  expect((await handle.describe()).status.name).toBe('TERMINATED');
});
