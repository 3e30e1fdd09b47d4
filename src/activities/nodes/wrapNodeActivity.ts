/**
 * The wrapper every node activity goes through: secrets resolved activity-side (and redacted from
 * everything the attempt returns, throws, logs or streams; see `redact.ts`), a heartbeat
 * on an interval so cancellation reaches the activity, the activity's AbortSignal and a
 * `traceparent` handed to the node, the node's log records and resource use collected per
 * attempt, and every error classified once by `errors.ts`.
 */
import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { ActionLogger } from '../../model';
import type { NodeActivityInput, NodeActivityResult, NodeFailureDetails, NodeLogRecord, NodeMetrics } from '../../protocol';
import type { RunLogLevel, TokenUsage } from '../../model';
import type { NodeErrorCode } from '../../model';
import { MAX_NODE_LOGS_PER_ATTEMPT, truncateLogMessage } from '../../protocol';
import { formatBytes, MAX_INLINE_PAYLOAD_BYTES } from '../../model';
import { STREAM_DELTAS_SIGNAL, type StreamDeltaBatch } from '../../protocol';
import { attemptFailureOf, createAttemptReporter } from './attemptEvents';
import { NodeActivityError, isErrorLike, toNodeFailure } from './nodeFailures';
import { Redactor, type StreamRedactor } from '../guards/redact';
import { resolveParamSecrets, type SecretLookup, type SecretResolver } from '../guards/secrets';
import { StreamPublisher, type SendBatch } from './streamPublisher';

/**
 * Logs bound to the node: `log(level, message)` or `log.info(message, attrs)`. Each record goes
 * to the worker's logger (attributes `nodeId`, `taskId`, `traceId` added) and, message only, into
 * the attempt's records that the activity returns for the run's log (the same shape as an
 * action's `ctx.log`).
 */
export type NodeLogger = ActionLogger;

/** What a node implementation gets besides its input. */
export interface NodeContext {
  readonly nodeId: string;
  /** The current attempt, 1-based. */
  readonly attempt: number;
  readonly taskId: string;
  readonly traceId: string;
  readonly pipeline: string;
  /** Aborted when Temporal cancels the activity (workflow cancel, timeout, worker shutdown). Pass it to all I/O. */
  readonly signal: AbortSignal;
  /**
   * Headers every outgoing HTTP request must carry: W3C `traceparent`
   * (`00-<traceId>-<span id of this attempt>-01`). Empty when the run's trace id is malformed.
   */
  readonly traceHeaders: Readonly<Record<string, string>>;
  /** Records progress; the wrapper's interval heartbeat repeats the latest details. */
  heartbeat(details?: unknown): void;
  /**
   * Streams text to the run while the node works (an LLM's token deltas): batched and sent to
   * the run's workflow by signal (see `StreamPublisher`); what is pending when the node returns
   * is sent before its result. Never throws: a batch that cannot be sent is logged and dropped.
   */
  stream(text: string): void;
  /** Never log secrets or the resolved params (they contain secrets). */
  readonly log: NodeLogger;
}

/** What a node implementation returns; the wrapper adds the attempt. */
export interface NodeOutcome {
  output: unknown;
  usage?: TokenUsage;
}

/** A node implementation: params have their `{{ secrets.NAME }}` resolved. */
export type NodeFn = (input: NodeActivityInput, ctx: NodeContext) => Promise<NodeOutcome>;

/** The activity function registered on the worker. */
export type NodeActivity = (input: NodeActivityInput) => Promise<NodeActivityResult>;

export type { SecretLookup, SecretResolver } from '../guards/secrets';

