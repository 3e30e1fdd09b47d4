/**
 * Reading runs as they happen, end to end: LLM tokens from the fake OpenAI server through the
 * engine to `handle.stream()`, late join and resume by cursor, several readers, SSE over a real
 * HTTP server with `Last-Event-ID`, `pipeline.stream()` / `run(…, { stream: true })`, and runs
 * cancelled or terminated mid-stream.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { Pipeline } from '../../src/client/pipelines/pipeline';
import { RunHandle } from '../../src/client/runs/runHandle';
import { sendResponse, sseResponse } from '../../src/client/streaming/sse';
import type { RunStreamChunk } from '../../src/client/streaming/stream';
import { startOfflineModel, type OfflineModel } from '../../src/dev/offlineModel';
import { sharedTestEnv, startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

let h: PipelineHarness;
let fake: OfflineModel;
let client: PipelinesClient;

beforeAll(async () => {
  fake = await startOfflineModel();
  h = await startPipelineHarness({ providers: { openai: { baseURL: fake.baseURL, apiKey: 'x' } } });
  const env = sharedTestEnv();
  client = await connect({ address: env.address, namespace: env.namespace, taskQueue: h.taskQueue });
});
afterAll(async () => {
  await client?.close();
  await h?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const storyDoc = {
  name: 'story',
  steps: [
    { id: 'input_0', action: 'input', params: { type: 'string' } },
    {
      id: 'llm',
      action: 'llm',
      params: { model: 'gpt-4o-mini', prompt: '{{ inputs.input_0 }}', stream: true },
      retry: { max_attempts: 3, initial_interval: '100ms' },
    },
    {
      id: 'output_0',
      action: 'output',
      params: { value: '{{ steps.llm.output.response }}', type: 'stream<string>' },
    },
  ],
};

const REPLY = 'Once upon a time a brave adventurer crossed the sea of glass and found the lighthouse.';
const TOKENS = REPLY.split(/(?<= )/);

async function startStory(chunkDelayMs = 10): Promise<RunHandle> {
  fake.script({ reply: REPLY, tokens: TOKENS, chunkDelayMs });
  const handle = await h.start(storyDoc, { inputs: { input_0: 'Tell me a story' } });
  return new RunHandle(handle);
}

async function collect(iterable: AsyncIterable<RunStreamChunk>): Promise<RunStreamChunk[]> {
  const out: RunStreamChunk[] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

/** The text of one output, with text of attempts a `retry` chunk voided dropped. */
function textOf(chunks: RunStreamChunk[], outputName = 'output_0'): string {
  let text = '';
  for (const c of chunks) {
    if (c.type === 'retry') text = '';
    if (c.type === 'stream' && c.outputName === outputName) text += c.outputValue;
  }
  return text;
}

const seqs = (chunks: RunStreamChunk[]) => chunks.map((c) => c.seq);

test('token deltas join to the reply; node chunks and the result frame the run', async () => {
  const run = await startStory();
  const chunks = await collect(run.stream());
  expect(textOf(chunks)).toBe(REPLY);
  expect(seqs(chunks)).toEqual(chunks.map((_, i) => i + 1));
  const streamed = chunks.filter((c) => c.type === 'stream');
  expect(streamed.length).toBeGreaterThan(0);
  expect(streamed.every((c) => c.type === 'stream' && c.nodeId === 'llm' && c.attempt === 1)).toBe(true);
  expect(chunks).toContainEqual(expect.objectContaining({ type: 'node', nodeId: 'llm', status: 'running' }));
  expect(chunks).toContainEqual(
    expect.objectContaining({ type: 'node', nodeId: 'llm', status: 'completed' }),
  );
  const result = chunks.at(-1)!;
  expect(result).toMatchObject({ type: 'result', status: 'completed', taskId: run.taskId });
  expect(result.type === 'result' && result.outputs).toEqual({ output_0: REPLY });
  expect(result.type === 'result' && result.runId).toMatch(/^[0-9a-f-]{36}$/);
});

test('a late reader from cursor 0 gets everything; a resume from a mid cursor gets exactly the rest', async () => {
  const run = await startStory(5);
  const live = await collect(run.stream());
  const late = await collect(new RunHandle(h.client.workflow.getHandle(run.taskId)).stream({ from: 0 }));
  expect(late.map((c) => ({ ...c, runId: undefined }))).toEqual(
    live.map((c) => ({ ...c, runId: undefined })),
  );

  // Read part of the stream, stop, and resume from the last seq seen.
  const again = await startStory(15);
  const first: RunStreamChunk[] = [];
  for await (const chunk of again.stream()) {
    first.push(chunk);
    if (first.filter((c) => c.type === 'stream').length === 3) break;
  }
  const rest = await collect(again.stream({ from: first.at(-1)!.seq }));
  const all = [...first, ...rest];
  expect(seqs(all)).toEqual(all.map((_, i) => i + 1)); // no duplicate, no hole
  expect(textOf(all)).toBe(REPLY);
  expect(rest.at(-1)).toMatchObject({ type: 'result', status: 'completed' });
});

