/**
 * Secrets are an allow-list and no secret byte reaches a reader (issue 17, items 1 and 2), through
 * the public API with payload encryption on, a real server and real HTTP:
 *
 * - a local server echoes each request's headers, query and body back, in a 200 and in a 500
 *   reply; secrets travel in a header, the query, the body and URL userinfo; a streaming llm step
 *   (fake OpenAI server) answers with a secret split across tokens; every run sends a callback;
 * - the full history of each run (every event and field as raw proto JSON, and again with every
 *   payload decrypted), `executions.get()`, `executions.logs()`, `stream()`, the callback bodies
 *   and everything the worker logged hold none of the secrets, plain, base64 or URL-encoded;
 * - `{{ secrets.PIPELINE_ENCRYPTION_KEYS }}`, `OPENAI_API_KEY` and `PIPELINE_CALLBACK_SECRET`
 *   fail with SecretNotFound after 1 attempt although the worker has those variables, while
 *   `PIPELINE_SECRET_FOO` and an async resolver resolve.
 */
import { randomBytes } from 'node:crypto';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { RunHandle } from '../../src/client/runs/runHandle';
import type { PipelineRunHandle } from '../../src/client/runs/startRun';
import { EncryptionCodec, type PayloadOptions } from '../../src/codec';
import { historyToJson } from '../support/historyJson';
import { startHttpRecorder, type HttpRecorder, type RecordedRequest } from '../support/httpRecorder';
import { startOfflineModel, type OfflineModel } from '../../src/dev/offlineModel';
import { sharedTestEnv, startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

// Every secret has characters that JSON, URL and base64 encodings change.
const SECRETS = {
  HEADER_TOKEN: 'hdr-Tk7/+=q"x\\9f3b',
  QUERY_KEY: 'qry-K3y+/=&x9#a',
  BODY_PASSWORD: 'bdy-P"w\\d-8a1 é',
  URL_PASSWORD: 'url-Pw0rd-4d2c',
  LLM_SECRET: 'llm-S3cr3t-77aa',
} as const;
const ASYNC_SECRET = 'async-vault-value-31c9';
const ENV_SECRET = 'foo-env-value-6b20';
const encryption = { currentKeyId: 'k1', keys: { k1: randomBytes(32).toString('base64') } };
const payloads: PayloadOptions = { encryption };
/** The worker's own configuration a definition must never read. */
const WORKER_ENV = {
  PIPELINE_ENCRYPTION_KEYS: `k1:${encryption.keys.k1}`,
  OPENAI_API_KEY: 'sk-worker-own-openai-key-0042',
  PIPELINE_CALLBACK_SECRET: 'whsec-worker-callback-0043',
  PIPELINE_SECRET_FOO: ENV_SECRET,
};
const FORBIDDEN = Object.values(WORKER_ENV).filter((v) => v !== ENV_SECRET);

/**
 * Every spelling a reader could find a value under: plain, URL- and form-encoded, base64 and
 * base64url, each also JSON-escaped up to 4 times (a JSON reply echoing a JSON request body,
 * quoted in a failure message, inside a payload, inside the JSON text scanned here).
 */
function spellings(value: string): string[] {
  const b64 = Buffer.from(value).toString('base64');
  const bases = [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    b64,
    b64.replace(/=+$/, ''),
    Buffer.from(value).toString('base64url'),
  ];
  const out = new Set<string>();
  for (let form of bases) {
    for (let level = 0; level <= 4; level++) {
      out.add(form);
      form = JSON.stringify(form).slice(1, -1);
    }
  }
  return [...out];
}

/** `[name, form]` of every secret spelling found in `text`. */
function leaks(
  text: string,
  values: readonly string[] = [...Object.values(SECRETS), ...FORBIDDEN],
): string[] {
  return values.flatMap((value) => spellings(value).filter((form) => text.includes(form)));
}

// The worker's log output, captured at the runtime's logger (installed before the harness's).
const workerLog: LogEntry[] = [];
const printed: string[] = [];
try {
  Runtime.install({ logger: new DefaultLogger('TRACE', (entry) => workerLog.push(entry)) });
} catch {
  // Installed already in this module registry: the capture below still sees stdout and stderr.
}
const workerLogText = () =>
  JSON.stringify(workerLog, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) + printed.join('');

let h: PipelineHarness;
let http: HttpRecorder;
let llm: OfflineModel;
let client: PipelinesClient;
const writes = {
  out: process.stdout.write.bind(process.stdout),
  err: process.stderr.write.bind(process.stderr),
};

beforeAll(async () => {
  for (const [stream, write] of [
    [process.stdout, writes.out],
    [process.stderr, writes.err],
  ] as const) {
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
      printed.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    };
  }
  http = await startHttpRecorder();
  llm = await startOfflineModel();
  const echo = (status: number) => (req: RecordedRequest) => ({
    status,
    json: { url: req.url, headers: req.headers, body: req.rawBody },
  });
  http.route('/echo', echo(200));
  http.route('/echo500', echo(500));
  http.route('/callback', { status: 204 });
  h = await startPipelineHarness(
    {
      providers: { openai: { baseURL: llm.baseURL } },
      env: { ...process.env, ...WORKER_ENV },
      callbackSecret: WORKER_ENV.PIPELINE_CALLBACK_SECRET,
      secrets: async (name) => {
        await new Promise((resolve) => setTimeout(resolve, 1)); // a secret manager's round trip
        if (name === 'ASYNC_ONE') return ASYNC_SECRET;
        return Object.hasOwn(SECRETS, name) ? SECRETS[name as keyof typeof SECRETS] : undefined;
      },
    },
    { payloads },
  );
  const env = sharedTestEnv();
  client = await connect({
    address: env.address,
    namespace: env.namespace,
    taskQueue: h.taskQueue,
    payloads,
  });
});
afterAll(async () => {
  process.stdout.write = writes.out;
  process.stderr.write = writes.err;
  await client?.close();
  await h?.close();
  await http?.close();
  await llm?.close();
});

