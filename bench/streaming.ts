/**
 * Streaming figures, against the fake OpenAI server emitting tokens at a fixed rate, on a local
 * Temporal dev server with one worker in this process. Part of `npm run bench`.
 *
 * - TTFT: start → the first `stream` chunk at the client (`handle.stream()`), minus the TTFT of
 *   the same chat-completions call made directly with the `openai` client; p50 / p95.
 * - Tokens per second delivered to the client (first to last streamed chunk), one run and 20
 *   concurrent runs, next to the rate the fake emits.
 * - History events per 1,000 tokens (`fetchHistory()`), and the same pipeline without `stream`.
 *
 * Writes bench/results/streaming.json. BENCH_RUNS (default 20) sets the TTFT sample size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { connect, type PipelinesClient } from '../src/client/connect';
import type { RunHandle } from '../src/client/runs/runHandle';
import type { StreamOptions } from '../src/client/streaming/stream';
import { startLocalServer } from '../src/dev/localServer';
import { quantile } from './support';
import { bundleWorkflows, createPipelineWorker } from '../src/worker';
import { startOfflineModel, type OfflineModel } from '../src/dev/offlineModel';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const CONCURRENT = 20;
/** The fake emits a token every TOKEN_MS (setTimeout: at least 1 ms, so about 1000 / TOKEN_MS tokens/s at most). */
const TOKEN_MS = 2;
const THROUGHPUT_TOKENS = 1000;
const TTFT_TOKENS = 20;
const TTFT_TOKEN_MS = 10;
/** The readers' `pollInterval` (BENCH_POLL_MS); the library's default when unset. */
const POLL_MS = process.env.BENCH_POLL_MS ? Number(process.env.BENCH_POLL_MS) : undefined;

const tokens = (n: number) => Array.from({ length: n }, (_, i) => `tok${i} `);

const doc = (stream: boolean) => ({
  name: 'bench-stream',
  steps: [
    { id: 'q', action: 'input', params: { type: 'string' } },
    { id: 'llm', action: 'llm', params: { model: 'fake', prompt: '{{ inputs.q }}', stream } },
    {
      id: 'out',
      action: 'output',
      params: { value: '{{ steps.llm.output.response }}', type: 'stream<string>' },
    },
  ],
});

const round = (n: number, digits = 1) => Number(n.toFixed(digits));

interface StreamTiming {
  /** ms from the run writing its first streamed chunk (its `at`, workflow time) to the client having it. */
  firstLagMs: number;
  /** ms from `t0` to the first streamed chunk. */
  firstMs: number;
  /** ms from `t0` to the last streamed chunk. */
  lastMs: number;
  text: string;
  reads: number;
}

async function readTimed(
  run: RunHandle,
  t0: number,
  options: StreamOptions = { pollInterval: POLL_MS },
): Promise<StreamTiming> {
  let firstLagMs = NaN;
  let firstMs = NaN;
  let lastMs = NaN;
  let text = '';
  let reads = 0;
  for await (const chunk of run.stream(options)) {
    reads++;
    if (chunk.type !== 'stream') continue;
    const now = performance.now() - t0;
    if (Number.isNaN(firstMs)) {
      firstMs = now;
      firstLagMs = Date.now() - Date.parse(chunk.at);
    }
    lastMs = now;
    text += chunk.outputValue;
  }
  return { firstLagMs, firstMs, lastMs, text, reads };
}

async function directTtft(fake: OfflineModel): Promise<number> {
  const openai = new OpenAI({ baseURL: fake.baseURL, apiKey: 'x', maxRetries: 0 });
  fake.script({
    reply: tokens(TTFT_TOKENS).join(''),
    tokens: tokens(TTFT_TOKENS),
    chunkDelayMs: TTFT_TOKEN_MS,
  });
  const t0 = performance.now();
  const stream = await openai.chat.completions.create({
    model: 'fake',
    messages: [{ role: 'user', content: 'go' }],
    stream: true,
  });
  let first = NaN;
  for await (const chunk of stream) {
    if (Number.isNaN(first) && chunk.choices[0]?.delta?.content) first = performance.now() - t0;
  }
  return first;
}

