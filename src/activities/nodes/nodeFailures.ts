/**
 * The one place where an error thrown inside a node activity becomes the `ApplicationFailure`
 * Temporal sees: `type` = a stable {@link NodeErrorCode}, `nonRetryable` decided by
 * {@link isRetryableCode}, `nextRetryDelay` from the upstream's `retry-after`, and
 * `details: [NodeFailureDetails]`. The original error is kept as `cause`.
 *
 * Node implementations throw whatever their I/O throws (openai errors, fetch/undici errors)
 * or one of the two classes below; they never build `ApplicationFailure`s themselves.
 */
import { ApplicationFailure } from '@temporalio/common';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { NodeFailureDetails } from '../../protocol';
import { isRetryableCode, type NodeErrorCode } from '../../model';
import { Redactor } from '../guards/redact';

const NODE_ERROR = Symbol.for('temporal-pipelines.NodeActivityError');
const HTTP_STATUS_ERROR = Symbol.for('temporal-pipelines.HttpStatusError');

/** An error whose code the node already knows (`ResponseTooLarge`, `NodeConfigError`, …). */
export class NodeActivityError extends Error {
  override readonly name = 'NodeActivityError';
  readonly code: NodeErrorCode;
  readonly status: number | undefined;
  /** Overrides the retry interval when the code is retryable. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: NodeErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; retryAfterMs?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    Object.defineProperty(this, NODE_ERROR, { value: true });
  }

  /** Brand check: works across module copies (Jest, bundles). `instanceof` uses it too. */
  static is(err: unknown): err is NodeActivityError {
    return typeof err === 'object' && err !== null && NODE_ERROR in err;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return NodeActivityError.is(value);
  }
}

/** A non-2xx HTTP response (from `api_call`, a webhook, …). Classified by status and headers. */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  readonly status: number;
  readonly headers: Headers;

  constructor(status: number, headers: Headers, message: string) {
    super(message);
    this.status = status;
    this.headers = headers;
    Object.defineProperty(this, HTTP_STATUS_ERROR, { value: true });
  }

  static is(err: unknown): err is HttpStatusError {
    return typeof err === 'object' && err !== null && HTTP_STATUS_ERROR in err;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return HttpStatusError.is(value);
  }
}

/**
 * `instanceof Error` fails for errors from another realm (Node's own fetch under Jest's VM,
 * DOMException): check the shape instead.
 */
export function isErrorLike(value: unknown): value is Error {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Error).name === 'string' &&
    typeof (value as Error).message === 'string'
  );
}

export { isRetryableCode };

/** The code for an HTTP error status: 429 → RateLimited, 408/409/5xx → UpstreamUnavailable, 401/403 → Unauthorized, other 4xx → BadRequest. */
export function codeForStatus(status: number): NodeErrorCode {
  if (status === 429) return 'RateLimited';
  if (status === 408 || status === 409 || status >= 500) return 'UpstreamUnavailable';
  if (status === 401 || status === 403) return 'Unauthorized';
  if (status >= 400) return 'BadRequest';
  // 1xx/3xx reaching the mapper means the upstream answered something we cannot use.
  return 'UpstreamUnavailable';
}

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined | null;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : rec[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The delay an upstream asked for, in ms: `retry-after-ms`, else `retry-after` as seconds or an
 * HTTP date. `undefined` when absent or unparseable; a date in the past gives 0.
 */
export function retryAfterMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.round(Number(ms));
  const value = header(headers, 'retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_ABORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Classifies fetch/undici/Node network errors: the most specific code in the `cause` chain wins. */
function networkCode(err: unknown): NodeErrorCode | undefined {
  let generic = false;
  for (let e: unknown = err, depth = 0; isErrorLike(e) && depth < 5; e = e.cause, depth++) {
    if (e.name === 'TimeoutError') return 'UpstreamTimeout';
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (TIMEOUT_CODES.has(code)) return 'UpstreamTimeout';
      if (NETWORK_CODES.has(code)) return 'UpstreamUnavailable';
    }
    // undici: `TypeError: fetch failed` (connect) and `TypeError: terminated` (body broke off).
    if (e.name === 'TypeError' && (e.message === 'fetch failed' || e.message === 'terminated'))
      generic = true;
  }
  return generic ? 'UpstreamUnavailable' : undefined;
}

/**
 * What went wrong below HTTP, for a message: the most specific error code in the `cause` chain
 * (`ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_CONNECT_TIMEOUT`, `DEPTH_ZERO_SELF_SIGNED_CERT`, …) with
 * that error's own text, `timed out` for a per-request timeout, else the deepest message.
 */
export function transportCause(err: unknown): string {
  let deepest = isErrorLike(err) ? err.message || err.name : safeString(err);
  for (let e: unknown = err, depth = 0; isErrorLike(e) && depth < 5; e = e.cause, depth++) {
    if (e.name === 'TimeoutError') return 'timed out';
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') {
      return e.message && !e.message.includes(code) ? `${code} (${e.message})` : e.message || code;
    }
    if (e.message) deepest = e.message;
  }
  return deepest;
}

