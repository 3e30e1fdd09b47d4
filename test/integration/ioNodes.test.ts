/**
 * I/O nodes end to end: the real `openai` client against the fake OpenAI-compatible server,
 * real HTTP for api_call and notification nodes, users' own actions, secrets kept out of history.
 */
import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/common';
import { defineAction } from '../../src/model';
import { startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { startOfflineModel, type OfflineModel } from '../../src/dev/offlineModel';
import { historyText } from '../support/historyText';

const SECRET = 'sk-test-SECRET-value-9f8e7d';
const calls: { to: string; amount: number }[] = [];

const chargeCard = defineAction({
  name: 'charge_card',
  params: z.object({ to: z.string(), amount: z.number().positive() }),
  outputs: ['receipt'],
  run: (params) => {
    calls.push(params);
    if (params.to === 'refuse')
      return Promise.reject(ApplicationFailure.nonRetryable('card declined', 'CardDeclined'));
    return Promise.resolve({ receipt: `paid ${params.amount} to ${params.to}` });
  },
});

let h: PipelineHarness;
let http: HttpRecorder;
let llm: OfflineModel;

beforeAll(async () => {
  http = await startHttpRecorder();
  llm = await startOfflineModel();
  h = await startPipelineHarness({
    providers: {
      openai: { baseURL: llm.baseURL, apiKey: 'test-key' },
      local: { baseURL: llm.baseURL, apiKey: 'local-key', defaultModel: 'local-default' },
    },
    webhooks: { ops: http.url('/hooks/ops') },
    secrets: (name) => (name === 'API_TOKEN' ? SECRET : undefined),
    actions: [chargeCard],
  });
});
afterAll(async () => {
  await h?.close();
  await http?.close();
  await llm?.close();
});
beforeEach(() => {
  http.reset();
  llm.reset();
});

test('an llm node calls the model through the openai client and records text and usage', async () => {
  llm.script({
    reply: 'Paris is the capital.',
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
  });
  const { snapshot, outputs } = await h.run(
    {
      steps: [
        { id: 'question', action: 'input', params: { type: 'string' } },
        {
          id: 'answer',
          action: 'llm',
          params: { model: 'gpt-test', system: 'Be brief.', prompt: 'Q: {{ inputs.question }}' },
        },
        { id: 'out', action: 'output', params: { value: '{{ steps.answer.output.response }}' } },
      ],
    },
    { inputs: { question: 'Capital of France?' } },
  );
  expect(outputs).toEqual({ out: 'Paris is the capital.' });
  expect(snapshot.nodes.answer!.output).toMatchObject({
    response: 'Paris is the capital.',
    usage: { promptTokens: 12, completionTokens: 5, totalTokens: 17 },
  });
  expect(snapshot.usage).toEqual({ promptTokens: 12, completionTokens: 5, totalTokens: 17 });
  const [req] = llm.chatRequests();
  expect(req!.body.model).toBe('gpt-test');
  expect(req!.body.messages).toEqual([
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Q: Capital of France?' },
  ]);
  expect(req!.headers.authorization).toBe('Bearer test-key');
  expect(req!.headers.traceparent).toMatch(new RegExp(`^00-${snapshot.traceId}-[0-9a-f]{16}-01$`));
});

test('a streamed llm node on another provider; 429 with retry-after is retried after the hinted delay', async () => {
  llm.script(
    { status: 429, retryAfter: 1 },
    { reply: 'one two three', tokens: ['one ', 'two ', 'three'], chunkDelayMs: 20 },
  );
  const { snapshot } = await h.run({
    steps: [
      {
        id: 'gen',
        action: 'llm',
        params: { provider: 'local', model: 'm', prompt: 'count', stream: true },
        retry: { initial_interval: '100ms' },
      },
    ],
  });
  expect(snapshot.nodes.gen).toMatchObject({
    status: 'completed',
    attempts: 2,
    output: { response: 'one two three' },
  });
  const [first, second] = llm.chatRequests();
  expect(second!.body.stream).toBe(true);
  expect(second!.headers.authorization).toBe('Bearer local-key');
  expect(second!.time - first!.time).toBeGreaterThanOrEqual(950);
});

test("an llm step without a model uses the provider's defaultModel from the worker", async () => {
  const { snapshot } = await h.run({
    steps: [{ id: 'gen', action: 'llm', params: { provider: 'local', prompt: 'hi' } }],
  });
  expect(snapshot.nodes.gen!.status).toBe('completed');
  expect(llm.chatRequests()[0]!.body.model).toBe('local-default');
});

test('a stream broken mid-way is retried and the retry succeeds', async () => {
  llm.script({ breakAfterChunks: 2, reply: 'partial answer here' }, { reply: 'full answer' });
  const { snapshot } = await h.run({
    steps: [
      {
        id: 'gen',
        action: 'llm',
        params: { model: 'm', prompt: 'x', stream: true },
        retry: { initial_interval: '100ms' },
      },
    ],
  });
  expect(snapshot.nodes.gen).toMatchObject({
    status: 'completed',
    attempts: 2,
    output: { response: 'full answer' },
  });
});

test('api_call sends method, headers, query and JSON body; secrets are resolved only by the activity', async () => {
  http.route('/orders', (req) => ({ status: 201, json: { id: 'ord_1', echo: req.body } }));
  const { snapshot, handle } = await h.run(
    {
      params: { customer: { type: 'string' } },
      steps: [
        {
          id: 'create',
          action: 'api_call',
          params: {
            url: http.url('/orders'),
            method: 'POST',
            headers: { authorization: 'Bearer {{ secrets.API_TOKEN }}' },
            query: { dry: false },
            body: { customer: '{{ params.customer }}', qty: 2 },
          },
        },
      ],
    },
    { params: { customer: 'c-42' } },
  );
  expect(snapshot.nodes.create!.output).toMatchObject({
    status: 201,
    ok: true,
    body: { id: 'ord_1', echo: { customer: 'c-42', qty: 2 } },
  });
  const [req] = http.requestsTo('/orders');
  expect(req!.method).toBe('POST');
  expect(req!.query).toEqual({ dry: 'false' });
  expect(req!.headers.authorization).toBe(`Bearer ${SECRET}`);
  const history = historyText(await handle.fetchHistory());
  // The scan reads payloads: the (non-secret) params are there, the secret is not.
  expect(history).toContain('c-42');
  expect(history).toContain('Bearer {{ secrets.API_TOKEN }}');
  expect(history).not.toContain(SECRET);
});

test('a notification posts to the channel configured on the worker', async () => {
  const { snapshot } = await h.run({
    name: 'notifier',
    steps: [{ id: 'tell', action: 'notification', params: { channel: 'ops', message: 'hello ops' } }],
  });
  expect(snapshot.nodes.tell).toMatchObject({ status: 'completed', output: { delivered: true } });
  const [req] = http.requestsTo('/hooks/ops');
  expect(req!.body).toMatchObject({
    message: 'hello ops',
    channel: 'ops',
    pipeline: 'notifier',
    nodeId: 'tell',
  });
});

test("users' own actions run as activities with validated params; their non-retryable failures pass through", async () => {
  calls.length = 0;
  const actions = { charge_card: chargeCard };
  const ok = await h.run(
    { steps: [{ id: 'pay', action: 'charge_card', params: { to: 'acme', amount: 10 } }] },
    { actions },
  );
  expect(ok.snapshot.nodes.pay!.output).toEqual({ receipt: 'paid 10 to acme' });

  const refused = await h.run(
    {
      steps: [
        { id: 'pay', action: 'charge_card', params: { to: 'refuse', amount: 5 }, retry: { max_attempts: 3 } },
      ],
    },
    { actions },
  );
  expect(refused.snapshot.nodes.pay).toMatchObject({
    status: 'failed',
    attempts: 1,
    error: { code: 'CardDeclined', message: 'card declined' },
  });
  expect(calls).toEqual([
    { to: 'acme', amount: 10 },
    { to: 'refuse', amount: 5 },
  ]);
});