async function directRate(fake: OfflineModel, n: number): Promise<number> {
  const openai = new OpenAI({ baseURL: fake.baseURL, apiKey: 'x', maxRetries: 0 });
  fake.script({ reply: tokens(n).join(''), tokens: tokens(n), chunkDelayMs: TOKEN_MS });
  const stream = await openai.chat.completions.create({
    model: 'fake',
    messages: [{ role: 'user', content: 'go' }],
    stream: true,
  });
  let first = NaN;
  let last = NaN;
  for await (const chunk of stream) {
    if (!chunk.choices[0]?.delta?.content) continue;
    last = performance.now();
    if (Number.isNaN(first)) first = last;
  }
  return ((n - 1) / (last - first)) * 1000;
}

async function engineTtft(client: PipelinesClient, fake: OfflineModel): Promise<StreamTiming> {
  fake.script({
    reply: tokens(TTFT_TOKENS).join(''),
    tokens: tokens(TTFT_TOKENS),
    chunkDelayMs: TTFT_TOKEN_MS,
  });
  const t0 = performance.now();
  const run = await client.start(doc(true), { inputs: { q: 'go' } });
  return readTimed(run, t0);
}

/** The llm step's own duration: how long the fake took to emit the reply, in this loaded process. */
async function llmSeconds(run: RunHandle): Promise<number> {
  const status = await run.runStatus();
  return (status.nodes.llm?.durationMs ?? NaN) / 1000;
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startLocalServer({ uiPort: false });
  const fake = await startOfflineModel();
  const taskQueue = `bench-stream-${randomBytes(3).toString('hex')}`;
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await createPipelineWorker({
    connection: native,
    taskQueue,
    workflowBundle: await bundleWorkflows(),
    activities: { providers: { openai: { baseURL: fake.baseURL, apiKey: 'x' } } },
  });
  const client = await connect({ address: server.address, taskQueue });
  const results: Record<string, unknown> = {};

  await worker.runUntil(async () => {
    // Warm up: the workflow bundle's first run, the connections.
    for (let i = 0; i < 3; i++) await engineTtft(client, fake);
    for (let i = 0; i < 3; i++) await directTtft(fake);

    // 1. TTFT through the engine vs direct.
    const direct: number[] = [];
    const engine: number[] = [];
    const lag: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      direct.push(await directTtft(fake));
      const timing = await engineTtft(client, fake);
      engine.push(timing.firstMs);
      lag.push(timing.firstLagMs);
    }
    const ttft = {
      runs: RUNS,
      tokenIntervalMs: TTFT_TOKEN_MS,
      directMs: { p50: round(quantile(direct, 0.5)), p95: round(quantile(direct, 0.95)) },
      engineMs: { p50: round(quantile(engine, 0.5)), p95: round(quantile(engine, 0.95)) },
      overheadMs: {
        p50: round(quantile(engine, 0.5) - quantile(direct, 0.5)),
        p95: round(quantile(engine, 0.95) - quantile(direct, 0.95)),
      },
      /** Of the engine's TTFT: the chunk written in the run (its `at`) → read by the client (query polling). */
      clientReadLagMs: { p50: round(quantile(lag, 0.5)), p95: round(quantile(lag, 0.95)) },
    };
    results.ttft = ttft;
    console.log(
      `TTFT direct          p50 ${ttft.directMs.p50} ms   p95 ${ttft.directMs.p95} ms   (n=${RUNS})\n` +
        `TTFT through engine  p50 ${ttft.engineMs.p50} ms   p95 ${ttft.engineMs.p95} ms\n` +
        `TTFT overhead        p50 ${ttft.overheadMs.p50} ms   p95 ${ttft.overheadMs.p95} ms\n` +
        `  of which chunk written → client has it: p50 ${ttft.clientReadLagMs.p50} ms   p95 ${ttft.clientReadLagMs.p95} ms`,
    );

    // 2. Tokens per second to the client: one run, then 20 at once.
    const emitted = await directRate(fake, THROUGHPUT_TOKENS);
    const expected = tokens(THROUGHPUT_TOKENS).join('');
    fake.script({ reply: expected, tokens: tokens(THROUGHPUT_TOKENS), chunkDelayMs: TOKEN_MS });
    let t0 = performance.now();
    const single = await client.start(doc(true), { inputs: { q: 'go' } });
    const one = await readTimed(single, t0);
    if (one.text !== expected) throw new Error('the streamed text differs from the reply');
    const oneRate = ((THROUGHPUT_TOKENS - 1) / (one.lastMs - one.firstMs)) * 1000;
    const oneEmitted = THROUGHPUT_TOKENS / (await llmSeconds(single));

    for (let i = 0; i < CONCURRENT; i++) {
      fake.script({ reply: expected, tokens: tokens(THROUGHPUT_TOKENS), chunkDelayMs: TOKEN_MS });
    }
    t0 = performance.now();
    const many = await Promise.all(
      Array.from({ length: CONCURRENT }, async () => {
        const run = await client.start(doc(true), { inputs: { q: 'go' } });
        return { ...(await readTimed(run, t0)), llmSeconds: await llmSeconds(run) };
      }),
    );
    if (many.some((m) => m.text !== expected)) throw new Error('a concurrent run streamed other text');
    const perRun = many.map((m) => ((THROUGHPUT_TOKENS - 1) / (m.lastMs - m.firstMs)) * 1000);
    const span = Math.max(...many.map((m) => m.lastMs)) - Math.min(...many.map((m) => m.firstMs));
    const throughput = {
      tokensPerRun: THROUGHPUT_TOKENS,
      emittedTokensPerSecond: round(emitted, 0),
      oneRun: {
        tokensPerSecond: round(oneRate, 0),
        seconds: round((one.lastMs - one.firstMs) / 1000, 2),
        /** What the fake managed to emit during the run, sharing this process's CPU with the worker. */
        emittedDuringRunTokensPerSecond: round(oneEmitted, 0),
      },
      concurrentRuns: {
        runs: CONCURRENT,
        aggregateTokensPerSecond: round(((THROUGHPUT_TOKENS * CONCURRENT) / span) * 1000, 0),
        perRunTokensPerSecond: { p50: round(quantile(perRun, 0.5), 0), min: round(Math.min(...perRun), 0) },
        emittedDuringRunPerRunTokensPerSecond: {
          p50: round(
            quantile(
              many.map((m) => THROUGHPUT_TOKENS / m.llmSeconds),
              0.5,
            ),
            0,
          ),
        },
      },
    };
    results.throughput = throughput;
    console.log(
      `tokens/s emitted by the fake (direct read)   ${throughput.emittedTokensPerSecond}\n` +
        `tokens/s to the client, one run             ${throughput.oneRun.tokensPerSecond} ` +
        `(the fake emitted ${throughput.oneRun.emittedDuringRunTokensPerSecond}/s during the run)\n` +
        `tokens/s to the clients, ${CONCURRENT} runs at once   ${throughput.concurrentRuns.aggregateTokensPerSecond} in all, ` +
        `per run p50 ${throughput.concurrentRuns.perRunTokensPerSecond.p50} (min ${throughput.concurrentRuns.perRunTokensPerSecond.min}; ` +
        `the fake emitted p50 ${throughput.concurrentRuns.emittedDuringRunPerRunTokensPerSecond.p50}/s per run)`,
    );

    // 3. History events per 1,000 tokens, against the same pipeline without streaming.
    const events = async (run: RunHandle) => (await run.workflow.fetchHistory()).events?.length ?? 0;
    const streamedEvents = await events(single);
    fake.script({ reply: expected, tokens: tokens(THROUGHPUT_TOKENS), chunkDelayMs: TOKEN_MS });
    const plain = await client.start(doc(false), { inputs: { q: 'go' } });
    await plain.result();
    const plainEvents = await events(plain);
    const history = {
      tokens: THROUGHPUT_TOKENS,
      tokenIntervalMs: TOKEN_MS,
      streamedRunEvents: streamedEvents,
      plainRunEvents: plainEvents,
      eventsPer1000Tokens: round((streamedEvents / THROUGHPUT_TOKENS) * 1000, 0),
      streamingEventsPer1000Tokens: round(((streamedEvents - plainEvents) / THROUGHPUT_TOKENS) * 1000, 0),
    };
    results.history = history;
    console.log(
      `history events per 1,000 tokens  ${history.eventsPer1000Tokens} ` +
        `(${streamedEvents} events for ${THROUGHPUT_TOKENS} tokens at one per ${TOKEN_MS} ms; ${plainEvents} without streaming)`,
    );
  });

  const out = path.join(__dirname, 'results', 'streaming.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        node: process.version,
        pollIntervalMs: POLL_MS ?? 'default (25)',
        ...results,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`written to ${path.relative(process.cwd(), out)}`);
  await client.close();
  await native.close();
  await fake.close();
  await server.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
