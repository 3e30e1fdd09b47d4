/**
 * The run's stream as the workflow keeps it (`StreamLog` through `RunState`): node chunks,
 * streamed text with dedupe and retry markers, the output-name mapping, bounds and cut values,
 * and the `streamRead` query's paging. Plain code, so it runs here directly.
 */
import { compileOrThrow, type PlanNode } from '../../../src/model';
import {
  MAX_STREAM_BYTES,
  MAX_STREAM_CHUNK_BYTES,
  MAX_STREAM_CHUNKS,
  streamOutputNames,
} from '../../../src/protocol';
import type { StreamChunk } from '../../../src/protocol/messages/runMessages';
import { RunState } from '../../../src/workflows/run/runState';
import { StreamLog } from '../../../src/workflows/run/streamLog';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function stateFor(steps: unknown[]): { state: RunState; node: (id: string) => PlanNode } {
  const plan = compileOrThrow({ name: 'unit', steps });
  const state = new RunState(plan, TRACE, undefined);
  const node = (id: string) => plan.nodes.find((n) => n.id === id)!;
  return { state, node };
}

const strip = (chunks: StreamChunk[]) => chunks.map(({ seq: _s, at: _a, ...rest }) => rest);
const batch = (nodeId: string, attempt: number, n: number, text: string) => ({
  nodeId,
  attempt,
  batch: n,
  text,
  outputName: nodeId,
});

const llmSteps = [
  { id: 'gen', action: 'llm', params: { prompt: 'hi', stream: true } },
  {
    id: 'answer',
    action: 'output',
    params: { value: '{{ steps.gen.output.response }}', type: 'stream<string>', name: 'reply' },
  },
];

test('output names: an llm node with stream: true, renamed by a stream<string> output of exactly its response', () => {
  const plan = compileOrThrow({
    name: 'unit',
    steps: [
      ...llmSteps,
      { id: 'other', action: 'llm', params: { prompt: 'x', stream: true } },
      { id: 'quiet', action: 'llm', params: { prompt: 'x' } },
      {
        id: 'o2',
        action: 'output',
        params: { value: 'Re: {{ steps.other.output.response }}', type: 'stream<string>' },
      },
    ],
  });
  expect(Object.fromEntries(streamOutputNames(plan))).toEqual({ gen: 'reply', other: 'other' });
});

