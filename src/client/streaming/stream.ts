/**
 * Reading a run's stream: per-node status changes, intermediate outputs and LLM token deltas, and
 * the run's result, as an async iterator.
 *
 * The run's workflow keeps an ordered log of chunks (`seq` 1, 2, 3, …). Readers poll it with the
 * `streamRead` query and a cursor of their own (the `seq` of the last chunk they have) — queries write nothing to the run's history, and
 * the cursor lives in the reader, so any number of readers (late joiners, reconnecting browsers)
 * can read one run at once, each from where it wants.
 */
import { msToNumber } from '@temporalio/common';
import type { StreamChunk, StreamPage, StreamReadRequest } from '../../protocol';
import { translateError } from '../errors';
import { sleep } from '../../shared';
import type { ClientDuration } from '../runs/startRun';

export type { StreamChunk, StreamPage, StreamReadRequest };

/** A chunk of the run's own log, as the engine wrote it. */
export type EngineChunk = StreamChunk;
export type EngineResultChunk = Extract<EngineChunk, { type: 'result' }>;

/** The statuses a run can end with. */
export type StreamResultStatus = 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out';

/**
 * The last chunk of every stream that reaches the run's end. `completed`, `failed` and `cancelled`
 * are written by the run itself (with `outputs` or `error`); `terminated` and `timed_out` runs run
 * no more code, so the reader makes that chunk itself (`synthesized: true`) from Temporal's status.
 */
export type ResultChunk = Omit<EngineResultChunk, 'status'> & {
  /**
   * `completed` (with `outputs`), `failed` (with `error: { message, nodeId, attempts }`),
   * `cancelled`, `terminated` or `timed_out`.
   */
  status: StreamResultStatus;
  /** The workflow id. */
  taskId: string;
  /** Temporal's run id. */
  runId?: string;
  /**
   * Made by the reader, not written by the run (terminated, timed out): its `seq` is the one the
   * run's next chunk would have had, and `at` is when Temporal closed the run.
   */
  synthesized?: true;
};

/**
 * Chunks `missedFrom…missedUpTo` (inclusive) were dropped by the run before this reader read them
 * (a run keeps its newest 2000 chunks, at most 1 MiB): whatever they carried is not in the stream.
 * Reading goes on with chunk `missedUpTo + 1`.
 */
export interface GapChunk {
  /** `missedUpTo`, so that a resume after this chunk continues after the gap. */
  seq: number;
  at: string;
  type: 'gap';
  missedFrom: number;
  missedUpTo: number;
}

/** What `handle.stream()` yields. Switch on `type`. */
export type RunStreamChunk = Exclude<EngineChunk, EngineResultChunk> | ResultChunk | GapChunk;
/** Per-node status changes. */
export type NodeChunk = Extract<EngineChunk, { type: 'node' }>;
/** Intermediate outputs and LLM token deltas (`outputValue` is a batch of text). */
export type OutputChunk = Extract<EngineChunk, { type: 'stream' }>;
/** An attempt of `nodeId` failed and attempt `attempt` starts: text streamed by its earlier attempts is void. */
export type RetryChunk = Extract<EngineChunk, { type: 'retry' }>;

export interface StreamOptions {
  /**
   * The `seq` of the last chunk already had: reading starts with the chunk after it (so
   * `from: chunk.seq` resumes exactly after `chunk`). @default 0 (from the beginning)
   */
  from?: number;
  /**
   * How often to ask the run for new chunks while chunks are arriving (ms or e.g. `'50ms'`).
   * When nothing has arrived for half a second, the interval grows by a quarter per empty read, up
   * to `maxPollInterval`; the next chunk brings it back.
   * @default 25
   */
  pollInterval?: ClientDuration;
  /** @default 250 */
  maxPollInterval?: ClientDuration;
  /** At most this many chunks per read (1–2000). @default 500 */
  limit?: number;
  /** Stops reading: the iterator ends (without a result chunk) as soon as it sees it. */
  signal?: AbortSignal;
}

/** What a stream is read from: a run's workflow handle, or a fake in unit tests. */
export interface StreamSource {
  readonly taskId: string;
  /** Temporal's run id, when known without asking. */
  readonly runId?: string;
  read(request: StreamReadRequest): Promise<StreamPage>;
  /** Temporal's view: `status` is its status name (`RUNNING`, `TERMINATED`, …). */
  describe(): Promise<{ status: string; runId: string; closeTime?: Date }>;
}

const DEFAULT_POLL_MS = 25;
const DEFAULT_MAX_POLL_MS = 250;
/** The run's own page size when a read names none. */
const DEFAULT_PAGE = 500;
/**
 * For this long after the last chunk, reads stay at `pollInterval` (an LLM's first token usually
 * follows its node's `running` chunk within it); after that the interval grows.
 */
const FAST_IDLE_MS = 500;
/** While no chunk arrives, Temporal's own status is checked this often (terminated, timed out). */
const DESCRIBE_EVERY_MS = 500;
/** gRPC codes a query fails with while the run is not ready to answer (no worker yet, a slow replay). */
const NOT_READY_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 9 /* FAILED_PRECONDITION */]);

