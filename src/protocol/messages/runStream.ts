/** The run's stream: its chunks, and the `streamRead` query that pages through them. */
import { defineQuery } from '@temporalio/workflow';
import type { NodeError, NodeStatus } from './runSnapshot';

/**
 * One chunk of the run's stream, in `seq` order (1, 2, 3, …; never reused). `at` is an ISO
 * timestamp (workflow time). No chunk's JSON is larger than 64 KiB.
 *
 * - `node`: a step changed status: `running` when it starts; `completed` (with `output` and
 *   `attempt`), `failed` (with `error` and `attempt`), `skipped`, `cancelled` when it settles.
 *   An output whose JSON is larger than 60 KiB is replaced by that JSON text cut to fit (ending
 *   with `… [truncated, N bytes]`) and `truncated: true`: read the full value from the `status`
 *   query or the run's result.
 * - `stream`: text a step produced while running (an llm step with `stream: true`: a batch of
 *   token deltas, in order), exposed under `outputName` (see `streamOutputNames`).
 * - `retry`: attempt `attempt` of `nodeId` is running: the text earlier attempts of that step
 *   streamed is void. Written before the new attempt's first text, or before the step's
 *   `completed`/`failed` chunk when the new attempt streamed nothing.
 * - `result`: the run ended (`completed` with `outputs`, `failed` with `error`, `cancelled`).
 *   Always the last chunk. Outputs cut as node outputs are (`truncated: true`). Terminated and
 *   timed-out runs run no more code, so they write none.
 */
export type StreamChunk =
  | {
      seq: number;
      at: string;
      type: 'node';
      nodeId: string;
      status: NodeStatus;
      attempt?: number;
      output?: unknown;
      error?: NodeError;
      /** `output` was cut to fit a chunk. */
      truncated?: true;
    }
  | {
      seq: number;
      at: string;
      type: 'stream';
      nodeId: string;
      outputName: string;
      /** A batch of token deltas. */
      outputValue: string;
      attempt: number;
    }
  | {
      seq: number;
      at: string;
      type: 'retry';
      nodeId: string;
      /** The new attempt: text streamed by earlier attempts of this node is void. */
      attempt: number;
    }
  | {
      seq: number;
      at: string;
      type: 'result';
      status: 'completed' | 'failed' | 'cancelled';
      outputs?: Record<string, unknown>;
      error?: { message: string; nodeId?: string; attempts?: number };
      /** Some of `outputs` were cut to fit a chunk. */
      truncated?: true;
    };

export interface StreamPage {
  /** Chunks with `seq > from`, oldest first, at most `limit` (and at most 256 KiB of them, at least one). */
  chunks: StreamChunk[];
  /** The cursor to pass as the next `from`: the last returned `seq`, or `from` if none. */
  next: number;
  /**
   * Chunks with `seq <= truncatedBefore` were dropped by the run's bound (the newest 2000 chunks
   * and at most 1 MiB of them are kept): a reader whose `from` is below it missed data.
   */
  truncatedBefore: number;
  /** The `result` chunk has been written: no chunk will follow. */
  closed: boolean;
}

export interface StreamReadRequest {
  /** Return chunks with `seq > from`. @default 0 */
  from?: number;
  /** At most this many chunks (clamped to 1…2000). @default 500 */
  limit?: number;
}

/** A page of the run's stream; poll with `from = page.next` to follow it. Writes no history. */
export const streamReadQuery = defineQuery<StreamPage, [StreamReadRequest]>('streamRead');
