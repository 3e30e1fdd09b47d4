/**
 * The stream reader and the SSE helpers against a fake run: a chunk log read like the workflow's
 * `streamRead` query, and a Temporal status.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { NotFoundError } from '../../../src/client/errors';
import { fromLastEventId, sseFrame, sseResponse, toSseFrames } from '../../../src/client/streaming/sse';
import { readRunStream, type RunStreamChunk, type StreamSource } from '../../../src/client/streaming/stream';
import type { StreamChunk, StreamPage, StreamReadRequest } from '../../../src/protocol/messages/runMessages';

type NewChunk = StreamChunk extends infer C ? (C extends unknown ? Omit<C, 'seq' | 'at'> : never) : never;

class FakeRun implements StreamSource {
  readonly taskId = 'task-1';
  readonly runId = 'run-1';
  status = 'RUNNING';
  log: StreamChunk[] = [];
  truncatedBefore = 0;
  reads: StreamReadRequest[] = [];
  describes = 0;
  /** Errors the next reads throw, in order. */
  failures: Error[] = [];

  push(...chunks: NewChunk[]): void {
    for (const c of chunks) {
      this.log.push({ ...c, seq: this.log.length + 1, at: new Date().toISOString() });
    }
  }
  tokens(...texts: string[]): void {
    this.push(
      ...texts.map((t): NewChunk => ({
        type: 'stream',
        nodeId: 'llm',
        outputName: 'out',
        outputValue: t,
        attempt: 1,
      })),
    );
  }
  result(status: 'completed' | 'failed' | 'cancelled' = 'completed'): void {
    this.push({ type: 'result', status, outputs: { out: 'done' } });
    this.status = status === 'cancelled' ? 'CANCELLED' : status.toUpperCase();
  }
  read(request: StreamReadRequest): Promise<StreamPage> {
    this.reads.push(request);
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    const from = request.from ?? 0;
    const limit = request.limit ?? 500;
    const chunks = this.log.filter((c) => c.seq > Math.max(from, this.truncatedBefore)).slice(0, limit);
    return Promise.resolve({
      chunks,
      next: chunks.at(-1)?.seq ?? from,
      truncatedBefore: this.truncatedBefore,
      closed: this.log.at(-1)?.type === 'result',
    });
  }
  describe() {
    this.describes++;
    return Promise.resolve({ status: this.status, runId: this.runId, closeTime: new Date(0) });
  }
}

