/**
 * Streaming: what node activities and the `runPipeline` workflow share about a run's stream —
 * the signal activities send token deltas with, the batching they use, the bounds of the
 * workflow's chunk log, and which name a streamed LLM node's text is exposed under.
 * Pure: bundled into workflow code.
 */
import type { ExecutionPlan } from '../model';

/** The signal a node activity sends its text deltas with (see {@link StreamDeltaBatch}). */
export const STREAM_DELTAS_SIGNAL = 'streamDeltas';

/** One batch of text a node activity attempt streamed, sent to the run's workflow by signal. */
export interface StreamDeltaBatch {
  nodeId: string;
  /** The activity attempt (1-based) that produced the text. */
  attempt: number;
  /** The name the activity proposes; the workflow's own mapping ({@link streamOutputNames}) wins. */
  outputName: string;
  /** The deltas of the batch, concatenated. */
  text: string;
  /** 1, 2, 3, … per activity attempt, in sending order; the workflow drops a batch it has seen. */
  batch: number;
}

/**
 * An activity sends its pending deltas at most this long after the first of them arrived, ms,
 * during the first {@link STREAM_FAST_WINDOW_MS} of its stream …
 */
export const STREAM_BATCH_MS = 50;
/**
 * … and at most this long after that: a batch costs about 4 history events whatever its size,
 * so the cost of a stream follows its duration; a 100 s generation makes about 440 batches
 * (≈ 1,800 events) instead of 2,000 at a flat 50 ms.
 */
export const STREAM_SETTLED_BATCH_MS = 250;
/** How long a stream is batched at {@link STREAM_BATCH_MS}, ms. */
export const STREAM_FAST_WINDOW_MS = 2000;
/** … or at once when this many UTF-8 bytes are pending. */
export const STREAM_BATCH_BYTES = 2048;

/** The run keeps at most this many stream chunks, the newest. */
export const MAX_STREAM_CHUNKS = 2000;
/** … and at most this many bytes of them (their JSON, UTF-8), dropping the oldest beyond it. */
export const MAX_STREAM_BYTES = 1024 * 1024;
/** No chunk is larger than this (its JSON, UTF-8): outputs are cut, long texts split. */
export const MAX_STREAM_CHUNK_BYTES = 64 * 1024;

/** The output type of an `output` node that exposes a streamed LLM node's text. */
export const STREAM_STRING_TYPE = 'stream<string>';

const RESPONSE_REF = /^\{\{\s*steps\.([A-Za-z_][A-Za-z0-9_]*)\.output\.response\s*\}\}$/;

/**
 * The name each streaming LLM node's text is exposed under: by default the LLM node's id; when
 * an `output` node declares `type: 'stream<string>'` and its value is exactly
 * `{{ steps.<llm>.output.response }}` for an LLM node with `stream: true`, that output's name
 * (the first such output, in plan order). Keyed by LLM node id; only nodes with `stream: true`.
 */
export function streamOutputNames(plan: ExecutionPlan): Map<string, string> {
  const names = new Map<string, string>();
  for (const node of plan.nodes) {
    if (node.kind === 'llm' && node.params.stream === true) names.set(node.id, node.id);
  }
  const renamed = new Set<string>();
  for (const node of plan.nodes) {
    if (node.kind !== 'output' || node.params.type !== STREAM_STRING_TYPE) continue;
    const value = node.params.value;
    const match = typeof value === 'string' ? RESPONSE_REF.exec(value.trim()) : null;
    const llmId = match?.[1];
    if (llmId === undefined || !names.has(llmId) || renamed.has(llmId)) continue;
    names.set(llmId, node.outputName ?? node.id);
    renamed.add(llmId);
  }
  return names;
}
