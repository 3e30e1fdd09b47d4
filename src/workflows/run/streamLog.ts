/**
 * The run's stream as the workflow keeps it: a bounded, ordered log of chunks (node status
 * changes, streamed text, retry markers, the result) that readers page through with the
 * `streamRead` query and a cursor of their own. Kept apart from the `status` snapshot so that
 * snapshot stays small. Deterministic: the clock is workflow time.
 */
import { truncateLogMessage, utf8Length } from '../../protocol';
import { setOwn } from '../../model';
import {
  MAX_STREAM_BYTES,
  MAX_STREAM_CHUNK_BYTES,
  MAX_STREAM_CHUNKS,
  type StreamDeltaBatch,
} from '../../protocol';
import type { NodeError, NodeStatus, StreamChunk, StreamPage, StreamReadRequest } from '../../protocol';
import { nowIso as now } from './clock';

/** A chunk before the log gives it its `seq` and `at`. */
export type NewStreamChunk = WithoutSeq<StreamChunk>;
type WithoutSeq<C> = C extends unknown ? Omit<C, 'seq' | 'at'> : never;

const DEFAULT_READ_LIMIT = 500;
/** A page holds at most this many bytes of chunks (at least one chunk), well under the payload warning limit. */
const MAX_STREAM_PAGE_BYTES = 256 * 1024;
/** A value cut to fit a chunk becomes its JSON text cut to this many bytes (JSON escaping may double it). */
const CUT_VALUE_BYTES = 30 * 1024;
/** Room left in a chunk for an output or the result's outputs. */
const VALUE_BUDGET_BYTES = MAX_STREAM_CHUNK_BYTES - 4 * 1024;
/** Streamed text is split into chunks of at most this many UTF-16 code units (≤ 6 bytes each as JSON). */
const TEXT_PIECE_UNITS = 8 * 1024;
/** An error message in a chunk is cut to this many bytes. */
const ERROR_MESSAGE_BYTES = 4 * 1024;

const jsonBytes = (value: unknown): number => utf8Length(JSON.stringify(value) ?? '');

/** `value`, or its JSON text cut to fit when that is larger than `budget` bytes. */
function fit(value: unknown, budget: number): { value: unknown; truncated: boolean } {
  if (value === undefined) return { value, truncated: false };
  const json = JSON.stringify(value) ?? 'null';
  if (utf8Length(json) <= budget) return { value, truncated: false };
  return { value: truncateLogMessage(json, Math.min(budget, CUT_VALUE_BYTES)), truncated: true };
}

/** `text` in pieces of at most `TEXT_PIECE_UNITS` code units, never splitting a surrogate pair. */
function splitText(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + TEXT_PIECE_UNITS);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** What the log knows about a running node's streamed text. */
interface NodeStream {
  /** The attempt the stream last reported (1 when the node started). */
  attempt: number;
  /** The last batch number taken from that attempt. */
  batch: number;
  /** Some attempt of the node streamed text. */
  streamed: boolean;
}

export class StreamLog {
  private readonly chunks: StreamChunk[] = [];
  /** JSON bytes of each kept chunk (same index as `chunks`). */
  private readonly sizes: number[] = [];
  private bytes = 0;
  private lastSeq = 0;
  private truncatedBefore = 0;
  private closed = false;
  private readonly nodes = new Map<string, NodeStream>();

  /** @param outputNames The name streamed text of a node is exposed under, by node id (default: the node id). */
  constructor(private readonly outputNames: ReadonlyMap<string, string> = new Map()) {}

  /** Appends a chunk, then drops the oldest beyond the bounds. Nothing is appended after `result`. */
  append(chunk: NewStreamChunk): void {
    if (this.closed) return;
    // Object.assign, not a spread: the bundled spread helper is slow, and every step appends chunks.
    const full: StreamChunk = Object.assign({ seq: ++this.lastSeq, at: now() }, chunk);
    const size = jsonBytes(full);
    this.chunks.push(full);
    this.sizes.push(size);
    this.bytes += size;
    let drop = 0;
    while (
      this.chunks.length - drop > 1 &&
      (this.chunks.length - drop > MAX_STREAM_CHUNKS || this.bytes > MAX_STREAM_BYTES)
    ) {
      this.bytes -= this.sizes[drop]!;
      drop++;
    }
    if (drop > 0) {
      this.truncatedBefore = this.chunks[drop - 1]!.seq;
      this.chunks.splice(0, drop);
      this.sizes.splice(0, drop);
    }
    if (full.type === 'result') this.closed = true;
  }

  /** A node started: its `running` chunk. */
  started(nodeId: string): void {
    this.nodes.set(nodeId, { attempt: 1, batch: 0, streamed: false });
    this.append({ type: 'node', nodeId, status: 'running' });
  }

  /**
   * A node settled (`completed`, `failed`, `skipped`, `cancelled`). When the attempt that settled
   * it is later than the last one the stream reported and an earlier attempt streamed text, a
   * `retry` chunk comes first, so readers drop that text.
   */
  settled(
    nodeId: string,
    status: Exclude<NodeStatus, 'pending' | 'running' | 'retrying'>,
    details: { attempt?: number; output?: unknown; error?: NodeError } = {},
  ): void {
    const stream = this.nodes.get(nodeId);
    this.nodes.delete(nodeId);
    if (stream?.streamed && details.attempt !== undefined && details.attempt > stream.attempt) {
      this.append({ type: 'retry', nodeId, attempt: details.attempt });
    }
    const chunk: NewStreamChunk & { type: 'node' } = { type: 'node', nodeId, status };
    if (details.attempt !== undefined) chunk.attempt = details.attempt;
    if (status === 'completed') {
      const { value, truncated } = fit(details.output, VALUE_BUDGET_BYTES);
      if (value !== undefined) chunk.output = value;
      if (truncated) chunk.truncated = true;
    }
    if (details.error) {
      chunk.error = {
        ...details.error,
        message: truncateLogMessage(details.error.message, ERROR_MESSAGE_BYTES),
      };
    }
    this.append(chunk);
  }