/** An api_call carrying a secret in a header, the query and the body. */
const echoStep = (id: string, path: string, extra: Record<string, unknown> = {}) => ({
  id,
  action: 'api_call',
  params: {
    url: http.url(path),
    method: 'POST',
    headers: { authorization: 'Bearer {{ secrets.HEADER_TOKEN }}' },
    query: { key: '{{ secrets.QUERY_KEY }}' },
    body: { password: '{{ secrets.BODY_PASSWORD }}', note: 'ordinary-data-1234' },
  },
  ...extra,
});

/** Every payload of a history, decrypted (failure attributes included). */
async function decryptedHistoryText(history: unknown): Promise<string> {
  const codec = new EncryptionCodec(encryption);
  const parts: string[] = [];
  const walk = async (value: unknown): Promise<void> => {
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
    const record = value as Record<string, unknown>;
    if (record.metadata && typeof record.metadata === 'object' && 'data' in record) {
      const [plain] = await codec.decode([record]);
      parts.push(Buffer.from(plain?.data ?? new Uint8Array()).toString('utf8'));
      return;
    }
    for (const child of Object.values(record)) await walk(child);
  };
  await walk(history);
  return parts.join('\n');
}

interface Seen {
  where: string;
  text: string;
}

/** What every reader can see of one run. */
async function everythingReadable(handle: PipelineRunHandle): Promise<Seen[]> {
  const taskId = handle.workflowId;
  const history = await handle.fetchHistory();
  const chunks = [];
  for await (const chunk of new RunHandle(handle).stream()) chunks.push(chunk);
  return [
    { where: 'history (raw proto JSON)', text: JSON.stringify(historyToJson(history)) },
    { where: 'history (payloads decrypted)', text: await decryptedHistoryText(history) },
    { where: 'executions.get()', text: JSON.stringify(await client.executions.get(taskId)) },
    {
      where: 'executions.logs()',
      text: JSON.stringify(await client.executions.logs({ executionId: taskId })),
    },
    { where: 'stream()', text: JSON.stringify(chunks) },
  ];
}

