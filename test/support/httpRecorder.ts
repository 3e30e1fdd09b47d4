/**
 * A real HTTP server that records every request and answers from a per-path script.
 * Used by `api_call` and `notification` tests and to count side effects in integration tests.
 *
 * Answers, per request path (query string ignored), in this order:
 * 1. the next one-shot response queued with `script(path, …)` (FIFO),
 * 2. the standing response set with `route(path, …)`,
 * 3. the default: `200 {"ok":true}`.
 * A response may be a function of the recorded request (e.g. to echo it back).
 *
 * @example
 * const rec = await startHttpRecorder();
 * rec.script('/flaky', { status: 503, headers: { 'retry-after': '1' } }); // first call fails
 * rec.route('/echo', (req) => ({ json: { got: req.body } }));
 * await fetch(rec.url('/echo'), { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
 * expect(rec.requestsTo('/echo')[0]?.body).toEqual({ a: 1 });
 * await rec.close();
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WireJson } from '../../src/dev/offlineModel';
import { waitUntil } from './eventually';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path and query string as received. */
  url: string;
  /** Query parameters; a repeated key gives an array. */
  query: Record<string, string | string[]>;
  /** Lower-cased header names. */
  headers: http.IncomingHttpHeaders;
  /** The body as text. */
  rawBody: string;
  /** JSON-parsed when the content-type is JSON, an object for form bodies, else the text (`undefined` if empty). */
  body: WireJson;
  /** `Date.now()` when the request arrived. */
  time: number;
  /** The response was completely written. */
  completed: boolean;
  /** The client closed the connection before the response was complete (abort, timeout, size cap). */
  clientClosed: boolean;
  /** Bytes of response body written (useful with `hugeBodyBytes`). */
  bytesSent: number;
}

export interface RecorderResponse {
  /** @default 200 */
  status?: number;
  headers?: Record<string, string>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as `text/plain` unless `headers` name a content-type. */
  text?: string;
  /** Wait before sending the headers. */
  delayMs?: number;
  /** Never answer. */
  hang?: boolean;
  /** Stream this many bytes of `x` (in 64 KiB chunks, chunked encoding, no content-length). */
  hugeBodyBytes?: number;
  /** With `hugeBodyBytes`: also send `content-length`. */
  declareLength?: boolean;
  /** With `hugeBodyBytes`: wait between chunks. */
  chunkDelayMs?: number;
}
export type RecorderAnswer = RecorderResponse | ((req: RecordedRequest) => RecorderResponse);

export interface HttpRecorder {
  /** `http://127.0.0.1:PORT` */
  readonly baseURL: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** `baseURL + path`. */
  url(path: string): string;
  /** Queue one-shot answers for `path` (FIFO). */
  script(path: string, ...answers: RecorderAnswer[]): void;
  /** Set the standing answer for `path` (after the script runs out). */
  route(path: string, answer: RecorderAnswer): void;
  requestsTo(path: string): RecordedRequest[];
  /** Resolves with the requests to `path` once there are at least `n`. */
  waitForRequests(path: string, n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Resolves once `pred()` holds (polled every 10 ms). */
  waitFor(pred: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Forget scripts, routes and recorded requests. */
  reset(): void;
  /** Destroys open sockets (hanging requests included) and stops listening. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('json')) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  if (type.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  return raw;
}

export async function startHttpRecorder(): Promise<HttpRecorder> {
  const requests: RecordedRequest[] = [];
  const scripts = new Map<string, RecorderAnswer[]>();
  const routes = new Map<string, RecorderAnswer>();
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const parsed = new URL(url, 'http://recorder');
      const query: Record<string, string | string[]> = {};
      for (const [k, v] of parsed.searchParams) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const entry: RecordedRequest = {
        method: req.method ?? 'GET',
        path: parsed.pathname,
        url,
        query,
        headers: req.headers,
        rawBody,
        body: parseBody(rawBody, req.headers['content-type']),
        time: Date.now(),
        completed: false,
        clientClosed: false,
        bytesSent: 0,
      };
      requests.push(entry);
      res.on('close', () => {
        if (!res.writableFinished) entry.clientClosed = true;
      });
      res.on('finish', () => {
        entry.completed = true;
      });
      const answer = scripts.get(entry.path)?.shift() ?? routes.get(entry.path) ?? { json: { ok: true } };
      respond(entry, typeof answer === 'function' ? answer(entry) : answer, res).catch(() => {
        if (!res.destroyed) res.destroy();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function respond(entry: RecordedRequest, r: RecorderResponse, res: http.ServerResponse) {
    if (r.hang) return;
    if (r.delayMs) await sleep(r.delayMs);
    if (res.destroyed) return;
    const status = r.status ?? 200;
    const headers: Record<string, string> = { ...r.headers };
    const hasType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
    if (r.hugeBodyBytes !== undefined) {
      if (!hasType) headers['content-type'] = 'text/plain';
      if (r.declareLength) headers['content-length'] = String(r.hugeBodyBytes);
      res.writeHead(status, headers);
      const block = Buffer.alloc(64 * 1024, 'x');
      let left = r.hugeBodyBytes;
      while (left > 0) {
        if (res.destroyed) return;
        const piece = left >= block.length ? block : block.subarray(0, left);
        const ok = res.write(piece);
        entry.bytesSent += piece.length;
        left -= piece.length;
        if (r.chunkDelayMs) await sleep(r.chunkDelayMs);
        else if (!ok)
          await new Promise<void>((resolve) => {
            res.once('drain', resolve);
            res.once('close', resolve);
          });
      }
      res.end();
      return;
    }
    let payload = '';
    if (r.json !== undefined) {
      if (!hasType) headers['content-type'] = 'application/json';
      payload = JSON.stringify(r.json);
    } else if (r.text !== undefined) {
      if (!hasType) headers['content-type'] = 'text/plain; charset=utf-8';
      payload = r.text;
    }
    res.writeHead(status, headers);
    entry.bytesSent = Buffer.byteLength(payload);
    res.end(payload);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const baseURL = `http://127.0.0.1:${port}`;
  const requestsTo = (path: string) => requests.filter((r) => r.path === path);
  const waitFor = (pred: () => boolean, timeoutMs = 5000, what = 'condition') =>
    waitUntil(pred, timeoutMs, `httpRecorder: ${what}`);

  return {
    baseURL,
    port,
    requests,
    url: (path) => baseURL + path,
    script: (path, ...answers) => {
      scripts.set(path, [...(scripts.get(path) ?? []), ...answers]);
    },
    route: (path, answer) => {
      routes.set(path, answer);
    },
    requestsTo,
    waitFor,
    waitForRequests: async (path, n, timeoutMs = 5000) => {
      await waitFor(() => requestsTo(path).length >= n, timeoutMs, `${n} request(s) to ${path}`);
      return requestsTo(path);
    },
    reset: () => {
      requests.length = 0;
      scripts.clear();
      routes.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
