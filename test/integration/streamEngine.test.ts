/**
 * Streaming, engine side: the run's chunk log read with the `streamRead` query and a cursor
 * (node chunks, LLM token batches forwarded by the activity's signals, retry markers, the
 * result), cancellation mid-stream, the bound, and what streaming costs in history events.
 */
import { WorkflowFailedError } from '@temporalio/client';
import {
  MAX_STREAM_BYTES,
  MAX_STREAM_CHUNK_BYTES,
  STREAM_BATCH_BYTES,
  STREAM_BATCH_MS,
} from '../../src/protocol';
import type { PipelineRunHandle } from '../../src/client/runs/startRun';
import { streamReadQuery, type StreamChunk } from '../../src/protocol/messages/runMessages';
import { startOfflineModel, type OfflineModel } from '../../src/dev/offlineModel';
import { startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

let h: PipelineHarness;
let llm: OfflineModel;

beforeAll(async () => {
  llm = await startOfflineModel();
  h = await startPipelineHarness({ providers: { openai: { baseURL: llm.baseURL, apiKey: 'test-key' } } });
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
});
beforeEach(() => llm.reset());

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `streamRead` from `from` until the `result` chunk (or `until` holds); returns what it read. */
async function follow(
  handle: PipelineRunHandle,
  from = 0,
  until: (chunks: StreamChunk[]) => boolean = () => false,
): Promise<StreamChunk[]> {
  const chunks: StreamChunk[] = [];
  let cursor = from;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const page = await handle.query(streamReadQuery, { from: cursor });
    chunks.push(...page.chunks);
    cursor = page.next;
    if (chunks.at(-1)?.type === 'result' || until(chunks)) return chunks;
    if (page.chunks.length === 0) await sleep(15);
  }
  throw new Error(`stream did not end; read ${chunks.length} chunk(s)`);
}

const textOf = (chunks: StreamChunk[], nodeId: string) =>
  chunks.flatMap((c) => (c.type === 'stream' && c.nodeId === nodeId ? [c.outputValue] : [])).join('');

/** What a consumer shows: the text streamed since the node's last `retry` chunk. */
function finalText(chunks: StreamChunk[], nodeId: string): string {
  let text = '';
  for (const c of chunks) {
    if (!('nodeId' in c) || c.nodeId !== nodeId) continue;
    if (c.type === 'retry') text = '';
    if (c.type === 'stream') text += c.outputValue;
  }
  return text;
}

const words = (n: number, prefix = 'w') => Array.from({ length: n }, (_, i) => `${prefix}${i} `);

test('node chunks in order; token batches join to the reply under the output name; late and concurrent readers', async () => {
  const tokens = words(40);
  const reply = tokens.join('');
  llm.script({ reply, tokens, chunkDelayMs: 10 }, { reply: 'short summary', chunkDelayMs: 5 });
  const handle = await h.start(
    {
      steps: [
        { id: 'q', action: 'input', params: { type: 'string' } },
        { id: 'gen', action: 'llm', params: { model: 'm', prompt: '{{ inputs.q }}', stream: true } },
        {
          id: 'answer',
          action: 'output',
          params: { name: 'reply', type: 'stream<string>', value: '{{ steps.gen.output.response }}' },
        },
        {
          id: 'summary',
          action: 'llm',
          params: { model: 'm', prompt: 'Summarize: {{ steps.gen.output.response }}', stream: true },
        },
      ],
    },
    { inputs: { q: 'count' } },
  );
  const [a, b] = await Promise.all([follow(handle), follow(handle)]);
  expect(b).toEqual(a);
  const chunks = a;
  expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i + 1));

  const nodeChunks = (id: string) =>
    chunks
      .filter((c) => c.type === 'node' && c.nodeId === id)
      .map((c) => (c.type === 'node' ? c.status : ''));
  for (const id of ['q', 'gen', 'answer', 'summary'])
    expect(nodeChunks(id)).toEqual(['running', 'completed']);
  const seqOf = (id: string, status: string) =>
    chunks.find((c) => c.type === 'node' && c.nodeId === id && c.status === status)!.seq;
  expect(seqOf('q', 'completed')).toBeLessThan(seqOf('gen', 'running'));
  expect(seqOf('gen', 'completed')).toBeLessThan(seqOf('answer', 'running'));

  const genStream = chunks.filter((c) => c.type === 'stream' && c.nodeId === 'gen');
  expect(genStream.length).toBeGreaterThan(1); // streamed while the model answered…
  expect(genStream.length).toBeLessThan(tokens.length); // …in batches, not per token
  for (const c of genStream) {
    expect(c).toMatchObject({ outputName: 'reply', attempt: 1 });
    expect(c.seq).toBeGreaterThan(seqOf('gen', 'running'));
    expect(c.seq).toBeLessThan(seqOf('gen', 'completed'));
  }
  expect(textOf(chunks, 'gen')).toBe(reply);
  // No stream<string> output names it: the llm node's own id.
  expect(chunks.filter((c) => c.type === 'stream' && c.nodeId === 'summary')).not.toHaveLength(0);
  expect(chunks.find((c) => c.type === 'stream' && c.nodeId === 'summary')).toMatchObject({
    outputName: 'summary',
  });
  expect(textOf(chunks, 'summary')).toBe('short summary');
  expect(
    chunks.find((c) => c.type === 'node' && c.nodeId === 'gen' && c.status === 'completed'),
  ).toMatchObject({
    attempt: 1,
    output: { response: reply },
  });
  expect(chunks.at(-1)).toMatchObject({ type: 'result', status: 'completed', outputs: { reply } });

  // A late reader from a cursor gets exactly the rest.
  const middle = Math.floor(chunks.length / 2);
  expect(await follow(handle, middle)).toEqual(chunks.slice(middle));
  const page = await handle.query(streamReadQuery, { from: 0, limit: 3 });
  expect(page).toMatchObject({ next: 3, truncatedBefore: 0, closed: true });
  expect(page.chunks).toEqual(chunks.slice(0, 3));
});