async function collect(iterable: AsyncIterable<RunStreamChunk>): Promise<RunStreamChunk[]> {
  const out: RunStreamChunk[] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

const fast = { pollInterval: 1, maxPollInterval: 5 };

// Every test runs on jest's fake clock (the reader's polls and the SSE timers included): no real
// time passes, and what happens in an interval is exact.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());
/** Lets `ms` of the fake clock pass, running what falls due. */
const elapse = (ms: number) => jest.advanceTimersByTimeAsync(ms);
/** Lets the fake clock run until `promise` settles (at most `ms`), then awaits it. */
async function settled<T>(promise: Promise<T>, ms = 1000): Promise<T> {
  await jest.advanceTimersByTimeAsync(ms);
  return promise;
}

describe('readRunStream', () => {
  test('yields every chunk in order, live, and ends after the result chunk with the run ids', async () => {
    const run = new FakeRun();
    run.push({ type: 'node', nodeId: 'llm', status: 'running' });
    const reading = collect(readRunStream(run, fast));
    await elapse(20);
    run.tokens('Hel', 'lo');
    await elapse(20);
    run.tokens(' world');
    run.result();
    const chunks = await settled(reading);
    expect(chunks.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(chunks.map((c) => (c.type === 'stream' ? c.outputValue : '')).join('')).toBe('Hello world');
    expect(chunks.at(-1)).toMatchObject({
      type: 'result',
      status: 'completed',
      taskId: 'task-1',
      runId: 'run-1',
      outputs: { out: 'done' },
    });
  });

  test('from resumes exactly after a chunk; a reader past the result gets nothing', async () => {
    const run = new FakeRun();
    run.tokens('a', 'b', 'c', 'd');
    run.result();
    expect((await collect(readRunStream(run, { ...fast, from: 2 }))).map((c) => c.seq)).toEqual([3, 4, 5]);
    expect(await collect(readRunStream(run, { ...fast, from: 5 }))).toEqual([]);
  });

  test('reads a backlog page after page without waiting', async () => {
    const run = new FakeRun();
    run.tokens(...Array.from({ length: 25 }, (_, i) => `t${i} `));
    run.result();
    const chunks = await collect(readRunStream(run, { pollInterval: 1000, limit: 10 }));
    expect(chunks).toHaveLength(26);
    expect(run.reads.map((r) => r.from)).toEqual([0, 10, 20]);
  });

  test('a failed run ends with a failed result chunk; it does not throw', async () => {
    const run = new FakeRun();
    run.push({ type: 'node', nodeId: 'llm', status: 'failed', error: { message: 'boom' } });
    run.push({ type: 'result', status: 'failed', error: { message: 'boom', nodeId: 'llm', attempts: 3 } });
    run.status = 'FAILED';
    const chunks = await collect(readRunStream(run, fast));
    expect(chunks.at(-1)).toMatchObject({ type: 'result', status: 'failed', error: { nodeId: 'llm' } });
  });

  test('chunks the run dropped become a gap chunk, never a silent loss', async () => {
    const run = new FakeRun();
    run.tokens('a', 'b', 'c', 'd', 'e');
    run.result();
    run.truncatedBefore = 3;
    const chunks = await collect(readRunStream(run, { ...fast, from: 1 }));
    expect(chunks[0]).toMatchObject({ type: 'gap', seq: 3, missedFrom: 2, missedUpTo: 3 });
    expect(chunks.slice(1).map((c) => c.seq)).toEqual([4, 5, 6]);
    // A reader already past the truncation sees no gap.
    expect((await collect(readRunStream(run, { ...fast, from: 4 }))).map((c) => c.type)).toEqual([
      'stream',
      'result',
    ]);
  });

  test('a terminated run ends with a synthesized result; resuming after it yields nothing', async () => {
    const run = new FakeRun();
    run.tokens('a', 'b');
    const reading = collect(readRunStream(run, fast));
    await elapse(20);
    run.status = 'TERMINATED';
    const chunks = await settled(reading, 5000);
    expect(chunks.map((c) => c.seq)).toEqual([1, 2, 3]);
    expect(chunks.at(-1)).toMatchObject({
      type: 'result',
      status: 'terminated',
      synthesized: true,
      seq: 3,
      runId: 'run-1',
      at: new Date(0).toISOString(),
    });
    // Late joiners get the whole stream and the same synthesized result; a reader past it, nothing.
    expect((await settled(collect(readRunStream(run, fast)), 5000)).map((c) => c.seq)).toEqual([1, 2, 3]);
    expect(
      (await settled(collect(readRunStream(run, { ...fast, from: 2 })), 5000)).map((c) => c.seq),
    ).toEqual([3]);
    expect(await settled(collect(readRunStream(run, { ...fast, from: 3 })), 5000)).toEqual([]);
  });

  test('a timed-out run with no chunk at all ends with timed_out', async () => {
    const run = new FakeRun();
    run.status = 'TIMED_OUT';
    expect(await collect(readRunStream(run, fast))).toMatchObject([
      { seq: 1, type: 'result', status: 'timed_out', synthesized: true },
    ]);
  });

  test('a run that is not ready to answer is asked again; a missing run throws NotFoundError', async () => {
    const run = new FakeRun();
    run.failures.push(Object.assign(new Error('workflow task not completed'), { code: 9 }));
    run.result();
    expect((await collect(readRunStream(run, fast))).map((c) => c.type)).toEqual(['result']);

    const missing = new FakeRun();
    missing.failures.push(new WorkflowNotFoundError('no such run', 'task-1', undefined));
    await expect(collect(readRunStream(missing, fast))).rejects.toBeInstanceOf(NotFoundError);
  });

  test('the poll interval backs off after half a second without chunks, and resets when chunks arrive', async () => {
    const run = new FakeRun();
    const reading = collect(readRunStream(run, { pollInterval: 10, maxPollInterval: 40 }));
    await elapse(300);
    const fast = run.reads.length; // every 10 ms at first
    expect(fast).toBeGreaterThan(25);
    await elapse(700);
    const slow = run.reads.length;
    await elapse(400);
    // 10, 12.5, 15.6, … capped at 40 ms: 10 reads in 400 ms rather than 40.
    expect(run.reads.length - slow).toBeLessThanOrEqual(11);
    run.tokens('a');
    await elapse(100);
    const woken = run.reads.length;
    await elapse(100);
    expect(run.reads.length - woken).toBeGreaterThanOrEqual(9); // back to 10 ms
    run.result();
    await settled(reading);
  });

  test('an aborted signal ends the iterator quietly', async () => {
    const run = new FakeRun();
    run.tokens('a');
    const stop = new AbortController();
    const seen: RunStreamChunk[] = [];
    const reading = (async () => {
      for await (const chunk of readRunStream(run, { ...fast, signal: stop.signal })) seen.push(chunk);
    })();
    await elapse(20);
    stop.abort();
    await settled(reading);
    expect(seen.map((c) => c.seq)).toEqual([1]);
  });

  test('two readers at once get the same sequence', async () => {
    const run = new FakeRun();
    const a = collect(readRunStream(run, fast));
    const b = collect(readRunStream(run, { pollInterval: 3 }));
    for (let i = 0; i < 10; i++) {
      run.tokens(`t${i}`);
      await elapse(3);
    }
    run.result();
    const [x, y] = await settled(Promise.all([a, b]));
    expect(x).toEqual(y);
    expect(x).toHaveLength(11);
  });
});

describe('SSE', () => {
  const streamable = (run: FakeRun) => ({
    taskId: run.taskId,
    stream: (options?: Parameters<typeof readRunStream>[1]) => readRunStream(run, { ...fast, ...options }),
  });

  test('frames carry the seq as id, snake_case mirrors, and event: result on the last', () => {
    const chunk: RunStreamChunk = {
      seq: 7,
      at: 'x',
      type: 'stream',
      nodeId: 'llm',
      outputName: 'output_0',
      outputValue: 'Hi\u2028',
      attempt: 1,
    };
    const frame = sseFrame(chunk);
    expect(frame).toMatch(/^id: 7\ndata: \{.*\}\n\n$/);
    const data = JSON.parse(frame.split('data: ')[1]!);
    expect(data).toMatchObject({ output_name: 'output_0', output_value: 'Hi\u2028', seq: 7 });
    expect(sseFrame(chunk, { dataOnly: true })).toMatch(/^data: \{.*\}\n\n$/);
    expect(
      sseFrame({ seq: 8, at: 'x', type: 'result', status: 'completed', taskId: 't', runId: 'r' }),
    ).toMatch(/^id: 8\nevent: result\ndata: .*"run_id":"r"/);
  });

  test('Last-Event-ID is the cursor; malformed values start from the beginning', () => {
    expect(fromLastEventId('12')).toBe(12);
    expect(fromLastEventId(' 3 ')).toBe(3);
    expect(fromLastEventId('')).toBeUndefined();
    expect(fromLastEventId('abc')).toBeUndefined();
    expect(fromLastEventId(null)).toBeUndefined();
  });

  test('toSseFrames resumes after lastEventId', async () => {
    const run = new FakeRun();
    run.tokens('a', 'b', 'c');
    run.result();
    const frames: string[] = [];
    for await (const f of toSseFrames(streamable(run), { lastEventId: '2' })) frames.push(f);
    expect(frames.map((f) => /^id: (\d+)/.exec(f)?.[1])).toEqual(['3', '4']);
  });

  test('sseResponse: an event stream that ends after the result; 204 past the end', async () => {
    const run = new FakeRun();
    run.tokens('a', 'b');
    const response = await sseResponse(streamable(run), {
      headers: { 'access-control-allow-origin': '*' },
      retry: 500,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toContain('no-cache');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const reading = response.text();
    await elapse(20);
    run.result();
    const text = await settled(reading);
    expect(text.startsWith('retry: 500\n\nid: 1\n')).toBe(true);
    expect(text.match(/^id: \d+$/gm)).toEqual(['id: 1', 'id: 2', 'id: 3']);
    expect(text).toContain('event: result');

    const after = await sseResponse(streamable(run), {
      request: new Request('http://x/', { headers: { 'last-event-id': '3' } }),
    });
    expect(after.status).toBe(204);
  });

  test('sseResponse sends keep-alive comments and stops reading when the request is aborted', async () => {
    const run = new FakeRun();
    run.tokens('a');
    const client = new AbortController();
    const response = await sseResponse(streamable(run), { signal: client.signal, keepAlive: 30 });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const untilKeepAlive = async () => {
      let text = '';
      while (!text.includes(': keep-alive')) text += decoder.decode((await reader.read()).value);
      return text;
    };
    expect(await settled(untilKeepAlive(), 100)).toContain(': keep-alive\n\n');
    client.abort();
    const readsAtAbort = run.reads.length;
    await elapse(50);
    expect(run.reads.length - readsAtAbort).toBeLessThanOrEqual(1);
    await reader.cancel();
  });
});
