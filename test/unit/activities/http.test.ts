/**
 * The `api_call` activity with real HTTP against the recorder.
 */
import { CancelledFailure } from '@temporalio/common';
import { createActivities } from '../../../src/activities';
import { startHttpRecorder, type HttpRecorder } from '../../support/httpRecorder';
import { TRACE_ID, detailsOf, failureOf, mockEnv, nodeInput, rejectionOf, runNode } from './support';

let rec: HttpRecorder;
beforeAll(async () => {
  rec = await startHttpRecorder();
});
afterAll(async () => {
  await rec.close();
});
beforeEach(() => rec.reset());

const SECRET = 'tok-9f8e7d-secret';
const acts = createActivities({
  env: {},
  egress: { allow: ['loopback'] },
  secrets: (name) => (name === 'API_TOKEN' ? SECRET : undefined),
});
const call = (params: Record<string, unknown>, attempt = 1) => {
  const { env } = mockEnv({ attempt });
  return runNode(env, acts.api_call!, nodeInput(params));
};

describe('api_call: requests', () => {
  test('GET with query (arrays repeat, null dropped) → JSON body, lower-cased headers', async () => {
    rec.route('/items', { json: { items: [1, 2] }, headers: { 'X-Total': '2' } });
    const result = await call({
      url: rec.url('/items?fixed=1'),
      query: { page: 2, tag: ['a', 'b'], skip: null, on: true },
    });
    expect(result.attempt).toBe(1);
    expect(result.output).toMatchObject({ status: 200, ok: true, body: { items: [1, 2] } });
    expect((result.output as { headers: Record<string, string> }).headers).toMatchObject({
      'x-total': '2',
      'content-type': 'application/json',
    });
    const [req] = rec.requestsTo('/items');
    expect(req!.method).toBe('GET');
    expect(req!.query).toEqual({ fixed: '1', page: '2', tag: ['a', 'b'], on: 'true' });
    expect(req!.rawBody).toBe('');
  });

  test.each(['POST', 'PUT', 'PATCH', 'DELETE'])('%s sends a JSON body with content-type', async (method) => {
    await call({
      url: rec.url('/write'),
      method: method.toLowerCase(),
      body: { a: 1, nested: { b: [true] } },
    });
    const [req] = rec.requestsTo('/write');
    expect(req!.method).toBe(method);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.body).toEqual({ a: 1, nested: { b: [true] } });
  });

  test('string bodies: verbatim for json (already JSON text), text/plain for text; explicit content-type wins', async () => {
    await call({ url: rec.url('/a'), method: 'POST', body: '{"raw":true}' });
    expect(rec.requestsTo('/a')[0]!.body).toEqual({ raw: true });
    await call({ url: rec.url('/b'), method: 'POST', body: 'hello', body_type: 'text' });
    expect(rec.requestsTo('/b')[0]).toMatchObject({
      rawBody: 'hello',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    await call({
      url: rec.url('/c'),
      method: 'POST',
      body: 'a=1&b=2',
      body_type: 'text',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(rec.requestsTo('/c')[0]).toMatchObject({ body: { a: '1', b: '2' } });
  });

  test('headers: given ones are sent (numbers stringified), traceparent carries the run trace id', async () => {
    await call({ url: rec.url('/h'), headers: { 'X-Api-Version': 3, Accept: 'application/json' } });
    const [req] = rec.requestsTo('/h');
    expect(req!.headers['x-api-version']).toBe('3');
    expect(req!.headers.accept).toBe('application/json');
    expect(req!.headers['user-agent']).toBe('temporal-pipelines');
    expect(req!.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  });

  test('secrets are resolved on the worker, inside headers and strings', async () => {
    await call({
      url: rec.url('/secure'),
      headers: { Authorization: 'Bearer {{ secrets.API_TOKEN }}' },
      query: { key: '{{secrets.API_TOKEN}}' },
    });
    const [req] = rec.requestsTo('/secure');
    expect(req!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(req!.query.key).toBe(SECRET);
  });

  test('a missing secret is a non-retryable SecretNotFound naming it, and nothing is sent', async () => {
    const failure = await failureOf(
      call({ url: rec.url('/secure'), headers: { Authorization: '{{ secrets.NOPE }}' } }),
    );
    expect(failure).toMatchObject({ type: 'SecretNotFound', nonRetryable: true });
    expect(failure.message).toContain('NOPE');
    expect(rec.requests).toHaveLength(0);
  });

  test('text responses stay text; empty JSON is null; JSON that does not parse falls back to text', async () => {
    rec.route('/text', { text: 'plain words' });
    rec.route('/empty', { status: 204, headers: { 'content-type': 'application/json' } });
    rec.route('/broken', { text: '{nope', headers: { 'content-type': 'application/json' } });
    rec.route('/vendor', {
      text: '{"v":1}',
      headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' },
    });
    expect((await call({ url: rec.url('/text') })).output).toMatchObject({ body: 'plain words' });
    expect((await call({ url: rec.url('/empty') })).output).toMatchObject({ status: 204, body: null });
    expect((await call({ url: rec.url('/broken') })).output).toMatchObject({ body: '{nope' });
    expect((await call({ url: rec.url('/vendor') })).output).toMatchObject({ body: { v: 1 } });
  });

  test('invalid params fail before any request', async () => {
    const bad = await failureOf(call({ url: 'ftp://example.com/x' }));
    expect(bad).toMatchObject({ type: 'NodeConfigError', nonRetryable: true });
    const getBody = await failureOf(call({ url: rec.url('/x'), body: { a: 1 } }));
    expect(getBody.message).toContain('GET request cannot have a body');
    const method = await failureOf(call({ url: rec.url('/x'), method: 'TRACE' }));
    expect(method.message).toContain('params.method');
    expect(rec.requests).toHaveLength(0);
  });
});

describe('api_call: failures', () => {
  test('429 with retry-after → RateLimited with nextRetryDelay; body excerpt in the message, query redacted', async () => {
    rec.script('/limited', { status: 429, headers: { 'retry-after': '2' }, json: { error: 'slow down' } });
    const failure = await failureOf(call({ url: rec.url('/limited'), query: { key: 'sekrit' } }, 2));
    expect(failure).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 2000 });
    expect(detailsOf(failure)).toEqual({ attempt: 2, status: 429, metrics: expect.any(Object) });
    expect(failure.message).toBe(
      `api_call GET ${rec.url('/limited')} → 429 Too Many Requests: {"error":"slow down"}`,
    );
    expect(failure.message).not.toContain('sekrit');
  });

  test.each([
    [500, 'UpstreamUnavailable', false],
    [502, 'UpstreamUnavailable', false],
    [408, 'UpstreamUnavailable', false],
    [409, 'UpstreamUnavailable', false],
    [404, 'BadRequest', true],
    [422, 'BadRequest', true],
    [401, 'Unauthorized', true],
    [403, 'Unauthorized', true],
  ] as const)('HTTP %i → %s (nonRetryable %s)', async (status, type, nonRetryable) => {
    rec.script('/fail', { status, text: 'nope' });
    const failure = await failureOf(call({ url: rec.url('/fail') }));
    expect(failure).toMatchObject({ type, nonRetryable });
    expect(detailsOf(failure).status).toBe(status);
  });

  test('the body excerpt in a failure message is capped at 500 characters', async () => {
    rec.script('/long', { status: 500, text: 'e'.repeat(5000) });
    const failure = await failureOf(call({ url: rec.url('/long') }));
    expect(failure.message).toMatch(/: e{500}…$/);
  });

  test('a body past max_response_bytes → ResponseTooLarge; the download stops early', async () => {
    rec.route('/huge', { hugeBodyBytes: 8 * 1024 * 1024, chunkDelayMs: 2 });
    const failure = await failureOf(call({ url: rec.url('/huge'), max_response_bytes: 100_000 }));
    expect(failure).toMatchObject({ type: 'ResponseTooLarge', nonRetryable: true });
    expect(detailsOf(failure).status).toBe(200);
    await rec.waitFor(() => rec.requestsTo('/huge')[0]!.clientClosed, 2000, 'the client to stop reading');
    expect(rec.requestsTo('/huge')[0]!.bytesSent).toBeLessThan(8 * 1024 * 1024);
  });

  test('a declared content-length past the cap fails without reading; a body within the cap passes', async () => {
    rec.route('/declared', { hugeBodyBytes: 300_000, declareLength: true });
    const failure = await failureOf(call({ url: rec.url('/declared'), max_response_bytes: 1000 }));
    expect(failure.message).toContain('response of 300000 bytes exceeds max_response_bytes (1000)');
    const ok = await call({ url: rec.url('/declared'), max_response_bytes: 300_000 });
    expect((ok.output as { body: string }).body).toHaveLength(300_000);
  });

  test('per-request timeout → retryable UpstreamTimeout', async () => {
    rec.route('/slow', { hang: true });
    const started = Date.now();
    const failure = await failureOf(call({ url: rec.url('/slow'), timeout: '200ms' }));
    expect(failure).toMatchObject({ type: 'UpstreamTimeout', nonRetryable: false });
    expect(Date.now() - started).toBeLessThan(2000);
    await rec.waitFor(() => rec.requestsTo('/slow')[0]!.clientClosed, 2000, 'the client to close');
  });

  test('connection refused → retryable UpstreamUnavailable', async () => {
    const other = await startHttpRecorder();
    const url = other.url('/gone');
    await other.close();
    expect(await failureOf(call({ url }))).toMatchObject({
      type: 'UpstreamUnavailable',
      nonRetryable: false,
    });
  });

  test('cancellation mid-request rejects with CancelledFailure and closes the connection', async () => {
    rec.route('/hang', { hang: true });
    const { env } = mockEnv();
    const running = runNode(env, acts.api_call!, nodeInput({ url: rec.url('/hang') }));
    await rec.waitForRequests('/hang', 1);
    env.cancel();
    expect(await rejectionOf(running)).toBeInstanceOf(CancelledFailure);
    await rec.waitFor(() => rec.requestsTo('/hang')[0]!.clientClosed, 2000, 'the client to close');
  });
});