test('node chunks, streamed text under the mapped name, dedupe, stale and not-running batches, result', () => {
  const { state, node } = stateFor(llmSteps);
  state.streamDeltas(batch('gen', 1, 1, 'too early')); // not running yet
  state.start(node('gen'));
  state.streamDeltas(batch('gen', 1, 1, 'Hello'));
  state.streamDeltas(batch('gen', 1, 1, 'Hello')); // duplicate
  state.streamDeltas(batch('gen', 1, 2, ', world'));
  state.streamDeltas(batch('nope', 1, 1, 'unknown node'));
  state.streamDeltas({ nodeId: 'gen' } as never); // malformed
  state.complete('gen', { response: 'Hello, world' }, 1);
  state.streamDeltas(batch('gen', 1, 3, 'late')); // node no longer running
  state.start(node('answer'));
  state.complete('answer', 'Hello, world', 1);
  state.end('completed', { reply: 'Hello, world' });
  state.streamDeltas(batch('gen', 1, 4, 'after the end'));
  const page = state.stream.read({});
  expect(strip(page.chunks)).toEqual([
    { type: 'node', nodeId: 'gen', status: 'running' },
    { type: 'stream', nodeId: 'gen', outputName: 'reply', outputValue: 'Hello', attempt: 1 },
    { type: 'stream', nodeId: 'gen', outputName: 'reply', outputValue: ', world', attempt: 1 },
    { type: 'node', nodeId: 'gen', status: 'completed', attempt: 1, output: { response: 'Hello, world' } },
    { type: 'node', nodeId: 'answer', status: 'running' },
    { type: 'node', nodeId: 'answer', status: 'completed', attempt: 1, output: 'Hello, world' },
    { type: 'result', status: 'completed', outputs: { reply: 'Hello, world' } },
  ]);
  expect(page.chunks.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(page).toMatchObject({ next: 7, truncatedBefore: 0, closed: true });
  // The status snapshot carries no chunks.
  expect(JSON.stringify(state.snapshot)).not.toContain('"stream"');
});

test('a newer attempt writes a retry chunk first; older attempts are then ignored', () => {
  const { state, node } = stateFor(llmSteps);
  state.start(node('gen'));
  state.streamDeltas(batch('gen', 1, 1, 'partial'));
  state.streamDeltas(batch('gen', 2, 1, 'final'));
  state.streamDeltas(batch('gen', 1, 2, 'straggler'));
  state.streamDeltas(batch('gen', 2, 2, ' text'));
  state.complete('gen', { response: 'final text' }, 2);
  expect(
    strip(state.stream.read({}).chunks).map((c) => [c.type, 'attempt' in c ? c.attempt : undefined]),
  ).toEqual([
    ['node', undefined],
    ['stream', 1],
    ['retry', 2],
    ['stream', 2],
    ['stream', 2],
    ['node', 2],
  ]);
});

test('a node that settles on a later attempt than it streamed gets a retry chunk before its node chunk', () => {
  const { state, node } = stateFor(llmSteps);
  state.start(node('gen'));
  state.streamDeltas(batch('gen', 1, 1, 'partial'));
  state.fail('gen', { message: 'x'.repeat(10_000), code: 'UpstreamUnavailable' }, 3);
  const chunks = strip(state.stream.read({}).chunks);
  expect(chunks.slice(2)).toEqual([
    { type: 'retry', nodeId: 'gen', attempt: 3 },
    {
      type: 'node',
      nodeId: 'gen',
      status: 'failed',
      attempt: 3,
      error: { code: 'UpstreamUnavailable', message: expect.stringMatching(/… \[truncated, 10000 bytes\]$/) },
    },
  ]);
});

test('paging: from, limit, next; reading past the end', () => {
  const log = new StreamLog();
  for (let i = 0; i < 10; i++) log.append({ type: 'node', nodeId: `n${i}`, status: 'running' });
  const first = log.read({ from: 0, limit: 4 });
  expect(first.chunks.map((c) => c.seq)).toEqual([1, 2, 3, 4]);
  expect(first.next).toBe(4);
  const rest = log.read({ from: first.next, limit: 100 });
  expect(rest.chunks.map((c) => c.seq)).toEqual([5, 6, 7, 8, 9, 10]);
  expect(log.read({ from: 10 })).toEqual({ chunks: [], next: 10, truncatedBefore: 0, closed: false });
  expect(log.read({ from: -5, limit: 0 }).chunks.map((c) => c.seq)).toEqual([1]);
});

test('bounds: at most MAX_STREAM_CHUNKS chunks and MAX_STREAM_BYTES bytes; truncatedBefore counts the dropped', () => {
  const log = new StreamLog();
  for (let i = 0; i < MAX_STREAM_CHUNKS + 5; i++)
    log.append({ type: 'node', nodeId: 'n', status: 'running' });
  let page = log.read({ limit: 10 });
  expect(page.truncatedBefore).toBe(5);
  expect(page.chunks[0]!.seq).toBe(6);

  const big = new StreamLog();
  const text = 'y'.repeat(30_000);
  for (let i = 0; i < 60; i++)
    big.append({ type: 'stream', nodeId: 'g', outputName: 'g', outputValue: text, attempt: 1 });
  page = big.read({ limit: 2000 });
  expect(page.chunks[0]!.seq).toBe(page.truncatedBefore + 1);
  // A page holds at most 256 KiB; page through the rest.
  const all = [...page.chunks];
  expect(all.length).toBeLessThan(10);
  for (let p = big.read({ from: page.next }); p.chunks.length > 0; p = big.read({ from: p.next }))
    all.push(...p.chunks);
  const kept = all.reduce((n, c) => n + Buffer.byteLength(JSON.stringify(c)), 0);
  expect(kept).toBeLessThanOrEqual(MAX_STREAM_BYTES);
  expect(kept).toBeGreaterThan(MAX_STREAM_BYTES - 40_000);
  expect(page.truncatedBefore).toBe(60 - all.length);
  expect(all.at(-1)!.seq).toBe(60);
});

test('every chunk stays under MAX_STREAM_CHUNK_BYTES: long text is split, large outputs are cut', () => {
  const { state, node } = stateFor(llmSteps);
  state.start(node('gen'));
  const long = `${'é'.repeat(40_000)}😀${'"'.repeat(30_000)}`;
  state.streamDeltas(batch('gen', 1, 1, long));
  state.complete('gen', { response: long }, 1);
  state.end('completed', { a: long, b: 'small' });
  const chunks = state.stream.read({}).chunks;
  for (const c of chunks)
    expect(Buffer.byteLength(JSON.stringify(c))).toBeLessThanOrEqual(MAX_STREAM_CHUNK_BYTES);
  const text = chunks.flatMap((c) => (c.type === 'stream' ? [c.outputValue] : [])).join('');
  expect(text).toBe(long);
  const done = chunks.find((c) => c.type === 'node' && c.status === 'completed')!;
  expect(done).toMatchObject({ truncated: true, output: expect.stringMatching(/truncated, \d+ bytes\]$/) });
  const result = chunks[chunks.length - 1]!;
  expect(result).toMatchObject({ type: 'result', truncated: true, outputs: { b: 'small' } });
});