function expectNoLeaks(seen: Seen[]): void {
  for (const { where, text } of seen) expect({ where, leaks: leaks(text) }).toEqual({ where, leaks: [] });
}

test('a 200 echo, a streamed llm reply and a callback: the secrets reach the server and no reader', async () => {
  // The model repeats the secret it was given, split across stream chunks.
  llm.script({
    reply: `the code is ${SECRETS.LLM_SECRET} ok`,
    tokens: ['the code is llm-S3c', 'r3t-77', 'aa ok'],
  });
  const handle = await h.start(
    {
      name: 'echo-ok',
      steps: [
        echoStep('call', '/echo'),
        {
          id: 'think',
          action: 'llm',
          params: { model: 'gpt-4o-mini', prompt: 'Repeat the code {{ secrets.LLM_SECRET }}', stream: true },
        },
        { id: 'result', action: 'output', params: { value: '{{ steps.call.output.body }}' } },
        { id: 'said', action: 'output', params: { value: '{{ steps.think.output.response }}' } },
      ],
    },
    { callbacks: { onComplete: http.url('/callback') } },
  );
  const outcome = await new RunHandle(handle).result();

  // The secrets did reach the world, where they belong.
  const [sent] = http.requestsTo('/echo');
  expect(sent!.headers.authorization).toBe(`Bearer ${SECRETS.HEADER_TOKEN}`);
  expect(sent!.query.key).toBe(SECRETS.QUERY_KEY);
  expect(sent!.body).toEqual({ password: SECRETS.BODY_PASSWORD, note: 'ordinary-data-1234' });
  expect(llm.chatRequests()[0]!.body.messages.at(-1).content).toContain(SECRETS.LLM_SECRET);
  // … and came back redacted by name.
  const echoed = JSON.stringify(outcome.outputs);
  expect(echoed).toContain('Bearer [secret:HEADER_TOKEN]');
  expect(echoed).toContain('[secret:QUERY_KEY]');
  expect(echoed).toContain('[secret:BODY_PASSWORD]');
  expect(outcome.outputs.said).toBe('the code is [secret:LLM_SECRET] ok');

  const [callback] = await http.waitForRequests('/callback', 1);
  const seen = await everythingReadable(handle);
  // The scan sees the run's data (so a miss means something).
  expect(seen.find((s) => s.where === 'history (payloads decrypted)')!.text).toContain('ordinary-data-1234');
  expect(seen.find((s) => s.where === 'stream()')!.text).toContain('[secret:LLM_SECRET]');
  expect(callback!.rawBody).toContain('[secret:HEADER_TOKEN]');
  expectNoLeaks([...seen, { where: 'callback body', text: callback!.rawBody }]);
});

test('a 500 echo, retried: failures in every event stay encoded and redacted', async () => {
  http.reset();
  http.route('/echo500', (req) => ({
    status: 500,
    json: { url: req.url, headers: req.headers, body: req.rawBody },
  }));
  http.route('/callback', { status: 204 });
  const handle = await h.start(
    {
      name: 'echo-fails',
      steps: [echoStep('call', '/echo500', { retry: { max_attempts: 2, initial_interval: '100ms' } })],
    },
    { callbacks: { onFailure: http.url('/callback') } },
  );
  const failure = await new RunHandle(handle).result().then(
    () => new Error('expected the run to fail'),
    (err: unknown) => err as Error,
  );
  expect(http.requestsTo('/echo500')).toHaveLength(2);
  const execution = await client.executions.get(handle.workflowId);
  expect(execution.status).toBe('failed');
  expect(JSON.stringify(execution)).toContain('[secret:HEADER_TOKEN]'); // the echo, in the failure message

  const history = await handle.fetchHistory();
  const raw = JSON.stringify(historyToJson(history));
  // Failure text is encoded (and so encrypted) in every event that carries one.
  expect(raw).toContain('ACTIVITY_TASK_FAILED');
  expect(raw).toContain('WORKFLOW_EXECUTION_FAILED');
  expect(raw).toContain('"lastFailure"');
  expect(raw).not.toContain('Internal Server Error');
  expect(raw).not.toContain('[secret:');
  expect(raw).toContain('Encoded failure');
  // … while readers with the key see the text (the retry's record of the attempt before it included).
  const logs = JSON.stringify(await client.executions.logs({ executionId: handle.workflowId }));
  expect(logs).not.toContain('Encoded failure');
  expect(logs).toContain('500 Internal Server Error');

  const [callback] = await http.waitForRequests('/callback', 1);
  expectNoLeaks([
    ...(await everythingReadable(handle)),
    { where: 'callback body', text: callback!.rawBody },
    {
      where: 'result() error',
      text: JSON.stringify({ m: failure.message, s: failure.stack, c: failure.cause }),
    },
  ]);
});

