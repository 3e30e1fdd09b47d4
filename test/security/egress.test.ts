/**
 * Egress policy, as an attacker who writes definitions would try it, on a real server with real
 * HTTP: every spelling of a loopback, private, link-local or metadata address in an api_call url,
 * a notification url and a callback URL is refused with EgressDenied after 1 attempt and the local
 * server receives nothing; a name resolving to 127.0.0.1 is refused; a redirect from an allowed
 * server to a refused address is refused at the hop; more than 5 redirects are refused; and the
 * worker's allow list (`egress.allow`, `PIPELINE_EGRESS_ALLOW`) opens exactly what it names; a
 * channel's webhook (worker configuration) is not checked, its redirects are.
 */
import { lookup } from 'node:dns/promises';
import { temporal } from '@temporalio/proto';
import type { ActivitiesConfig } from '../../src/activities';
import type { PipelineRunHandle } from '../../src/client/runs/startRun';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

let http: HttpRecorder;
/** Default policy: nothing but public addresses. */
let denying: PipelineHarness;
/** Allows `api.example.com` and `*.corp.example` by name; both resolve to the recorder (127.0.0.1). */
let naming: PipelineHarness;
/** Allows what `PIPELINE_EGRESS_ALLOW` in its `env` lists: 127.0.0.0/8 and `localhost`. */
let fromEnv: PipelineHarness;

/** Public-looking names that resolve to the recorder's address; everything else through DNS. */
const FAKE_NAMES = new Set(['api.example.com', 'svc.corp.example', 'sneaky.example.net']);
const resolve = async (host: string): Promise<string[]> =>
  FAKE_NAMES.has(host) ? ['127.0.0.1'] : (await lookup(host, { all: true })).map((a) => a.address);

beforeAll(async () => {
  http = await startHttpRecorder();
  const base: ActivitiesConfig = { env: {}, callbackSecret: 'egress-test-secret' };
  [denying, naming, fromEnv] = await Promise.all([
    startPipelineHarness({
      ...base,
      egress: { allow: [], resolve },
      webhooks: { ops: http.url('/hooks/ops'), bounce: http.url('/hooks/bounce') },
    }),
    startPipelineHarness({ ...base, egress: { allow: ['api.example.com', '*.corp.example'], resolve } }),
    startPipelineHarness({ ...base, env: { PIPELINE_EGRESS_ALLOW: '127.0.0.0/8, localhost' }, egress: {} }),
  ]);
});
afterAll(async () => {
  await Promise.all([denying?.close(), naming?.close(), fromEnv?.close()]);
  await http?.close();
});
beforeEach(() => http.reset());