test('a stream broken mid-way: a retry chunk, then only the last attempt’s text', async () => {
  const first = 'one two three four five six seven eight nine ten';
  llm.script(
    { breakAfterChunks: 6, reply: first, chunkDelayMs: 30 },
    { reply: 'the final answer', chunkDelayMs: 10 },
  );
  const handle = await h.start({
    steps: [
      {
        id: 'gen',
        action: 'llm',
        params: { model: 'm', prompt: 'x', stream: true },
        retry: { initial_interval: '100ms' },
      },
      {
        id: 'answer',
        action: 'output',
        params: { type: 'stream<string>', value: '{{ steps.gen.output.response }}' },
      },
    ],
  });
  const chunks = await follow(handle);
  const kinds = chunks.filter((c) => 'nodeId' in c && c.nodeId === 'gen');
  const retryAt = kinds.findIndex((c) => c.type === 'retry');
  expect(retryAt).toBeGreaterThan(0);
  expect(kinds[retryAt]).toMatchObject({ type: 'retry', nodeId: 'gen', attempt: 2 });
  const before = kinds.slice(0, retryAt).filter((c) => c.type === 'stream');
  const after = kinds.slice(retryAt).filter((c) => c.type === 'stream');
  expect(before.length).toBeGreaterThan(0);
  for (const c of before) expect(c).toMatchObject({ attempt: 1, outputName: 'answer' });
  for (const c of after) expect(c).toMatchObject({ attempt: 2, outputName: 'answer' });
  expect(first.startsWith(before.map((c) => (c.type === 'stream' ? c.outputValue : '')).join(''))).toBe(true);
  expect(finalText(chunks, 'gen')).toBe('the final answer');
  expect(
    chunks.find((c) => c.type === 'node' && c.nodeId === 'gen' && c.status === 'completed'),
  ).toMatchObject({
    attempt: 2,
  });
  expect(chunks.at(-1)).toMatchObject({
    type: 'result',
    status: 'completed',
    outputs: { answer: 'the final answer' },
  });
  expect((await handle.result()).outputs).toEqual({ answer: 'the final answer' });
});

test('cancel() mid-stream closes the model connection and writes a cancelled result chunk', async () => {
  const tokens = words(300, 'tok');
  llm.script({ reply: tokens.join(''), tokens, chunkDelayMs: 20 });
  const handle = await h.start({
    steps: [{ id: 'gen', action: 'llm', params: { model: 'm', prompt: 'long', stream: true } }],
  });
  const early = await follow(handle, 0, (cs) => cs.some((c) => c.type === 'stream'));
  expect(early.some((c) => c.type === 'stream')).toBe(true);
  await handle.cancel();
  await llm.waitFor(() => llm.chatRequests()[0]?.clientClosed === true, 10_000, 'model connection closed');
  const request = llm.chatRequests()[0]!;
  expect(request.completed).toBe(false);
  expect(request.chunksSent).toBeLessThan(tokens.length);

  const chunks = await follow(handle);
  expect(
    chunks.find((c) => c.type === 'node' && c.nodeId === 'gen' && c.status === 'cancelled'),
  ).toBeDefined();
  expect(chunks.at(-1)).toMatchObject({ type: 'result', status: 'cancelled' });
  expect(tokens.join('').startsWith(textOf(chunks, 'gen'))).toBe(true);
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const page = await handle.query(streamReadQuery, { from: chunks.at(-1)!.seq });
  expect(page).toMatchObject({ chunks: [], closed: true });
});