export interface WrapNodeActivityOptions {
  /**
   * Resolves `{{ secrets.NAME }}` in params (may be async). `createActivities` passes the worker's
   * allow-list (`secrets` option, then `PIPELINE_SECRET_<NAME>`).
   * @default no secrets (any reference fails with SecretNotFound)
   */
  secrets?: SecretResolver;
  /** Code for errors the mapper does not recognise. @default 'UpstreamUnavailable' */
  fallbackCode?: NodeErrorCode;
  /**
   * How often the wrapper heartbeats. Each heartbeat is the activity's chance to learn it was
   * cancelled; the SDK throttles what it sends to the server (80% of the heartbeat timeout).
   * @default 1000
   */
  heartbeatIntervalMs?: number;
  /** Batching of the text the node streams (`ctx.stream`). */
  streaming?: StreamingOptions;
  /**
   * A result larger than this (bytes of JSON) fails the attempt with `OutputTooLarge` instead of
   * being refused by Temporal. `Infinity` when a claim check stores large results.
   * @default MAX_INLINE_PAYLOAD_BYTES (2 MiB less 64 KiB)
   */
  maxOutputBytes?: number;
}

/** How streamed text is batched into signals to the run (see `StreamPublisher`). */
export interface StreamingOptions {
  /** A batch is sent at most this long after its first delta, ms. @default 50 */
  batchMs?: number;
  /** See `ActivitiesConfig.streaming`. */
  settledBatchMs?: number;
  /** … or at once when this many bytes are pending. @default 2048 */
  batchBytes?: number;
}

/** Default interval between the wrapper's heartbeats, ms. */
export const HEARTBEAT_INTERVAL_MS = 1000;

const TRACE_ID = /^[0-9a-f]{32}$/;

/** A W3C `traceparent` for `traceId` with a fresh span id, or `undefined` if `traceId` is not valid. */
export function makeTraceparent(traceId: string): string | undefined {
  const id = traceId.toLowerCase();
  if (!TRACE_ID.test(id) || /^0+$/.test(id)) return undefined;
  let span: string;
  do span = randomBytes(8).toString('hex');
  while (/^0+$/.test(span));
  return `00-${id}-${span}-01`;
}

const LOG_LEVELS: ReadonlySet<string> = new Set<RunLogLevel>(['debug', 'info', 'warn', 'error']);

/**
 * Process CPU time and RSS, shared by the attempts running at once. Each reading walks every
 * thread of the worker process (getrusage, /proc), which on a busy worker cost more than the
 * figures are worth (profiled: ~10% of the main thread at 200 concurrent runs). An attempt's start
 * and its memory samples reuse a reading up to {@link READING_REUSE_MS} old; its end takes a fresh
 * CPU reading, so its CPU figure can only grow (it is an upper bound anyway).
 */
const READING_REUSE_MS = 10;
let lastReading: { at: number; cpu: NodeJS.CpuUsage; rss: number } | undefined;

function processReading(fresh = false): { cpu: NodeJS.CpuUsage; rss: number } {
  const at = performance.now();
  if (lastReading && !fresh && at - lastReading.at <= READING_REUSE_MS) return lastReading;
  const rss =
    lastReading && at - lastReading.at <= READING_REUSE_MS ? lastReading.rss : process.memoryUsage.rss();
  lastReading = { at, cpu: process.cpuUsage(), rss };
  return lastReading;
}

/** What one attempt logged (bounded) and the resources it used. */
class AttemptRecorder {
  readonly logs: NodeLogRecord[] = [];
  droppedLogs = 0;
  private readonly cpuStart = processReading().cpu;
  private peakRss = processReading().rss;

  record(level: RunLogLevel, message: string): void {
    if (this.logs.length >= MAX_NODE_LOGS_PER_ATTEMPT) {
      this.droppedLogs++;
      return;
    }
    this.logs.push({ at: new Date().toISOString(), level, message: truncateLogMessage(message) });
  }

  sampleMemory(): void {
    const { rss } = processReading();
    if (rss > this.peakRss) this.peakRss = rss;
  }

  /** The attempt's logs and metrics, sampled now. */
  report(): Pick<NodeFailureDetails, 'logs' | 'droppedLogs'> & { metrics: NodeMetrics } {
    const { cpu, rss } = processReading(true);
    if (rss > this.peakRss) this.peakRss = rss;
    const used = cpu.user - this.cpuStart.user + (cpu.system - this.cpuStart.system);
    const metrics: NodeMetrics = {
      cpuSeconds: used / 1e6,
      peakMemoryMb: Math.round((this.peakRss / 2 ** 20) * 10) / 10,
    };
    return {
      ...(this.logs.length > 0 && { logs: this.logs }),
      ...(this.droppedLogs > 0 && { droppedLogs: this.droppedLogs }),
      metrics,
    };
  }
}