/** Host spellings (with the recorder's port where it listens) and the rule each must name. */
const spellings = (): Array<[string, RegExp]> => {
  const p = http.port;
  return [
    [`127.0.0.1:${p}`, /127\.0\.0\.1 is loopback \(127\.0\.0\.0\/8\)/],
    [`localhost:${p}`, /localhost resolves to (127\.0\.0\.1|::1), which is loopback/],
    [`[::1]:${p}`, /::1 is loopback \(::1\/128\)/],
    [`2130706433:${p}`, /127\.0\.0\.1 is loopback/],
    [`0x7f000001:${p}`, /127\.0\.0\.1 is loopback/],
    [`127.1:${p}`, /127\.0\.0\.1 is loopback/],
    [`0177.0.0.1:${p}`, /127\.0\.0\.1 is loopback/],
    [`0.0.0.0:${p}`, /0\.0\.0\.0 is unspecified \(0\.0\.0\.0\/8\)/],
    [`[::]:${p}`, /:: is unspecified/],
    [`[::ffff:127.0.0.1]:${p}`, /::ffff:7f00:1 is IPv4-mapped 127\.0\.0\.1, loopback/],
    [`[::127.0.0.1]:${p}`, /::7f00:1 is IPv4-compatible 127\.0\.0\.1, loopback/],
    [`[64:ff9b::127.0.0.1]:${p}`, /64:ff9b::7f00:1 is NAT64 127\.0\.0\.1, loopback/],
    ['169.254.169.254', /169\.254\.169\.254 is a cloud metadata address/],
    ['[::ffff:169.254.169.254]', /IPv4-mapped 169\.254\.169\.254, metadata/],
    ['[fd00:ec2::254]', /fd00:ec2::254 is a cloud metadata address/],
    ['169.254.1.1', /link-local \(169\.254\.0\.0\/16\)/],
    ['[fe80::1]', /link-local \(fe80::\/10\)/],
    ['10.0.0.1', /private \(10\.0\.0\.0\/8\)/],
    ['172.16.0.1', /private \(172\.16\.0\.0\/12\)/],
    ['192.168.0.1', /private \(192\.168\.0\.0\/16\)/],
    ['100.64.0.1', /private \(100\.64\.0\.0\/10\)/],
    ['[fd12::1]', /private \(fc00::\/7\)/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    [`sneaky.example.net:${p}`, /sneaky\.example\.net resolves to 127\.0\.0\.1, which is loopback/],
  ];
};

/** One run with a step per spelling (each `allow_failure`), so every refusal is seen at once. */
async function refusedSteps(h: PipelineHarness, step: (url: string) => { action: string; params: unknown }) {
  const cases = spellings();
  const steps = cases.map(([host], i) => ({
    id: `s${i}`,
    ...step(`http://${host}/path?token=abc`),
    allow_failure: true,
    retry: { max_attempts: 3 },
  }));
  const started = Date.now();
  const { snapshot } = await h.run({ name: 'egress-spellings', steps });
  const elapsed = Date.now() - started;
  cases.forEach(([host, rule], i) => {
    const node = snapshot.nodes[`s${i}`]!;
    expect([host, node.status, node.attempts, node.error?.code]).toEqual([host, 'failed', 1, 'EgressDenied']);
    expect(node.error!.message).toMatch(rule);
    expect(node.error!.message).toContain('PIPELINE_EGRESS_ALLOW');
    expect(node.error!.message).not.toContain('token=abc');
  });
  expect(http.requests).toHaveLength(0);
  return elapsed;
}

test('api_call: every spelling is refused with EgressDenied, 1 attempt, 0 requests received', async () => {
  const elapsed = await refusedSteps(denying, (url) => ({ action: 'api_call', params: { url } }));
  console.log(`egress: ${spellings().length} refused api_call steps in one run took ${elapsed} ms`);
});

test('notification url: every spelling is refused with EgressDenied, 1 attempt, 0 requests received', async () => {
  await refusedSteps(denying, (url) => ({ action: 'notification', params: { url, message: 'hi' } }));
});

const greeting = {
  name: 'egress-callback',
  steps: [{ id: 'out', action: 'output', params: { name: 'greeting', value: 'hello' } }],
};

/** The failure type of the run's callback activity, from its history. */
async function callbackFailureTypes(handle: PipelineRunHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)
    .map((e) => e.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type ?? '?');
}

test('callback URL: every spelling is refused with EgressDenied, 1 attempt, 0 requests; the run still completes', async () => {
  const cases = spellings();
  const outcomes = await Promise.all(
    cases.map(([host]) =>
      denying.run(greeting, { callbacks: { onComplete: `http://${host}/hook`, maxAttempts: 5 } }),
    ),
  );
  for (const [i, { handle, snapshot }] of outcomes.entries()) {
    const [host, rule] = cases[i]!;
    expect([host, snapshot.status, snapshot.callback?.status, snapshot.callback?.attempts]).toEqual([
      host,
      'completed',
      'failed',
      1,
    ]);
    expect(snapshot.callback!.error).toMatch(rule);
    expect(await callbackFailureTypes(handle)).toEqual(['EgressDenied']);
  }
  expect(http.requests).toHaveLength(0);
});

test('a redirect from an allowed server to a refused address is refused at the hop', async () => {
  http.route('/jump', { status: 302, headers: { location: http.url('/inside') } });
  const { snapshot } = await naming.run({
    name: 'egress-redirect',
    steps: [{ id: 'call', action: 'api_call', params: { url: `http://api.example.com:${http.port}/jump` } }],
  });
  const node = snapshot.nodes.call!;
  expect([node.status, node.attempts, node.error?.code]).toEqual(['failed', 1, 'EgressDenied']);
  expect(node.error!.message).toContain(`→ redirect 1 to ${http.url('/inside')} → 127.0.0.1 is loopback`);
  expect(http.requests.map((r) => r.path)).toEqual(['/jump']);
});

