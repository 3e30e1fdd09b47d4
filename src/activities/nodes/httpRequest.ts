/**
 * One outgoing HTTP request with the activity's guarantees: the activity's cancellation signal
 * (plus an optional per-request timeout), the `traceparent` header, a streamed body read that
 * stops at a byte cap, and non-2xx answers thrown as `HttpStatusError` for `errors.ts`.
 * Every hop goes through the worker's egress policy (`egressFetch.ts`).
 */
import type { ApiCallOutput } from '../../model';
import { tracedCall } from '../../shared';
import type { EgressPolicy } from '../guards/egress';
import { fetchUnderPolicy } from '../guards/egressFetch';
import { HttpStatusError, NodeActivityError, transportFailure } from './nodeFailures';
import type { NodeContext } from './wrapNodeActivity';

export interface HttpRequest {
  url: URL;
  method: string;
  /** Sent as given; they override `user-agent` and `traceparent`. */
  headers: Record<string, string>;
  body?: string;
  /** Per-request timeout, ms; the activity's own timeout applies regardless. */
  timeoutMs?: number;
  /** Largest response body accepted, bytes. */
  maxResponseBytes: number;
  /** Names the target in error messages. @default `METHOD origin/path` (never the query) */
  label?: string;
  /** Do not read a 2xx body (`body` is `null`); for webhooks, whose answers nobody reads. */
  discardBody?: boolean;
  /** Where the request may go (every redirect hop included). */
  egress: EgressPolicy;
  /** `url` is the worker's own configuration (a channel's webhook): only its redirects are checked. */
  trustedUrl?: boolean;
}

/** What a request answered (an `api_call` step's output). */
export type HttpResponse = ApiCallOutput;

/** How much of an error response's body goes into the failure message. */
export const ERROR_EXCERPT_CHARS = 500;
const ERROR_BODY_READ_BYTES = 16 * 1024;

/** `https://host/path` without query or credentials, for messages (queries may carry secrets). */
export function redactUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * Reads at most `limit` bytes of `res`'s body. Past the limit it cancels the body (closing the
 * connection) and returns `{ truncated: true }`.
 */
async function readCapped(res: Response, limit: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!res.body) return { bytes: new Uint8Array(0), truncated: false };
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.byteLength > limit) {
        chunks.push(value.subarray(0, limit - total));
        total = limit;
        await reader.cancel().catch(() => undefined);
        return { bytes: concat(chunks, total), truncated: true };
      }
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
  return { bytes: concat(chunks, total), truncated: false };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

function decode(bytes: Uint8Array, contentType: string): string {
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

export function isJsonContentType(contentType: string): boolean {
  return /^[^;]*[/+]json\s*(;|$)/i.test(contentType.trim());
}

/**
 * Sends `req` and reads the whole (capped) answer.
 * @throws HttpStatusError for a non-2xx status (message: method, URL without query, status, body excerpt)
 * @throws NodeActivityError ResponseTooLarge when the body exceeds `maxResponseBytes`
 * @throws NodeActivityError naming the request and the cause code when no answer came (refused, unknown
 * host, TLS, timeout); errors while reading the body as fetch throws them
 */
export function sendHttp(req: HttpRequest, ctx: NodeContext): Promise<HttpResponse> {
  const attributes = { 'http.request.method': req.method, 'url.full': redactUrl(req.url) };
  return tracedCall(`HTTP ${req.method}`, attributes, ctx.traceHeaders, async (traceHeaders, span) => {
    const response = await send(req, ctx, traceHeaders);
    span.setAttribute('http.response.status_code', response.status);
    return response;
  });
}

async function send(
  req: HttpRequest,
  ctx: NodeContext,
  traceHeaders: Readonly<Record<string, string>>,
): Promise<HttpResponse> {
  const signal =
    req.timeoutMs === undefined
      ? ctx.signal
      : AbortSignal.any([ctx.signal, AbortSignal.timeout(req.timeoutMs)]);
  // Later entries win, case-insensitively: the node's own headers override the defaults.
  const headers = new Headers({ 'user-agent': 'temporal-pipelines', ...traceHeaders });
  for (const [name, value] of Object.entries(req.headers)) headers.set(name, value);
  const where = req.label ?? `${req.method} ${redactUrl(req.url)}`;
  const res = await fetchUnderPolicy({
    url: req.url,
    method: req.method,
    headers,
    body: req.body,
    signal,
    where,
    policy: req.egress,
    trustFirstHop: req.trustedUrl,
  }).catch((err: unknown) => {
    throw transportFailure(where, err);
  });
  const contentType = res.headers.get('content-type') ?? '';

  if (res.status < 200 || res.status > 299) {
    const { bytes } = await readCapped(res, ERROR_BODY_READ_BYTES);
    const text = decode(bytes, contentType).trim();
    const excerpt = text.length > ERROR_EXCERPT_CHARS ? `${text.slice(0, ERROR_EXCERPT_CHARS)}…` : text;
    const statusText = res.statusText ? ` ${res.statusText}` : '';
    throw new HttpStatusError(
      res.status,
      res.headers,
      `${where} → ${res.status}${statusText}${excerpt ? `: ${excerpt}` : ''}`,
    );
  }

  if (req.discardBody) {
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status, ok: res.ok, headers: Object.fromEntries(res.headers), body: null };
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > req.maxResponseBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new NodeActivityError(
      'ResponseTooLarge',
      `${where}: response of ${declared} bytes exceeds max_response_bytes (${req.maxResponseBytes})`,
      { status: res.status },
    );
  }
  const { bytes, truncated } = await readCapped(res, req.maxResponseBytes);
  if (truncated) {
    throw new NodeActivityError(
      'ResponseTooLarge',
      `${where}: response exceeds max_response_bytes (${req.maxResponseBytes})`,
      { status: res.status },
    );
  }
  const text = decode(bytes, contentType);
  let body: unknown = text;
  if (isJsonContentType(contentType)) {
    if (text.trim() === '') body = null;
    else {
      try {
        body = JSON.parse(text);
      } catch {
        ctx.log.warn('response declared JSON but does not parse; returning text', {
          url: redactUrl(req.url),
        });
      }
    }
  }
  return {
    status: res.status,
    ok: res.ok,
    headers: Object.fromEntries(res.headers),
    body,
  };
}