/** Throws `OutputTooLarge` when `result` as JSON is over `maxBytes` (never measured when unbounded). */
function checkResultSize(result: NodeActivityResult, maxBytes: number): void {
  if (maxBytes === Infinity) return;
  const size = Buffer.byteLength(JSON.stringify(result) ?? '', 'utf8');
  if (size > maxBytes) {
    throw new NodeActivityError(
      'OutputTooLarge',
      `The node's output is ${formatBytes(size)} (${size} bytes); without a claim check a node's result may be at most ${formatBytes(maxBytes)} (${maxBytes} bytes). Configure a claim check on the worker and clients (docs/payloads.md) or return a reference (a URL or object key).`,
    );
  }
}

/** The error an activity rethrows when it was cancelled: the SDK's own `CancelledFailure`. */
function cancellation(signal: AbortSignal): CancelledFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof CancelledFailure) return reason;
  return new CancelledFailure(typeof reason === 'string' ? reason : 'CANCELLED');
}

/**
 * Turns a node implementation into a Temporal activity function.
 *
 * - resolves `{{ secrets.NAME }}` in `input.params` with `options.secrets` (missing → SecretNotFound,
 *   never retried) and redacts the values it resolved from the result, the failure (message,
 *   stack, details, causes), log records, heartbeat details and streamed text (`redact.ts`);
 * - heartbeats every `heartbeatIntervalMs` until `fn` settles (not at start: short attempts send none);
 * - passes the activity's cancellation signal and `traceparent` header to `fn`;
 * - collects what `fn` logs through `ctx.log` (at most `MAX_NODE_LOGS_PER_ATTEMPT` records, the
 *   rest counted) and measures the attempt's CPU time and peak RSS ({@link NodeMetrics});
 * - returns `{ output, attempt, usage, logs, droppedLogs, metrics }`;
 * - rethrows cancellation as the SDK's `CancelledFailure` (reported as cancelled, never retried;
 *   the attempt's records are lost); maps every other error through {@link toNodeFailure}, with
 *   the attempt's logs and metrics in the failure's details;
 * - tells the run about a failed attempt that will be retried, and about a retry's start, by
 *   signal (see `attemptEvents.ts`), so its log shows every attempt.
 *
 * @example
 * const echo = wrapNodeActivity(async (input) => ({ output: input.params }), { secrets: (n) => process.env[n] });
 */