test('more than 5 redirects are refused; 5 are followed', async () => {
  for (let i = 0; i < 6; i++) http.route(`/r${i}`, { status: 302, headers: { location: `/r${i + 1}` } });
  http.route('/r6', { json: { landed: true } });
  const url = (path: string) => `http://api.example.com:${http.port}${path}`;
  const { snapshot } = await naming.run({
    name: 'egress-redirects',
    steps: [
      { id: 'six', action: 'api_call', params: { url: url('/r0') }, allow_failure: true },
      { id: 'five', action: 'api_call', params: { url: url('/r1') } },
    ],
  });
  expect(snapshot.nodes.six).toMatchObject({
    status: 'failed',
    attempts: 1,
    error: { code: 'EgressDenied' },
  });
  expect(snapshot.nodes.six!.error!.message).toContain('redirect 6 to');
  expect(snapshot.nodes.six!.error!.message).toContain('at most 5 redirects are followed');
  expect(snapshot.nodes.five).toMatchObject({
    status: 'completed',
    output: { status: 200, body: { landed: true } },
  });
  expect(http.requestsTo('/r6')).toHaveLength(1); // only the run of five redirects got there
});

test('egress.allow opens a host name and *.domain: the request goes to the checked address, Host stays the name', async () => {
  const { snapshot } = await naming.run({
    name: 'egress-allowed-names',
    steps: [
      { id: 'host', action: 'api_call', params: { url: `http://api.example.com:${http.port}/a` } },
      { id: 'wild', action: 'notification', params: { url: `http://svc.corp.example:${http.port}/b` } },
      { id: 'other', action: 'api_call', params: { url: http.url('/c') }, allow_failure: true },
    ],
  });
  expect(snapshot.nodes.host).toMatchObject({ status: 'completed', output: { status: 200 } });
  expect(snapshot.nodes.wild).toMatchObject({ status: 'completed', output: { delivered: true } });
  expect(snapshot.nodes.other).toMatchObject({ status: 'failed', error: { code: 'EgressDenied' } });
  expect(http.requestsTo('/a')[0]!.headers.host).toBe(`api.example.com:${http.port}`);
  expect(http.requestsTo('/b')[0]!.headers.host).toBe(`svc.corp.example:${http.port}`);
  expect(http.requestsTo('/c')).toHaveLength(0);

  const callback = await naming.run(greeting, {
    callbacks: { onComplete: `http://api.example.com:${http.port}/hook` },
  });
  expect(callback.snapshot.callback).toMatchObject({ status: 'delivered', attempts: 1 });
});

test('PIPELINE_EGRESS_ALLOW in the worker env opens a CIDR range and a host name, and nothing else', async () => {
  const { snapshot } = await fromEnv.run(
    {
      name: 'egress-env',
      steps: [
        { id: 'cidr', action: 'api_call', params: { url: `http://127.1:${http.port}/cidr` } },
        { id: 'name', action: 'notification', params: { url: `http://localhost:${http.port}/name` } },
        {
          id: 'v6',
          action: 'api_call',
          params: { url: `http://[::1]:${http.port}/v6` },
          allow_failure: true,
        },
        { id: 'meta', action: 'api_call', params: { url: 'http://169.254.169.254/' }, allow_failure: true },
      ],
    },
    { callbacks: { onComplete: http.url('/hook') } },
  );
  expect(snapshot.nodes.cidr).toMatchObject({ status: 'completed', output: { status: 200 } });
  expect(snapshot.nodes.name).toMatchObject({ status: 'completed' });
  expect(snapshot.nodes.v6).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'EgressDenied' } });
  expect(snapshot.nodes.meta).toMatchObject({
    status: 'failed',
    attempts: 1,
    error: { code: 'EgressDenied' },
  });
  expect(snapshot.callback).toMatchObject({ status: 'delivered', attempts: 1 });
  expect(http.requests.map((r) => r.path).sort()).toEqual(['/cidr', '/hook', '/name']);
});

test("a channel's webhook is the worker's configuration: not checked, but its redirects are", async () => {
  http.route('/hooks/bounce', {
    status: 307,
    headers: { location: 'http://169.254.169.254/latest/meta-data/' },
  });
  const { snapshot } = await denying.run({
    name: 'egress-channels',
    steps: [
      { id: 'ops', action: 'notification', params: { channel: 'ops', message: 'hi' } },
      {
        id: 'bounce',
        action: 'notification',
        params: { channel: 'bounce', message: 'hi' },
        allow_failure: true,
      },
    ],
  });
  expect(snapshot.nodes.ops).toMatchObject({ status: 'completed', output: { delivered: true } });
  expect(snapshot.nodes.bounce).toMatchObject({
    status: 'failed',
    attempts: 1,
    error: { code: 'EgressDenied' },
  });
  expect(snapshot.nodes.bounce!.error!.message).toContain(
    'redirect 1 to http://169.254.169.254/latest/meta-data/',
  );
  expect(http.requests.map((r) => r.path).sort()).toEqual(['/hooks/bounce', '/hooks/ops']);
});
