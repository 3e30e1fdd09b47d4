/**
 * LLM rate limits shared by every worker: two worker processes, two clients, one fake
 * OpenAI-compatible server per provider. Each provider's limit is checked where it matters, at
 * the provider: the requests (and tokens) that arrived in any window.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PipelinesClient } from '../../src/client/connect';
import { rateLimiterId } from '../../src/model/limits/rateLimits';
import { rateStateQuery } from '../../src/workflows/limits/llmRateLimiter';
import { eventually } from '../support/eventually';
import { startOfflineModel, type OfflineModel, type ModelRequest } from '../../src/dev/offlineModel';
import { startWorkerFleet, type WorkerFleet } from '../support/workerFleet';

/** The most requests (or tokens, with `weigh`) that arrived within any `windowMs`. */
function busiestWindow(
  requests: ModelRequest[],
  windowMs: number,
  weigh: (r: ModelRequest) => number = () => 1,
) {
  const times = [...requests].sort((a, b) => a.time - b.time);
  let most = 0;
  for (let i = 0; i < times.length; i++) {
    let sum = 0;
    for (let j = i; j < times.length && times[j]!.time - times[i]!.time < windowMs; j++)
      sum += weigh(times[j]!);
    most = Math.max(most, sum);
  }
  return most;
}

const asking = (provider: string, prompt: string, extra: Record<string, unknown> = {}) => ({
  name: `ask-${provider}`,
  steps: [{ id: 'ask', action: 'llm', params: { provider, model: 'm1', prompt, ...extra } }],
});

/** The fake counts usage in words: `echo: <prompt>` for a reply. */
const usageOf = (r: ModelRequest) => {
  const prompt = String(r.body.messages.at(-1).content);
  const words = prompt.split(/\s+/).filter(Boolean).length;
  return words + (words + 1);
};

describe('LLM rate limits shared by all workers', () => {
  const taskQueue = `llm-rate-${randomBytes(4).toString('hex')}`;
  const suffix = randomBytes(3).toString('hex');
  const providers = { requests: `req-${suffix}`, tokens: `tok-${suffix}`, paused: `pause-${suffix}` };
  let fakes: Record<keyof typeof providers, OfflineModel>;
  let fleet: WorkerFleet;
  let clients: PipelinesClient[] = [];
  let temporal: Client;

  beforeAll(async () => {
    const [requests, tokens, paused] = await Promise.all([
      startOfflineModel(),
      startOfflineModel(),
      startOfflineModel(),
    ]);
    fakes = { requests, tokens, paused };
    const config = {
      [providers.requests]: { baseURL: requests.baseURL, rateLimit: { requests: 4, per: '4s' } },
      // Estimates: ⌈prompt JSON / 4⌉ + max_tokens, about 20 tokens a call; real use is 7.
      [providers.tokens]: { baseURL: tokens.baseURL, rateLimit: { tokens: 60, per: '4s' } },
      [providers.paused]: { baseURL: paused.baseURL, rateLimit: { requests: 1000, per: '1s' } },
    };
    fleet = await startWorkerFleet({
      taskQueue,
      workers: 2,
      clients: 2,
      env: { PIPELINE_PROVIDERS: JSON.stringify(config) },
    });
    ({ clients, temporal } = fleet);
  }, 120_000);

  afterAll(async () => {
    await fleet?.close();
    await Promise.all(Object.values(fakes ?? {}).map((f) => f.close()));
  });

  test('4 requests per 4 s: 12 calls from two clients on two workers keep to it', async () => {
    const handles = await Promise.all(
      Array.from({ length: 12 }, (_, i) => clients[i % 2]!.start(asking(providers.requests, `call ${i}`))),
    );
    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results.map((r) => r.outputs.ask)).toHaveLength(12);
    const calls = fakes.requests.chatRequests();
    expect(calls).toHaveLength(12);
    // Calls start when the limiter says, or later when the machine is busy (a call that waited
    // is placed 250 ms after the one it waited for, to absorb that); at the provider each arrives
    // after its own latency too. So the exact 4 s figure is recorded, and 4 is asserted for
    // windows 500 ms shorter.
    expect(busiestWindow(calls, 4000 - 500)).toBeLessThanOrEqual(4);
    const { entries } = await temporal.workflow
      .getHandle(rateLimiterId(providers.requests, 'm1'))
      .query(rateStateQuery);
    expect(entries).toHaveLength(12);
    const span = Math.max(...calls.map((c) => c.time)) - Math.min(...calls.map((c) => c.time));
    // Two windows' wait at least: the limit was applied, not just met by chance.
    expect(span).toBeGreaterThanOrEqual(8000 - 500);
    console.log(
      `requests limit 4/4 s: busiest exact 4 s window: ${busiestWindow(calls, 4000)} at the provider, ${busiestWindow(
        entries.map((e) => ({ time: e.at }) as ModelRequest),
        4000,
      )} by the calls' real starts; 12 calls spread over ${span} ms`,
    );
  }, 90_000);

  test('60 tokens per 4 s: calls are paced by their tokens, corrected by reported usage', async () => {
    const handles = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        clients[i % 2]!.start(asking(providers.tokens, `tokens ${i} here`, { max_tokens: 10 })),
      ),
    );
    await Promise.all(handles.map((h) => h.result()));
    const calls = fakes.tokens.chatRequests();
    expect(calls).toHaveLength(12);
    expect(busiestWindow(calls, 4000 - 500, usageOf)).toBeLessThanOrEqual(60);
    const state = await temporal.workflow
      .getHandle(rateLimiterId(providers.tokens, 'm1'))
      .query(rateStateQuery);
    // Every call reported what it used (7 tokens), replacing its estimate.
    expect(state.entries.every((e) => e.tokens === 7)).toBe(true);
    console.log(
      `tokens limit 60/4 s: busiest exact 4 s window at the provider ${busiestWindow(calls, 4000, usageOf)} tokens`,
    );
  }, 90_000);

  test("a provider's 429 with retry-after pauses every worker's calls", async () => {
    fakes.paused.script({ status: 429, retryAfter: 3 });
    const first = await clients[0]!.start(asking(providers.paused, 'first'));
    const [limited] = await fakes.paused.waitForChatRequests(1, 20_000);
    const limiter = temporal.workflow.getHandle(rateLimiterId(providers.paused, 'm1'));
    const paused = await eventually(
      () => limiter.query(rateStateQuery),
      (s) => s.pausedUntil > 0,
      10_000,
    );
    expect(paused.pausedUntil).toBeGreaterThanOrEqual(limited!.time + 2500);
    const others = await Promise.all(
      Array.from({ length: 6 }, (_, i) => clients[i % 2]!.start(asking(providers.paused, `other ${i}`))),
    );
    await Promise.all([first, ...others].map((h) => h.result()));
    const after = fakes.paused.chatRequests().slice(1);
    expect(after).toHaveLength(7);
    // Nobody called before the provider's retry-after ran out (allowing 150 ms of clock skew).
    const earliest = Math.min(...after.map((r) => r.time)) - limited!.time;
    expect(earliest).toBeGreaterThanOrEqual(3000 - 150);
    console.log(`429 retry-after 3 s: the next call of any worker came ${earliest} ms after it`);
  }, 90_000);
});