test('two readers at once get identical sequences', async () => {
  const run = await startStory(10);
  const other = new RunHandle(h.client.workflow.getHandle(run.taskId));
  const [a, b] = await Promise.all([collect(run.stream()), collect(other.stream({ pollInterval: 25 }))]);
  expect(seqs(a)).toEqual(seqs(b));
  expect(a.map((c) => ({ ...c, runId: undefined }))).toEqual(b.map((c) => ({ ...c, runId: undefined })));
  expect(textOf(a)).toBe(REPLY);
});

test('a retried attempt is announced, and the text of the failed attempt can be dropped', async () => {
  fake.script(
    { breakAfterChunks: 3, reply: 'broken text that never ends' },
    { reply: REPLY, tokens: TOKENS },
  );
  const run = new RunHandle(await h.start(storyDoc, { inputs: { input_0: 'Tell me a story' } }));
  const chunks = await collect(run.stream());
  expect(chunks).toContainEqual(expect.objectContaining({ type: 'retry', nodeId: 'llm', attempt: 2 }));
  expect(textOf(chunks)).toBe(REPLY);
  expect(chunks.at(-1)).toMatchObject({ type: 'result', status: 'completed' });
});

describe('SSE over HTTP', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    // GET /runs/:id/events → sseResponse, written to node:http.
    server = http.createServer((req, res) => {
      const id = /^\/runs\/([^/]+)\/events$/.exec(req.url ?? '')?.[1];
      if (!id) return void res.writeHead(404).end();
      const aborted = new AbortController();
      res.on('close', () => aborted.abort());
      void (async () => {
        const response = await sseResponse(client.runs.get(decodeURIComponent(id)), {
          lastEventId: req.headers['last-event-id'] as string | undefined,
          signal: aborted.signal,
        });
        await sendResponse(res, response);
      })().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  interface Frame {
    id?: string;
    event?: string;
    data: Record<string, unknown>;
  }

  /** Reads frames until `stopAfter` of them (then aborts the request) or the end of the response. */
  async function readFrames(
    url: string,
    headers: Record<string, string> = {},
    stopAfter = Infinity,
  ): Promise<{ status: number; contentType: string | null; frames: Frame[] }> {
    const abort = new AbortController();
    const response = await fetch(url, { headers, signal: abort.signal });
    const frames: Frame[] = [];
    if (!response.body) return { status: response.status, contentType: null, frames };
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    try {
      while (frames.length < stopAfter) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0 && frames.length < stopAfter) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => l && !l.startsWith(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
          );
          if (fields.data !== undefined)
            frames.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
        }
      }
    } finally {
      abort.abort();
    }
    return { status: response.status, contentType: response.headers.get('content-type'), frames };
  }

  test('a browser-like client reads, disconnects, and resumes with Last-Event-ID without loss or duplicates', async () => {
    const run = await startStory(20);
    const url = `${base}/runs/${encodeURIComponent(run.taskId)}/events`;
    const first = await readFrames(url, {}, 5);
    expect(first.status).toBe(200);
    expect(first.contentType).toBe('text/event-stream; charset=utf-8');
    expect(first.frames).toHaveLength(5);
    const lastId = first.frames.at(-1)!.id!;

    const second = await readFrames(url, { 'last-event-id': lastId });
    const frames = [...first.frames, ...second.frames];
    expect(frames.map((f) => Number(f.id))).toEqual(frames.map((_, i) => i + 1));
    expect(frames.at(-1)).toMatchObject({ event: 'result', data: { type: 'result', status: 'completed' } });
    const text = frames
      .filter((f) => f.data.output_name === 'output_0')
      .map((f) => f.data.output_value as string)
      .join('');
    expect(text).toBe(REPLY);

    // After the result, a reconnecting EventSource is told to stop.
    const after = await fetch(url, { headers: { 'last-event-id': frames.at(-1)!.id! } });
    expect(after.status).toBe(204);
  });
});