export function wrapNodeActivity(fn: NodeFn, options: WrapNodeActivityOptions = {}): NodeActivity {
  const resolver = options.secrets;
  const lookup: SecretLookup = async (name) => (resolver ? await resolver(name) : undefined);
  const interval = options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
  const maxOutputBytes = options.maxOutputBytes ?? MAX_INLINE_PAYLOAD_BYTES;
  return async (input: NodeActivityInput): Promise<NodeActivityResult> => {
    const actx = Context.current();
    const attempt = actx.info.attempt;
    const signal = actx.cancellationSignal;
    const recorder = new AttemptRecorder();
    // Until the params' secrets are resolved there is nothing to hide but URL credentials.
    let redactor = new Redactor();
    let streamRedactor: StreamRedactor | undefined;
    let lastDetails: unknown;
    const heartbeat = (details?: unknown) => {
      if (details !== undefined) lastDetails = redactor.value(details);
      actx.heartbeat(lastDetails);
    };
    // No heartbeat at start: the SDK sends a first heartbeat at once, one more RPC for every
    // attempt, most of which finish long before the first interval.
    const attempts = createAttemptReporter(actx, input);
    attempts.start();
    let publisher: StreamPublisher | undefined;
    const stream = (text: string) => {
      if (typeof text !== 'string' || text.length === 0) return;
      publish(streamRedactor ? streamRedactor.push(text) : text);
    };
    const publish = (text: string) => {
      if (text.length === 0) return;
      publisher ??= createStreamPublisher(actx, input, options.streaming);
      publisher.push(text);
    };
    const timer = setInterval(() => {
      recorder.sampleMemory();
      heartbeat();
    }, interval);
    timer.unref();
    try {
      if (signal.aborted) throw cancellation(signal);
      const { params, used } = await resolveParamSecrets(input.params, lookup);
      if (used.size > 0) {
        redactor = new Redactor(used);
        streamRedactor = redactor.stream();
      }
      const traceparent = makeTraceparent(input.run.traceId);
      const attrs = { nodeId: input.nodeId, taskId: input.run.taskId, traceId: input.run.traceId };
      const write = (level: RunLogLevel, message: unknown, extra?: Record<string, unknown>) => {
        const lvl = LOG_LEVELS.has(level) ? level : 'info';
        const text = redactor.message(typeof message === 'string' ? message : String(message));
        actx.log[lvl](text, { ...attrs, ...redactor.value(extra) });
        recorder.record(lvl, text);
      };
      const log: NodeLogger = Object.assign((level: RunLogLevel, message: string) => write(level, message), {
        debug: (m: string, a?: Record<string, unknown>) => write('debug', m, a),
        info: (m: string, a?: Record<string, unknown>) => write('info', m, a),
        warn: (m: string, a?: Record<string, unknown>) => write('warn', m, a),
        error: (m: string, a?: Record<string, unknown>) => write('error', m, a),
      });
      const ctx: NodeContext = {
        nodeId: input.nodeId,
        attempt,
        taskId: input.run.taskId,
        traceId: input.run.traceId,
        pipeline: input.run.pipeline,
        signal,
        traceHeaders: traceparent ? { traceparent } : {},
        heartbeat,
        stream,
        log,
      };
      const { output, usage } = await fn({ ...input, params }, ctx);
      // The tail held back in case it began a secret.
      if (streamRedactor) publish(streamRedactor.end());
      await publisher?.flush();
      await attempts.settled();
      const result = {
        output: redactor.value(output),
        attempt,
        ...(usage !== undefined && { usage }),
        ...recorder.report(),
      };
      checkResultSize(result, maxOutputBytes);
      return result;
    } catch (err) {
      if (signal.aborted) throw cancellation(signal);
      const report = recorder.report();
      const failure = toNodeFailure(err, { attempt, fallback: options.fallbackCode, report, redactor });
      await attempts.failed(attemptFailureOf(failure), report);
      throw failure;
    } finally {
      clearInterval(timer);
      // After a failure or cancellation: the attempt's pending text is void (a retry says so).
      await publisher?.close();
    }
  };
}

/**
 * A publisher sending the attempt's streamed text to the run (this activity's own workflow
 * execution) through the worker's client. Without a client in the activity context (a mock
 * environment) the text is dropped, with one warning.
 */
function createStreamPublisher(
  actx: Context,
  input: NodeActivityInput,
  streaming: StreamingOptions = {},
): StreamPublisher {
  const nodeId = input.nodeId;
  // The exact run that scheduled this activity; the run's task id when the SDK does not say.
  const execution = actx.info.workflowExecution;
  const workflowId = execution?.workflowId ?? input.run.taskId;
  const runId = execution?.runId;
  const attempt = actx.info.attempt;
  let send: SendBatch;
  try {
    const handle = actx.client.workflow.getHandle(workflowId, runId);
    send = (batch) => handle.signal<[StreamDeltaBatch]>(STREAM_DELTAS_SIGNAL, batch);
  } catch (err) {
    actx.log.warn('streamed text is dropped: no Temporal client in the activity context', {
      nodeId,
      error: isErrorLike(err) ? err.message : String(err),
    });
    send = () => Promise.resolve();
  }
  return new StreamPublisher({
    nodeId,
    attempt,
    send,
    intervalMs: streaming.batchMs,
    settledIntervalMs: streaming.settledBatchMs,
    maxBytes: streaming.batchBytes,
    onError: (err, batch) => {
      actx.log.warn('a batch of streamed text could not be sent to the run; dropped', {
        nodeId,
        attempt,
        batch: batch.batch,
        chars: batch.text.length,
        error: isErrorLike(err) ? err.message : String(err),
      });
    },
  });
}