test('URL userinfo: the refused request names neither the password nor the query', async () => {
  const url = new URL(http.url('/echo'));
  const handle = await h.start({
    name: 'userinfo',
    steps: [
      {
        id: 'call',
        action: 'api_call',
        params: {
          url: `http://admin:{{ secrets.URL_PASSWORD }}@${url.host}/echo?key={{ secrets.QUERY_KEY }}`,
        },
        retry: { max_attempts: 1 },
      },
    ],
  });
  await new RunHandle(handle).result().catch(() => undefined);
  const execution = await client.executions.get(handle.workflowId);
  expect(execution.status).toBe('failed');
  const message = JSON.stringify(execution.steps.call?.error);
  expect(message).not.toContain('admin:');
  expectNoLeaks(await everythingReadable(handle));
});

test.each(['PIPELINE_ENCRYPTION_KEYS', 'OPENAI_API_KEY', 'PIPELINE_CALLBACK_SECRET'])(
  '{{ secrets.%s }} fails with SecretNotFound after 1 attempt, though the worker has that variable',
  async (name) => {
    http.reset();
    const handle = await h.start({
      name: 'steal',
      steps: [
        {
          id: 'steal',
          action: 'api_call',
          params: { url: http.url('/echo'), headers: { 'x-stolen': `{{ secrets.${name} }}` } },
        },
      ],
    });
    await new RunHandle(handle).result().catch(() => undefined);
    const execution = await client.executions.get(handle.workflowId);
    expect(execution.steps.steal).toMatchObject({ status: 'failed', attempts: 1 });
    expect(execution.steps.steal?.error).toMatchObject({ code: 'SecretNotFound' });
    expect(execution.steps.steal?.error?.message).toContain(`"${name}"`);
    expect(http.requests).toHaveLength(0);
    expectNoLeaks(await everythingReadable(handle));
  },
);

test('PIPELINE_SECRET_FOO resolves {{ secrets.FOO }}, and an async resolver resolves its names', async () => {
  http.reset();
  http.route('/echo', { json: { ok: true } });
  const handle = await h.start({
    name: 'allowed',
    steps: [
      {
        id: 'call',
        action: 'api_call',
        params: {
          url: http.url('/echo'),
          headers: { 'x-foo': '{{ secrets.FOO }}', 'x-async': '{{ secrets.ASYNC_ONE }}' },
        },
      },
    ],
  });
  await new RunHandle(handle).result();
  const [req] = http.requestsTo('/echo');
  expect(req!.headers['x-foo']).toBe(ENV_SECRET);
  expect(req!.headers['x-async']).toBe(ASYNC_SECRET);
});

test("the worker's log output holds no secret", () => {
  // Something was captured (the SDK logs every activity failure above).
  expect(workerLog.length + printed.length).toBeGreaterThan(0);
  expect(leaks(workerLogText(), [...Object.values(SECRETS), ...FORBIDDEN, ASYNC_SECRET, ENV_SECRET])).toEqual(
    [],
  );
});
