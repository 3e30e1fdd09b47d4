/**
 * fetch under the egress policy, with real HTTP against the recorder: the connection goes to the
 * checked address (names are resolved once, by the policy), redirects are followed by hand and
 * checked at every hop, at most 5, with fetch's method rules and credentials dropped across origins.
 */
import { createEgressPolicy, type EgressPolicy } from '../../../src/activities/guards/egress';
import { fetchUnderPolicy, MAX_REDIRECTS } from '../../../src/activities/guards/egressFetch';
import { egressDenial } from './support';
import { startHttpRecorder, type HttpRecorder } from '../../support/httpRecorder';

let rec: HttpRecorder;
beforeAll(async () => {
  rec = await startHttpRecorder();
});
afterAll(async () => {
  await rec.close();
});
beforeEach(() => rec.reset());

/** Names that resolve to the recorder's address (127.0.0.1), allowed by name only. */
function namedPolicy(answers: Record<string, string[][]> = {}) {
  const calls: string[] = [];
  const policy = createEgressPolicy({
    allow: ['api.test', 'other.test'],
    resolve: (host) => {
      calls.push(host);
      const queue = answers[host];
      return Promise.resolve(queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? ['127.0.0.1']));
    },
  });
  return { policy, calls };
}

const at = (host: string, path: string) => new URL(`http://${host}:${rec.port}${path}`);

function send(
  policy: EgressPolicy,
  url: URL,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return fetchUnderPolicy({
    url,
    method: init.method ?? 'GET',
    headers: new Headers(init.headers),
    body: init.body,
    signal: new AbortController().signal,
    where: `test ${init.method ?? 'GET'} ${url.href}`,
    policy,
  });
}

const refusal = egressDenial;

test('connects to the address the policy checked; Host stays the name; DNS is asked once', async () => {
  // The second answer would be a rebinding to another address: it is never asked for.
  const { policy, calls } = namedPolicy({ 'api.test': [['127.0.0.1'], ['10.0.0.1']] });
  const res = await send(policy, at('api.test', '/hello'));
  expect(res.status).toBe(200);
  await res.text();
  expect(calls).toEqual(['api.test']);
  expect(rec.requestsTo('/hello')[0]!.headers.host).toBe(`api.test:${rec.port}`);
});

test('a refused address gets no request at all', async () => {
  const policy = createEgressPolicy();
  await refusal(send(policy, new URL(rec.url('/never'))));
  expect(rec.requests).toHaveLength(0);
});

test('a redirect to a refused address is refused at that hop, before it is sent', async () => {
  const { policy } = namedPolicy();
  rec.route('/jump', { status: 302, headers: { location: `http://127.0.0.1:${rec.port}/inside` } });
  const err = await refusal(send(policy, at('api.test', '/jump')));
  expect(err.message).toBe(
    `test GET ${at('api.test', '/jump').href} → redirect 1 to http://127.0.0.1:${rec.port}/inside → 127.0.0.1 is loopback (127.0.0.0/8); allow it by adding "127.0.0.1" or "loopback" to PIPELINE_EGRESS_ALLOW or the worker's egress.allow`,
  );
  expect(rec.requests.map((r) => r.path)).toEqual(['/jump']);
});

test(`at most ${MAX_REDIRECTS} redirects are followed`, async () => {
  const { policy } = namedPolicy();
  for (let i = 0; i < 10; i++) rec.route(`/r${i}`, { status: 301, headers: { location: `/r${i + 1}` } });
  const err = await refusal(send(policy, at('api.test', '/r0')));
  expect(err.message).toContain(
    `→ redirect 6 to http://api.test:${rec.port}/r6: at most 5 redirects are followed`,
  );
  expect(rec.requests.map((r) => r.path)).toEqual(['/r0', '/r1', '/r2', '/r3', '/r4', '/r5']);

  rec.reset();
  for (let i = 0; i < 5; i++) rec.route(`/r${i}`, { status: 307, headers: { location: `/r${i + 1}` } });
  rec.route('/r5', { json: { landed: true } });
  const res = await send(policy, at('api.test', '/r0'));
  expect(await res.json()).toEqual({ landed: true });
});

test('redirects to other schemes are refused', async () => {
  const { policy } = namedPolicy();
  rec.route('/file', { status: 302, headers: { location: 'file:///etc/passwd' } });
  const err = await refusal(send(policy, at('api.test', '/file')));
  expect(err.message).toContain('only http and https redirects are followed');
});

test("fetch's method rules: 303 and POST-on-301/302 become GET without a body; 307/308 keep both", async () => {
  const { policy } = namedPolicy();
  const post = { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } };
  for (const [status, method, body] of [
    [303, 'GET', ''],
    [302, 'GET', ''],
    [301, 'GET', ''],
    [307, 'POST', '{"a":1}'],
    [308, 'POST', '{"a":1}'],
  ] as const) {
    rec.reset();
    rec.route('/from', { status, headers: { location: '/to' } });
    const res = await send(policy, at('api.test', '/from'), post);
    await res.text();
    const [to] = rec.requestsTo('/to');
    expect([status, to!.method, to!.rawBody]).toEqual([status, method, body]);
    expect(to!.headers['content-type']).toBe(method === 'GET' ? undefined : 'application/json');
  }
});

test('credentials go on to the same origin only', async () => {
  const { policy } = namedPolicy();
  const headers = { authorization: 'Bearer t0k', cookie: 'sid=1', 'x-trace': 'kept' };
  rec.route('/same', { status: 302, headers: { location: '/same-target' } });
  await (await send(policy, at('api.test', '/same'), { headers })).text();
  expect(rec.requestsTo('/same-target')[0]!.headers).toMatchObject(headers);

  rec.route('/cross', { status: 302, headers: { location: `http://other.test:${rec.port}/cross-target` } });
  await (await send(policy, at('api.test', '/cross'), { headers })).text();
  const crossed = rec.requestsTo('/cross-target')[0]!.headers;
  expect(crossed.authorization).toBeUndefined();
  expect(crossed.cookie).toBeUndefined();
  expect(crossed['x-trace']).toBe('kept');
  expect(crossed.host).toBe(`other.test:${rec.port}`);
});

test('a kept-alive connection is reused only for the addresses this request checked', async () => {
  // Same name, new answer: the second request must go to 127.0.0.2 (where nothing listens),
  // not ride the open connection to 127.0.0.1.
  const { policy, calls } = namedPolicy({ 'api.test': [['127.0.0.1'], ['127.0.0.2']] });
  await (await send(policy, at('api.test', '/first'))).text();
  await expect(send(policy, at('api.test', '/second'))).rejects.toMatchObject({
    cause: { code: 'ECONNREFUSED', address: '127.0.0.2' },
  });
  expect(calls).toEqual(['api.test', 'api.test']);
  expect(rec.requests.map((r) => r.path)).toEqual(['/first']);
});
