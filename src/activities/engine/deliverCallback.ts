/**
 * The `pipelineCallback` activity: POSTs a run's end-of-run report to the URL the run was started
 * with, signed when the worker has a callback secret. The secret lives only in the worker's
 * configuration; the workflow (and so its history) never sees it.
 */
import { createHash, createHmac } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  CALLBACK_DELIVERY_HEADER,
  CALLBACK_SIGNATURE_HEADER,
  type PipelineCallbackBody,
  type PipelineCallbackInput,
  type PipelineCallbackResult,
} from '../../protocol';
import { createEgressPolicy, type EgressPolicy } from '../guards/egress';
import { toNodeFailure } from '../nodes/nodeFailures';
import { redactUrl, sendHttp } from '../nodes/httpRequest';
import { makeTraceparent, type NodeContext, type NodeLogger } from '../nodes/wrapNodeActivity';

/** The activity function registered as `pipelineCallback`. */
export type PipelineCallbackActivity = (input: PipelineCallbackInput) => Promise<PipelineCallbackResult>;

/** Per-request limit; the workflow gives each attempt 30 s in all. */
const REQUEST_TIMEOUT_MS = 25_000;

type Level = 'debug' | 'info' | 'warn' | 'error';

/** A node-style logger that writes to the worker's logger only (a callback is not a step). */
function workerLogger(actx: Context, attrs: Record<string, unknown>): NodeLogger {
  const write = (level: Level, message: string, more?: Record<string, unknown>): void => {
    actx.log[level](message, { ...attrs, ...more });
  };
  return Object.assign((level: Level, message: string) => write(level, message), {
    debug: (m: string, a?: Record<string, unknown>) => write('debug', m, a),
    info: (m: string, a?: Record<string, unknown>) => write('info', m, a),
    warn: (m: string, a?: Record<string, unknown>) => write('warn', m, a),
    error: (m: string, a?: Record<string, unknown>) => write('error', m, a),
  });
}

/**
 * The `x-pipeline-signature` value for `body` sent at `timestamp` (unix seconds):
 * `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
 *
 * A receiver verifies it by recomputing the HMAC over `"<t>.<raw request body>"` with the same
 * secret, comparing in constant time, and rejecting a `t` too far from its own clock (replays).
 * `verifyCallbackSignature` (exported by the client package) does exactly that.
 */
export function signCallback(secret: string, body: string, timestamp: number): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/**
 * The id of one callback delivery: a digest of the workflow run and the activity, so every
 * attempt of a delivery carries the same id (a receiver drops the repeat of one it processed)
 * and no two deliveries share one (a retried run, a reset run, another run with the same id).
 */
export function callbackDeliveryId(workflowId: string, runId: string, activityId: string): string {
  return createHash('sha256').update(`${workflowId}\n${runId}\n${activityId}`).digest('hex').slice(0, 32);
}

/**
 * Builds the `pipelineCallback` activity.
 *
 * Each attempt POSTs `input.body` plus its `deliveryId` as JSON, with the same id in
 * `x-pipeline-delivery`, `idempotency-key: <executionId>:callback` (retries may deliver twice;
 * receivers can drop duplicates), `traceparent`, and — with a `secret` — a fresh
 * `x-pipeline-signature` over the body. The URL goes through the worker's egress policy (a
 * refusal is `EgressDenied`, not retried). A non-2xx answer fails the attempt: 408/409/429/5xx
 * and network errors are retried under the workflow's retry policy, other 4xx are not.
 */
export function createCallbackActivity(
  options: { secret?: string; egress?: EgressPolicy } = {},
): PipelineCallbackActivity {
  const secret = options.secret === '' ? undefined : options.secret;
  const egress = options.egress ?? createEgressPolicy();
  return async (input: PipelineCallbackInput): Promise<PipelineCallbackResult> => {
    const actx = Context.current();
    const attempt = actx.info.attempt;
    const signal = actx.cancellationSignal;
    let url: URL;
    try {
      url = new URL(input.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw ApplicationFailure.create({
        type: 'NodeConfigError',
        message: 'callback URL must be an absolute http(s) URL',
        nonRetryable: true,
        details: [{ attempt }],
      });
    }
    const run = actx.info.workflowExecution;
    const deliveryId = callbackDeliveryId(
      run?.workflowId ?? input.body.executionId,
      run?.runId ?? '',
      actx.info.activityId,
    );
    const payload: PipelineCallbackBody = { deliveryId, ...input.body };
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [CALLBACK_DELIVERY_HEADER]: deliveryId,
      'idempotency-key': `${input.body.executionId}:callback`,
    };
    if (secret !== undefined) {
      headers[CALLBACK_SIGNATURE_HEADER] = signCallback(secret, body, Math.floor(Date.now() / 1000));
    }
    const traceparent = makeTraceparent(input.traceId);
    const attrs = { taskId: input.body.executionId, traceId: input.traceId, url: redactUrl(url), deliveryId };
    const ctx: NodeContext = {
      nodeId: 'callback',
      attempt,
      taskId: input.body.executionId,
      traceId: input.traceId,
      pipeline: input.body.pipelineId,
      signal,
      traceHeaders: traceparent ? { traceparent } : {},
      heartbeat: (details?: unknown) => actx.heartbeat(details),
      // A callback streams nothing to the run (which has ended).
      stream: () => undefined,
      log: workerLogger(actx, attrs),
    };
    try {
      const res = await sendHttp(
        {
          url,
          method: 'POST',
          label: `callback POST ${redactUrl(url)}`,
          headers,
          body,
          timeoutMs: REQUEST_TIMEOUT_MS,
          maxResponseBytes: 0,
          discardBody: true,
          egress,
        },
        ctx,
      );
      return { status: res.status, attempt };
    } catch (err) {
      if (signal.aborted) {
        const reason: unknown = signal.reason;
        throw reason instanceof CancelledFailure ? reason : new CancelledFailure('CANCELLED');
      }
      throw toNodeFailure(err, { attempt });
    }
  };
}
