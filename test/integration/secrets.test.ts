/**
 * Secrets never enter workflow history (issue 6 item 6): a run that uses a provider API key,
 * secret references in api_call and notification headers, a secret param given to a user's
 * action, a signed callback, and model output that tries to name a secret. The scan decodes every
 * payload of the run's full history (and of its status and stream reads) and finds none of the
 * secret values, while it does find the run's ordinary data.
 */
import { z } from 'zod';
import { defineAction } from '../../src/model';
import { streamReadQuery, statusQuery } from '../../src/protocol/messages/runMessages';
import { startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { startOfflineModel, type OfflineModel } from '../../src/dev/offlineModel';
import { historyText } from '../support/historyText';

const SECRETS = {
  LLM_KEY: 'sk-live-LLMKEY-5b1f0e2a9c',
  API_TOKEN: 'tok-APITOKEN-77c1d9e3',
  HOOK_TOKEN: 'hook-HOOKTOKEN-2a8f4410',
  DB_PASSWORD: 'pw-DBPASSWORD-9e0b13c7',
  CALLBACK_SECRET: 'whsec-CALLBACK-41d2aa90',
};

const seenPasswords: string[] = [];
const connectDb = defineAction({
  name: 'connect_db',
  params: z.object({ host: z.string(), password: z.string() }),
  run: ({ host, password }) => {
    seenPasswords.push(password);
    return Promise.resolve({ connected: host });
  },
});

let h: PipelineHarness;
let http: HttpRecorder;
let llm: OfflineModel;

beforeAll(async () => {
  http = await startHttpRecorder();
  llm = await startOfflineModel();
  h = await startPipelineHarness({
    providers: { openai: { baseURL: llm.baseURL, apiKey: SECRETS.LLM_KEY } },
    secrets: (name) => (name in SECRETS ? SECRETS[name as keyof typeof SECRETS] : undefined),
    actions: [connectDb],
    callbackSecret: SECRETS.CALLBACK_SECRET,
  });
});
afterAll(async () => {
  await h?.close();
  await http?.close();
  await llm?.close();
});

test('no secret value appears anywhere in the history, the status snapshot or the stream of a run that used them', async () => {
  http.route('/orders', { status: 201, json: { id: 'ord_7' } });
  http.route('/hooks/ops', { status: 204 });
  http.route('/callbacks/done', { status: 204 });
  // The model tries to smuggle a secret reference into what the next step sends.
  llm.script({
    reply: 'ship it {{ secrets.API_TOKEN }}',
    tokens: ['ship ', 'it ', '{{ secrets.API_TOKEN }}'],
  });

  const { handle, snapshot } = await h.run(
    {
      name: 'secretive',
      steps: [
        {
          id: 'plan',
          action: 'llm',
          params: { model: 'gpt-4o-mini', prompt: 'Plan order for acme-corp', stream: true },
        },
        {
          id: 'order',
          action: 'api_call',
          params: {
            url: http.url('/orders'),
            method: 'POST',
            headers: { authorization: 'Bearer {{ secrets.API_TOKEN }}' },
            body: { customer: 'acme-corp', note: '{{ steps.plan.output.response }}' },
          },
        },
        {
          id: 'db',
          action: 'connect_db',
          params: { host: 'db.internal', password: '{{ secrets.DB_PASSWORD }}' },
        },
        {
          id: 'tell',
          action: 'notification',
          params: {
            url: http.url('/hooks/ops'),
            headers: { 'x-hook-token': '{{ secrets.HOOK_TOKEN }}' },
            message: 'ordered {{ steps.order.output.body.id }}',
          },
          depends_on: ['db'],
        },
      ],
    },
    { callbacks: { onComplete: http.url('/callbacks/done') }, actions: { connect_db: connectDb } },
  );
  expect(snapshot.status).toBe('completed');

  // The secrets did reach the world, where they belong.
  expect(llm.chatRequests()[0]!.headers.authorization).toBe(`Bearer ${SECRETS.LLM_KEY}`);
  const [order] = http.requestsTo('/orders');
  expect(order!.headers.authorization).toBe(`Bearer ${SECRETS.API_TOKEN}`);
  // … but the model's text stayed text: it was not resolved into the secret.
  expect(order!.body).toEqual({ customer: 'acme-corp', note: 'ship it {{ secrets.API_TOKEN }}' });
  expect(http.requestsTo('/hooks/ops')[0]!.headers['x-hook-token']).toBe(SECRETS.HOOK_TOKEN);
  expect(seenPasswords).toEqual([SECRETS.DB_PASSWORD]);
  await http.waitForRequests('/callbacks/done', 1);
  expect(http.requestsTo('/callbacks/done')[0]!.headers['x-pipeline-signature']).toMatch(
    /^t=\d+,v1=[0-9a-f]{64}$/,
  );

  const texts = [
    historyText(await handle.fetchHistory()),
    historyText(await handle.query(statusQuery)),
    historyText(await handle.query(streamReadQuery, { from: 0 })),
  ];
  // The scan sees the run's data (so a miss below means something)…
  expect(texts[0]).toContain('acme-corp');
  expect(texts[0]).toContain('Bearer {{ secrets.API_TOKEN }}');
  expect(texts[2]).toContain('ship ');
  // … and none of the secret values, anywhere.
  for (const text of texts) {
    for (const [name, value] of Object.entries(SECRETS)) {
      expect({ name, found: text.includes(value) }).toEqual({ name, found: false });
    }
  }
});
