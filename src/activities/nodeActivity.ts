/**
 * The wrapper every node activity goes through: secrets resolved activity-side, a heartbeat
 * on an interval so cancellation reaches the activity, the activity's AbortSignal and a
 * `traceparent` handed to the node, and every error classified once by `errors.ts`.
 */
import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type {
  NodeActivityInput,
  NodeActivityResult,
  NodeErrorCode,
  TokenUsage,
} from '../pipeline/nodeActivity';
import { resolveSecrets } from '../pipeline/templates';
import { NodeError, isErrorLike, toNodeFailure } from './errors';

/** Log methods bound to the node (attributes `nodeId`, `taskId`, `traceId` added). */
export interface NodeLogger {
  info(message: string, attrs?: Record<string, unknown>): void;
  warn(message: string, attrs?: Record<string, unknown>): void;
  error(message: string, attrs?: Record<string, unknown>): void;
}

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

/** Returns a secret's value, or `undefined` when the worker does not have it. */
export type SecretLookup = (name: string) => string | undefined;

export interface WrapNodeActivityOptions {
  /** Resolves `{{ secrets.NAME }}` in params. @default no secrets (any reference fails with NodeConfigError) */
  secrets?: SecretLookup;
  /** Code for errors the mapper does not recognise. @default 'UpstreamUnavailable' */
  fallbackCode?: NodeErrorCode;
  /**
   * How often the wrapper heartbeats. Each heartbeat is the activity's chance to learn it was
   * cancelled; the SDK throttles what it sends to the server (80% of the heartbeat timeout).
   * @default 1000
   */
  heartbeatIntervalMs?: number;
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

/** The error an activity rethrows when it was cancelled: the SDK's own `CancelledFailure`. */
function cancellation(signal: AbortSignal): CancelledFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof CancelledFailure) return reason;
  return new CancelledFailure(typeof reason === 'string' ? reason : 'CANCELLED');
}

/**
 * Turns a node implementation into a Temporal activity function.
 *
 * - resolves `{{ secrets.NAME }}` in `input.params` with `options.secrets` (missing → NodeConfigError);
 * - heartbeats every `heartbeatIntervalMs` until `fn` settles;
 * - passes the activity's cancellation signal and `traceparent` header to `fn`;
 * - returns `{ output, attempt, usage }`;
 * - rethrows cancellation as the SDK's `CancelledFailure` (reported as cancelled, never retried);
 *   maps every other error through {@link toNodeFailure}.
 *
 * @example
 * const echo = wrapNodeActivity(async (input) => ({ output: input.params }), { secrets: (n) => process.env[n] });
 */
export function wrapNodeActivity(fn: NodeFn, options: WrapNodeActivityOptions = {}): NodeActivity {
  const lookup: SecretLookup = options.secrets ?? (() => undefined);
  const interval = options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
  return async (input: NodeActivityInput): Promise<NodeActivityResult> => {
    const actx = Context.current();
    const attempt = actx.info.attempt;
    const signal = actx.cancellationSignal;
    let lastDetails: unknown;
    const heartbeat = (details?: unknown) => {
      if (details !== undefined) lastDetails = details;
      actx.heartbeat(lastDetails);
    };
    heartbeat();
    const timer = setInterval(() => heartbeat(), interval);
    timer.unref();
    try {
      if (signal.aborted) throw cancellation(signal);
      let params: Record<string, unknown>;
      try {
        params = resolveSecrets(input.params, lookup);
      } catch (err) {
        throw new NodeError('NodeConfigError', isErrorLike(err) ? err.message : String(err), { cause: err });
      }
      const traceparent = makeTraceparent(input.run.traceId);
      const attrs = { nodeId: input.nodeId, taskId: input.run.taskId, traceId: input.run.traceId };
      const ctx: NodeContext = {
        nodeId: input.nodeId,
        attempt,
        taskId: input.run.taskId,
        traceId: input.run.traceId,
        pipeline: input.run.pipeline,
        signal,
        traceHeaders: traceparent ? { traceparent } : {},
        heartbeat,
        log: {
          info: (m, a) => {
            actx.log.info(m, { ...attrs, ...a });
          },
          warn: (m, a) => {
            actx.log.warn(m, { ...attrs, ...a });
          },
          error: (m, a) => {
            actx.log.error(m, { ...attrs, ...a });
          },
        },
      };
      const { output, usage } = await fn({ ...input, params }, ctx);
      return usage === undefined ? { output, attempt } : { output, attempt, usage };
    } catch (err) {
      if (signal.aborted) throw cancellation(signal);
      throw toNodeFailure(err, { attempt, fallback: options.fallbackCode });
    } finally {
      clearInterval(timer);
    }
  };
}