test('a long generation: the log keeps the newest 1 MiB, says what was dropped, no chunk over 64 KiB', async () => {
  // ~1.3 MB of text: 75 tokens of 16 KiB and one of 100 KiB (split into several chunks).
  const tokens = [
    ...Array.from({ length: 75 }, (_, i) => `${i % 10}`.repeat(16 * 1024)),
    'L'.repeat(100 * 1024),
  ];
  const reply = tokens.join('');
  llm.script({ reply, tokens, usage: { prompt_tokens: 1, completion_tokens: 76, total_tokens: 77 } });
  const handle = await h.start({
    steps: [{ id: 'gen', action: 'llm', params: { model: 'm', prompt: 'long', stream: true } }],
  });
  const result = await handle.result();
  expect((result.outputs.gen as { response: string }).response).toBe(reply);

  const page = await handle.query(streamReadQuery, { from: 0, limit: 2000 });
  expect(page.closed).toBe(true);
  expect(page.truncatedBefore).toBeGreaterThan(0);
  expect(page.chunks[0]!.seq).toBe(page.truncatedBefore + 1);
  // Pages hold at most 256 KiB: a reader from 0 reads what is kept in several pages.
  expect(page.chunks.at(-1)!.type).not.toBe('result');
  const kept = await follow(handle, 0);
  expect(kept[0]!.seq).toBe(page.truncatedBefore + 1);
  const sizes = kept.map((c) => Buffer.byteLength(JSON.stringify(c)));
  expect(sizes.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(MAX_STREAM_BYTES);
  for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_STREAM_CHUNK_BYTES);
  // What is kept is the end of the text; the node's output and the result are cut to fit.
  expect(reply.endsWith(textOf(kept, 'gen'))).toBe(true);
  expect(kept.find((c) => c.type === 'node' && c.status === 'completed')).toMatchObject({ truncated: true });
  expect(kept.at(-1)).toMatchObject({ type: 'result', status: 'completed', truncated: true });
});

/** History events of a run that streams `tokens`, and of the same run without streaming. */
async function historyCost(tokens: string[], chunkDelayMs: number, harness: PipelineHarness = h) {
  const reply = tokens.join('');
  const doc = (stream: boolean) => ({
    steps: [{ id: 'gen', action: 'llm', params: { model: 'm', prompt: 'go', stream } }],
  });
  llm.script({ reply, tokens, chunkDelayMs }, { reply, tokens, chunkDelayMs });
  const streamed = await harness.start(doc(true));
  await streamed.result();
  const [req] = llm.chatRequests();
  const streamMs = Date.now() - req!.time;
  const plain = await harness.start(doc(false));
  await plain.result();
  const events = (await streamed.fetchHistory()).events ?? [];
  const baseline = (await plain.fetchHistory()).events ?? [];
  const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
  const extra = events.length - baseline.length;
  const chunks = await follow(streamed);
  expect(textOf(chunks, 'gen')).toBe(reply);
  return {
    events: events.length,
    baseline: baseline.length,
    extra,
    signals,
    streamMs,
    bytes: Buffer.byteLength(reply),
  };
}

test('history cost: no per-token events; events per 1,000 tokens stay within the batching bound', async () => {
  // As fast as the fake can send: batches fill up by size.
  const fast = await historyCost(words(1000, 't'), 0);
  const fastPer1000 = fast.extra;
  // A token every 10 ms (≈70–100 tokens/s with timer slack, a fast model): batches close by time.
  const pacedTokens = 300;
  const paced = await historyCost(words(pacedTokens, 't'), 10);
  const pacedPer1000 = Math.round((paced.extra * 1000) / pacedTokens);
  console.log(
    `history events per 1,000 tokens: ${fastPer1000} as fast as possible (${fast.signals} signals, ` +
      `${fast.events} events vs ${fast.baseline} without streaming); ${pacedPer1000} at ` +
      `${Math.round((pacedTokens * 1000) / paced.streamMs)} tokens/s ` +
      `(${paced.signals} signals for ${pacedTokens} tokens in ${paced.streamMs} ms, ${paced.events} events ` +
      `vs ${paced.baseline})`,
  );
  // Each batch costs one signal event plus at most one workflow task (3 events).
  for (const run of [fast, paced]) {
    const maxBatches =
      Math.ceil(run.streamMs / STREAM_BATCH_MS) + Math.ceil(run.bytes / STREAM_BATCH_BYTES) + 1;
    expect(run.signals).toBeLessThanOrEqual(maxBatches);
    expect(run.extra).toBeLessThanOrEqual(4 * run.signals);
  }
  expect(fastPer1000).toBeLessThan(100);
});

test('history cost with a longer batch interval (worker option streaming.batchMs = 200)', async () => {
  const slow = await startPipelineHarness({
    providers: { openai: { baseURL: llm.baseURL, apiKey: 'test-key' } },
    streaming: { batchMs: 200 },
  });
  try {
    const pacedTokens = 300;
    const paced = await historyCost(words(pacedTokens, 't'), 10, slow);
    const per1000 = Math.round((paced.extra * 1000) / pacedTokens);
    console.log(
      `history events per 1,000 tokens at ${Math.round((pacedTokens * 1000) / paced.streamMs)} tokens/s ` +
        `with batchMs 200: ${per1000} ` +
        `(${paced.signals} signals for ${pacedTokens} tokens in ${paced.streamMs} ms)`,
    );
    expect(paced.signals).toBeLessThanOrEqual(Math.ceil(paced.streamMs / 200) + 2);
    expect(paced.extra).toBeLessThanOrEqual(4 * paced.signals);
  } finally {
    await slow.close();
  }
});