test('pipeline.stream() and pipeline.run(…, { stream: true }) on the builder', async () => {
  const pipeline = await Pipeline.new<{ input_0: string }>({
    name: `stream_${h.taskQueue.slice(5)}`,
    client,
  });
  const input = pipeline.add({ name: 'input_0' }).input({ inputType: 'string' });
  const llm = pipeline.add({ name: 'llm' }).llm({ model: 'gpt-4o-mini', prompt: input.text, stream: true });
  pipeline.add({ name: 'output_0' }).output({ outputType: 'stream<string>', value: llm.response });
  await pipeline.save({ deploy: true });

  fake.script({ reply: REPLY, tokens: TOKENS, chunkDelayMs: 5 });
  const stream = pipeline.stream({ inputs: { input_0: 'Tell me a story' } });
  const chunks = await collect(stream);
  expect(textOf(chunks)).toBe(REPLY);
  expect(chunks.at(-1)).toMatchObject({
    type: 'result',
    status: 'completed',
    taskId: (await stream.handle).taskId,
  });

  // The reference guide's loop, in TypeScript.
  fake.script({ reply: REPLY, tokens: TOKENS, chunkDelayMs: 5 });
  let printed = '';
  let last: Record<string, unknown> | undefined;
  for await (const frame of pipeline.run({ inputs: { input_0: 'Tell me a story' } }, { stream: true })) {
    if (!frame.startsWith('data: ')) continue;
    const data = JSON.parse(frame.slice(6));
    if (data.output_name === 'output_0') printed += data.output_value;
    last = data;
  }
  expect(printed).toBe(REPLY);
  expect(last).toMatchObject({ type: 'result', status: 'completed', outputs: { output_0: REPLY } });
  expect(last?.run_id).toEqual(expect.any(String));
});

describe('ending mid-stream', () => {
  const SLOW = Array.from({ length: 200 }, (_, i) => `word${i} `);

  async function startSlow(): Promise<RunHandle> {
    fake.script({ reply: SLOW.join(''), tokens: SLOW, chunkDelayMs: 30 });
    return new RunHandle(await h.start(storyDoc, { inputs: { input_0: 'Tell me a long story' } }));
  }

  /** Reads until the first streamed text, runs `act`, then reads to the end. */
  async function actMidStream(run: RunHandle, act: () => Promise<void>): Promise<RunStreamChunk[]> {
    const chunks: RunStreamChunk[] = [];
    let acted = false;
    for await (const chunk of run.stream()) {
      chunks.push(chunk);
      if (!acted && chunk.type === 'stream') {
        acted = true;
        await act();
      }
    }
    return chunks;
  }

  test('cancel ends the iterator with status cancelled and closes the model request', async () => {
    const run = await startSlow();
    const chunks = await actMidStream(run, () => run.cancel());
    expect(chunks.at(-1)).toMatchObject({ type: 'result', status: 'cancelled' });
    expect(textOf(chunks).length).toBeLessThan(SLOW.join('').length);
    await fake.waitFor(() => fake.chatRequests()[0]?.clientClosed === true, 5000, 'the model request closed');
  });

  test('terminate ends the iterator with status terminated and closes the model request', async () => {
    const run = await startSlow();
    const started = Date.now();
    let terminatedAt = 0;
    const chunks = await actMidStream(run, async () => {
      await run.terminate();
      terminatedAt = Date.now();
    });
    expect(chunks.at(-1)).toMatchObject({ type: 'result', status: 'terminated', synthesized: true });
    expect(chunks.at(-1)!.seq).toBe(chunks.at(-2)!.seq + 1);
    expect(Date.now() - terminatedAt).toBeLessThan(3000);
    expect(Date.now() - started).toBeLessThan(15_000);
    // The activity learns of it from its next heartbeat and aborts the model request.
    await fake.waitFor(() => fake.chatRequests()[0]?.clientClosed === true, 5000, 'the model request closed');
    // A late reader of the terminated run ends the same way.
    const late = await collect(run.stream());
    expect(late.at(-1)).toMatchObject({ type: 'result', status: 'terminated', seq: chunks.at(-1)!.seq });
  });

  test('a run that reaches its own timeout ends the iterator with status timed_out', async () => {
    fake.script({ reply: SLOW.join(''), tokens: SLOW, chunkDelayMs: 30 });
    const run = new RunHandle(
      await h.start(storyDoc, { inputs: { input_0: 'Tell me a long story' }, timeout: '1500ms' }),
    );
    const chunks = await collect(run.stream());
    expect(chunks.some((c) => c.type === 'stream')).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ type: 'result', status: 'timed_out', synthesized: true });
  });
});