/**
 * A request that got no HTTP answer (refused, unknown host, TLS, timeout, broken off) as a
 * `NodeActivityError` whose message names the request (`where`: method and URL without userinfo or
 * query) and the cause code; the code is classified as `toNodeFailure` would. Our own errors
 * (egress refusals, …) are returned unchanged.
 */
export function transportFailure(where: string, err: unknown): unknown {
  if (NodeActivityError.is(err) || HttpStatusError.is(err)) return err;
  return new NodeActivityError(
    networkCode(err) ?? 'UpstreamUnavailable',
    `${where} failed: ${transportCause(err)}`,
    {
      cause: err,
    },
  );
}

interface Classified {
  code: NodeErrorCode;
  status?: number;
  retryAfterMs?: number;
}

function classify(err: unknown, fallback: NodeErrorCode): Classified {
  if (NodeActivityError.is(err))
    return { code: err.code, status: err.status, retryAfterMs: err.retryAfterMs };
  if (HttpStatusError.is(err)) {
    return { code: codeForStatus(err.status), status: err.status, retryAfterMs: retryAfterMs(err.headers) };
  }
  // Order matters: the timeout and connection errors are APIErrors without a status.
  if (err instanceof APIConnectionTimeoutError) return { code: 'UpstreamTimeout' };
  if (err instanceof APIConnectionError) return { code: networkCode(err.cause) ?? 'UpstreamUnavailable' };
  if (err instanceof APIUserAbortError) {
    // An abort the activity did not ask for (its own cancellation is handled before the mapper).
    return { code: 'UpstreamUnavailable' };
  }
  if (err instanceof APIError) {
    if (typeof err.status === 'number') {
      const headers = err.headers as Headers | undefined;
      return { code: codeForStatus(err.status), status: err.status, retryAfterMs: retryAfterMs(headers) };
    }
    // A status-less APIError is an error event inside a stream: the upstream gave up mid-way.
    return { code: 'UpstreamUnavailable' };
  }
  return { code: networkCode(err) ?? fallback };
}

export interface ToNodeFailureOptions {
  /** The current attempt (1-based), recorded in the details. */
  attempt: number;
  /** The code for errors nothing else recognises. @default 'UpstreamUnavailable' */
  fallback?: NodeErrorCode;
  /** What the attempt logged and its resource use, added to the details. */
  report?: Pick<NodeFailureDetails, 'logs' | 'droppedLogs' | 'metrics'>;
  /**
   * Hides the attempt's secrets in the failure's message, stack, details and cause chain.
   * @default one that only strips URL userinfo and query strings from messages
   */
  redactor?: Redactor;
}

const URLS_ONLY = new Redactor();

/**
 * Maps any error to the `ApplicationFailure` a node activity throws, redacted by
 * `options.redactor` (a new failure; the cause chain is copied, redacted).
 * An `ApplicationFailure` keeps its type, retryability, details and causes (a user action decided
 * for itself), so `options.report` is not attached to it.
 * Does not handle cancellation: the activity wrapper rethrows that before calling this.
 */
export function toNodeFailure(err: unknown, options: ToNodeFailureOptions): ApplicationFailure {
  return (options.redactor ?? URLS_ONLY).failure(classifiedFailure(err, options));
}

function classifiedFailure(err: unknown, options: ToNodeFailureOptions): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const { code, status, retryAfterMs: delay } = classify(err, options.fallback ?? 'UpstreamUnavailable');
  const nonRetryable = !isRetryableCode(code);
  const details: NodeFailureDetails = { attempt: options.attempt };
  if (status !== undefined) details.status = status;
  const { logs, droppedLogs, metrics } = options.report ?? {};
  if (logs !== undefined && logs.length > 0) details.logs = logs;
  if (droppedLogs !== undefined && droppedLogs > 0) details.droppedLogs = droppedLogs;
  if (metrics !== undefined) details.metrics = metrics;
  const message = isErrorLike(err) ? err.message || err.name : `non-error thrown: ${safeString(err)}`;
  return ApplicationFailure.create({
    type: code,
    message,
    nonRetryable,
    nextRetryDelay: !nonRetryable && delay !== undefined ? delay : undefined,
    details: [details],
    cause: causeOf(err),
  });
}

/** A NodeActivityError only carries our code: the failure's cause is what the NodeActivityError wraps. */
function causeOf(err: unknown): Error | undefined {
  if (NodeActivityError.is(err)) return isErrorLike(err.cause) ? err.cause : undefined;
  return isErrorLike(err) ? err : undefined;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