const ENDED: Record<string, StreamResultStatus> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELED: 'cancelled',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

const ENDED_MESSAGE: Record<StreamResultStatus, string> = {
  completed: 'The run completed',
  failed: 'The run failed',
  cancelled: 'The run was cancelled',
  terminated: 'The run was terminated',
  timed_out: 'The run timed out',
};

function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Reads a run's stream from `options.from` on. See `RunHandle.stream()` for the contract.
 * @throws NotFoundError when there is no such run; transport errors translated by `translateError`.
 */
export async function* readRunStream(
  source: StreamSource,
  options: StreamOptions = {},
): AsyncGenerator<RunStreamChunk, void, undefined> {
  const minMs = msToNumber(options.pollInterval ?? DEFAULT_POLL_MS);
  const maxMs = Math.max(minMs, msToNumber(options.maxPollInterval ?? DEFAULT_MAX_POLL_MS));
  const { signal, limit } = options;
  let cursor = Math.max(0, Math.floor(options.from ?? 0));
  let intervalMs = minMs;
  let lastChunkAt = Date.now();
  let lastDescribe = -Infinity; // the first idle read asks Temporal at once (a late joiner of an ended run)
  let runId = source.runId;

  const withIds = async (chunk: EngineResultChunk): Promise<ResultChunk> => {
    runId ??= await source.describe().then(
      (d) => d.runId,
      () => undefined,
    );
    return { ...chunk, taskId: source.taskId, runId };
  };
  const read = async (from = cursor, max = limit): Promise<StreamPage | undefined> => {
    try {
      return await source.read({ from, ...(max !== undefined && { limit: max }) });
    } catch (err) {
      const code = grpcCode(err);
      if (code !== undefined && NOT_READY_CODES.has(code)) return undefined;
      throw translateError(err, source.taskId);
    }
  };
  /** Yields the page's chunks after the cursor; `true` once the result chunk was among them. */
  const take = async function* (page: StreamPage): AsyncGenerator<RunStreamChunk, boolean, undefined> {
    // Chunks up to `truncatedBefore` are gone: say so rather than skip them silently.
    if (page.truncatedBefore > cursor) {
      const missedUpTo = page.truncatedBefore;
      yield {
        seq: missedUpTo,
        at: new Date().toISOString(),
        type: 'gap',
        missedFrom: cursor + 1,
        missedUpTo,
      };
      cursor = missedUpTo;
    }
    for (const chunk of page.chunks) {
      if (chunk.seq <= cursor) continue; // never twice
      cursor = chunk.seq;
      if (chunk.type === 'result') {
        yield await withIds(chunk);
        return true;
      }
      yield chunk;
    }
    return false;
  };
  /**
   * Whether chunk `cursor` exists (or existed): the reader stands at the run's last chunk, not
   * past it. When the run cannot say, the reader is taken to be at the end (a result twice rather
   * than none).
   */
  const atLastChunk = async (): Promise<boolean> => {
    if (cursor === 0) return true;
    const page = await read(cursor - 1, 1);
    return page === undefined || page.chunks.length > 0 || page.truncatedBefore >= cursor;
  };

  for (;;) {
    if (signal?.aborted) return;
    const page = await read();
    if (signal?.aborted) return;
    if (page) {
      if (yield* take(page)) return;
      if (page.chunks.length > 0) {
        intervalMs = minMs;
        lastChunkAt = Date.now();
        if (page.chunks.length >= (limit ?? DEFAULT_PAGE)) continue; // a backlog: read on at once
      } else if (page.closed) {
        return; // the run ended and the reader is past its result chunk already
      }
    }
    const idle = !page || page.chunks.length === 0;
    if (idle && Date.now() - lastDescribe >= DESCRIBE_EVERY_MS) {
      lastDescribe = Date.now();
      const description = await source.describe().catch((err: unknown) => {
        throw translateError(err, source.taskId);
      });
      runId ??= description.runId;
      const ended = ENDED[description.status];
      if (ended) {
        // Read what the run wrote before it ended; a run that ended in its own code wrote a result.
        for (;;) {
          const last = await read();
          if (!last) break;
          if (yield* take(last)) return;
          if (last.chunks.length === 0 || last.closed) break;
        }
        // Terminated and timed-out runs write no result chunk (nor does a run that failed outside
        // its own code): make it. Only a reader at the end gets it: one past it has had it already.
        if (!(await atLastChunk())) return;
        yield {
          seq: cursor + 1,
          at: (description.closeTime ?? new Date()).toISOString(),
          type: 'result',
          status: ended,
          ...(ended !== 'completed' && { error: { message: ENDED_MESSAGE[ended] } }),
          taskId: source.taskId,
          runId,
          synthesized: true,
        };
        return;
      }
    }
    // An abort ends the wait early; the check at the top of the loop then returns.
    await sleep(intervalMs, signal).catch(() => undefined);
    if (idle && Date.now() - lastChunkAt > FAST_IDLE_MS) intervalMs = Math.min(maxMs, intervalMs * 1.25);
  }
}