  /**
   * A batch of streamed text from a node activity (the `streamDeltas` signal). Dropped when the
   * node is not running, malformed, from an older attempt than one already seen, or a batch
   * number already taken; a newer attempt first writes a `retry` chunk.
   */
  deltas(batch: StreamDeltaBatch, nodeRunning: boolean): void {
    if (this.closed || !nodeRunning || typeof batch !== 'object' || batch === null) return;
    const { nodeId, attempt, text } = batch;
    if (typeof nodeId !== 'string' || !isCount(attempt) || !isCount(batch.batch)) return;
    if (typeof text !== 'string') return;
    let stream = this.nodes.get(nodeId);
    if (!stream) {
      stream = { attempt: 1, batch: 0, streamed: false };
      this.nodes.set(nodeId, stream);
    }
    if (attempt < stream.attempt) return;
    if (attempt > stream.attempt) {
      this.append({ type: 'retry', nodeId, attempt });
      Object.assign(stream, { attempt, batch: 0 });
    }
    if (batch.batch <= stream.batch) return;
    stream.batch = batch.batch;
    if (text.length === 0) return;
    stream.streamed = true;
    const proposed = typeof batch.outputName === 'string' && batch.outputName ? batch.outputName : nodeId;
    const outputName = this.outputNames.get(nodeId) ?? proposed;
    for (const piece of splitText(text)) {
      this.append({ type: 'stream', nodeId, outputName, outputValue: piece, attempt });
    }
  }

  /** The run ended: the `result` chunk, the last one. */
  result(
    status: 'completed' | 'failed' | 'cancelled',
    outputs?: Record<string, unknown>,
    error?: { message: string; nodeId?: string; attempts?: number },
  ): void {
    const chunk: NewStreamChunk & { type: 'result' } = { type: 'result', status };
    if (outputs !== undefined) {
      if (jsonBytes(outputs) <= VALUE_BUDGET_BYTES) chunk.outputs = outputs;
      else {
        const keys = Object.keys(outputs);
        const budget = Math.floor(VALUE_BUDGET_BYTES / Math.max(1, keys.length)) - 256;
        const cut: Record<string, unknown> = {};
        for (const key of keys) setOwn(cut, key, fit(outputs[key], Math.max(0, budget)).value);
        chunk.outputs = cut;
        chunk.truncated = true;
      }
    }
    if (error) chunk.error = { ...error, message: truncateLogMessage(error.message, ERROR_MESSAGE_BYTES) };
    this.append(chunk);
  }

  /** The newest chunks, at most `maxChunks` of them and `maxBytes` of JSON, and the last `seq`. */
  tail(maxChunks: number, maxBytes: number): { chunks: StreamChunk[]; lastSeq: number } {
    let start = this.chunks.length;
    let bytes = 0;
    while (
      start > 0 &&
      this.chunks.length - start < maxChunks &&
      bytes + this.sizes[start - 1]! <= maxBytes
    ) {
      bytes += this.sizes[--start]!;
    }
    return { chunks: this.chunks.slice(start), lastSeq: this.lastSeq };
  }

  /**
   * A continuation: the stream as the run left it. Chunks before the carried ones read as
   * dropped (`truncatedBefore`), as chunks beyond the bounds do.
   */
  restore(chunks: readonly StreamChunk[], lastSeq: number): void {
    for (const chunk of chunks) {
      const size = jsonBytes(chunk);
      this.chunks.push(chunk);
      this.sizes.push(size);
      this.bytes += size;
    }
    this.lastSeq = lastSeq;
    this.truncatedBefore = (chunks[0]?.seq ?? lastSeq + 1) - 1;
  }

  /** The `streamRead` query (see {@link StreamPage}). */
  read(request: StreamReadRequest | undefined): StreamPage {
    const req: StreamReadRequest = typeof request === 'object' && request !== null ? request : {};
    const from =
      typeof req.from === 'number' && Number.isFinite(req.from) ? Math.max(0, Math.floor(req.from)) : 0;
    const limit =
      typeof req.limit === 'number' && Number.isFinite(req.limit)
        ? Math.min(MAX_STREAM_CHUNKS, Math.max(1, Math.floor(req.limit)))
        : DEFAULT_READ_LIMIT;
    // Kept chunks have consecutive seqs: the first one after `from` is found by arithmetic.
    const firstSeq = this.chunks[0]?.seq ?? this.lastSeq + 1;
    const start = Math.max(0, from + 1 - firstSeq);
    let end = start;
    let bytes = 0;
    while (end < this.chunks.length && end - start < limit) {
      bytes += this.sizes[end]!;
      if (bytes > MAX_STREAM_PAGE_BYTES && end > start) break;
      end++;
    }
    const chunks = this.chunks.slice(start, end);
    return {
      chunks,
      next: chunks.length > 0 ? chunks[chunks.length - 1]!.seq : from,
      truncatedBefore: this.truncatedBefore,
      closed: this.closed,
    };
  }
}
