/**
 * Forwards a node activity attempt's streamed text (LLM token deltas) to the run's workflow, by
 * the `streamDeltas` signal, batched so that the run's history does not grow per token:
 *
 * - the attempt's first delta is sent at once (time to first token); after that, a batch is sent
 *   at most `intervalMs` after its first delta arrived (`settledIntervalMs` once the stream is
 *   older than `fastWindowMs`), or at once when `maxBytes` (UTF-8) are pending;
 * - one signal at a time, in order (a batch waits for the previous signal to be acknowledged;
 *   what arrives meanwhile joins the next batch);
 * - `flush()` sends what is pending and waits (before the activity returns its result, so the
 *   text reaches the run before the node completes);
 * - a signal that fails is logged and its text dropped: streaming never fails the node.
 */
import {
  STREAM_BATCH_BYTES,
  STREAM_BATCH_MS,
  STREAM_FAST_WINDOW_MS,
  STREAM_SETTLED_BATCH_MS,
  type StreamDeltaBatch,
} from '../../protocol';

/** Sends one batch (the workflow signal). */
export type SendBatch = (batch: StreamDeltaBatch) => Promise<void>;

export interface StreamPublisherOptions {
  nodeId: string;
  attempt: number;
  /** The name proposed for the text (the workflow's own mapping wins). @default nodeId */
  outputName?: string;
  send: SendBatch;
  /** Told about a batch that could not be sent (its text is dropped). */
  onError?: (err: unknown, batch: StreamDeltaBatch) => void;
  /** @default STREAM_BATCH_MS (50) */
  intervalMs?: number;
  /** After `fastWindowMs`. @default STREAM_SETTLED_BATCH_MS (250), never below `intervalMs` */
  settledIntervalMs?: number;
  /** @default STREAM_FAST_WINDOW_MS (2000) */
  fastWindowMs?: number;
  /** @default STREAM_BATCH_BYTES (2048) */
  maxBytes?: number;
}

export class StreamPublisher {
  private pending = '';
  private pendingBytes = 0;
  /** `Date.now()` when the oldest pending delta arrived. */
  private pendingSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private batch = 0;
  private closed = false;
  /** Batches sent (acknowledged) and failed, for logs and tests. */
  readonly stats = { sent: 0, failed: 0, bytes: 0 };
  private readonly intervalMs: number;
  private readonly settledIntervalMs: number;
  private readonly fastWindowMs: number;
  private readonly maxBytes: number;
  /** `Date.now()` of the attempt's first delta. */
  private startedAt: number | undefined;

  constructor(private readonly options: StreamPublisherOptions) {
    this.intervalMs = options.intervalMs ?? STREAM_BATCH_MS;
    this.settledIntervalMs = Math.max(this.intervalMs, options.settledIntervalMs ?? STREAM_SETTLED_BATCH_MS);
    this.fastWindowMs = options.fastWindowMs ?? STREAM_FAST_WINDOW_MS;
    this.maxBytes = options.maxBytes ?? STREAM_BATCH_BYTES;
  }

  /** Queues text; it is sent with the next batch. Ignored after `flush()` / `close()`. */
  push(text: string): void {
    if (this.closed || text.length === 0) return;
    if (this.pending.length === 0) this.pendingSince = Date.now();
    this.startedAt ??= this.pendingSince;
    this.pending += text;
    this.pendingBytes += Buffer.byteLength(text, 'utf8');
    this.schedule();
  }

  /** Sends what is pending, waits for every signal, and takes no more text. */
  async flush(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    while (this.inFlight || this.pending.length > 0) {
      if (this.inFlight) await this.inFlight;
      else this.sendPending();
    }
  }

  /** Drops what is pending (the attempt failed: its text is void) and waits for a signal in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    this.pending = '';
    this.pendingBytes = 0;
    if (this.inFlight) await this.inFlight;
  }

  private schedule(): void {
    if (this.inFlight || this.pending.length === 0) return;
    const settled = this.startedAt !== undefined && this.pendingSince - this.startedAt >= this.fastWindowMs;
    const interval = settled ? this.settledIntervalMs : this.intervalMs;
    const due = this.batch === 0 ? 0 : this.pendingSince + interval - Date.now();
    if (this.pendingBytes >= this.maxBytes || due <= 0) {
      this.clearTimer();
      this.sendPending();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, due);
    }
  }

  private sendPending(): void {
    const batch: StreamDeltaBatch = {
      nodeId: this.options.nodeId,
      attempt: this.options.attempt,
      outputName: this.options.outputName ?? this.options.nodeId,
      text: this.pending,
      batch: ++this.batch,
    };
    const bytes = this.pendingBytes;
    this.pending = '';
    this.pendingBytes = 0;
    this.inFlight = this.options
      .send(batch)
      .then(
        () => {
          this.stats.sent++;
          this.stats.bytes += bytes;
        },
        (err: unknown) => {
          this.stats.failed++;
          try {
            this.options.onError?.(err, batch);
          } catch {
            // A failing error reporter must not break the stream.
          }
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        if (!this.closed) this.schedule();
      });
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
