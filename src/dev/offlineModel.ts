/**
 * The offline model: a real HTTP server on 127.0.0.1 that speaks enough of the OpenAI wire
 * protocol for local development and tests: `POST /v1/chat/completions` (JSON and SSE streaming)
 * and `GET /v1/models`. `tpipe dev`, `npm run worker` (with neither `OPENAI_API_KEY` nor
 * `OPENAI_BASE_URL` set), the examples and the tests all use it.
 *
 * Point the `openai` provider (or the `openai` client) at it:
 * `new OpenAI({ baseURL: model.baseURL, apiKey: 'offline' })`. It needs no key and calls nothing.
 *
 * Default behaviour: reply `echo: <last user message>`; with
 * `response_format: { type: 'json_object' }` reply `{"echo":"<last user message>"}` instead.
 * Usage is counted in whitespace-separated words: prompt = words over every message's content,
 * completion = words of the reply, so tests can assert exact numbers.
 *
 * Fault injection, for tests: behaviours are consumed first-in first-out, one per
 * chat-completions request:
 * @example
 * const model = await startOfflineModel();
 * model.script({ status: 429, retryAfter: 2 }, { reply: 'hello world' });
 * // 1st request → 429 with `retry-after: 2`; 2nd → "hello world"; later ones → echo.
 * await model.close();
 *
 * A slow model (every unscripted reply waits 5 s, as a long LLM answer would):
 * `startOfflineModel({ replyDelayMs: 5000 })`.
 *
 * A request's `max_tokens` / `max_completion_tokens` is honoured as a real model would: a reply
 * of more words is cut after that many (whole tokens of a scripted `tokens` list, at most that
 * many words), with finish reason `length` and usage counted on what was sent (unless scripted).
 */
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   request bodies are untyped JSON from any client, read loosely as `WireJson` (tests read them the same way) */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { sleep } from '../shared';
import { planReply } from './offlineModelReply';
import { sendCompletionJson, sendCompletionStream, sendJson, sendStatus } from './offlineModelResponses';
import type { ModelBehaviour, ModelRequest, WireJson } from './offlineModelScript';

export type {
  BreakBehaviour,
  HangBehaviour,
  ModelBehaviour,
  ModelRequest,
  ReplyBehaviour,
  StatusBehaviour,
  WireJson,
} from './offlineModelScript';

export interface OfflineModel {
  /** `http://127.0.0.1:PORT/v1`: pass as the OpenAI client's `baseURL`. */
  readonly baseURL: string;
  readonly port: number;
  /** Every request received, in arrival order (chat and models alike). */
  readonly requests: ModelRequest[];
  /** Chat-completions requests only. */
  chatRequests(): ModelRequest[];
  /** Queue behaviours for the next chat-completions requests (FIFO). */
  script(...behaviours: ModelBehaviour[]): void;
  /** Behaviours still queued. */
  pending(): number;
  /** Forget the script and the request log. */
  reset(): void;
  /** Resolves once `n` chat-completions requests have arrived. */
  waitForChatRequests(n: number, timeoutMs?: number): Promise<ModelRequest[]>;
  /** Resolves once `pred()` holds (polled every 10 ms); rejects after `timeoutMs`. */
  waitFor(pred: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Destroys open sockets (hanging requests included) and stops listening. */
  close(): Promise<void>;
}

/** Options of {@link startOfflineModel}; they shape the default (unscripted) echo reply only. */
export interface OfflineModelOptions {
  /** Wait this long before answering a default reply, like a model thinking. @default 0 */
  replyDelayMs?: number;
  /** Wait this long before each streamed chunk of a default reply. @default 0 */
  chunkDelayMs?: number;
  /**
   * Keep every request in `requests` (tests read them). A long-lived development server turns
   * this off so its memory stays flat. @default true
   */
  recordRequests?: boolean;
  /**
   * Whether the listening server alone keeps the process alive. A worker's model turns this off:
   * the worker keeps the process alive while it runs, and a worker that fails to start leaves
   * nothing behind. @default true
   */
  keepProcessAlive?: boolean;
}

/** Starts the offline model on a free port of 127.0.0.1. */
export async function startOfflineModel(options: OfflineModelOptions = {}): Promise<OfflineModel> {
  const queue: ModelBehaviour[] = [];
  const requests: ModelRequest[] = [];
  const sockets = new Set<Socket>();
  let seq = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: WireJson;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const entry: ModelRequest = {
        method: req.method ?? 'GET',
        path,
        headers: req.headers,
        body,
        time: Date.now(),
        completed: false,
        clientClosed: false,
        chunksSent: 0,
      };
      if (options.recordRequests !== false) requests.push(entry);
      // Once the response is closed (sent, or cut by the client or by `close()`), a reply still
      // waiting out a delay stops waiting, so no timer outlives it.
      const closed = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) entry.clientClosed = true;
        closed.abort();
      });
      res.on('finish', () => {
        entry.completed = true;
      });
      handle(entry, res, closed.signal).catch((err: unknown) => {
        // A write after the client went away is expected (cancellation tests); nothing to report.
        if (!res.destroyed) res.destroy(err instanceof Error ? err : undefined);
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(entry: ModelRequest, res: http.ServerResponse, closed: AbortSignal): Promise<void> {
    if (entry.method === 'GET' && entry.path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: 'offline-model', object: 'model', created: 1700000000, owned_by: 'temporal-pipelines' }],
      });
      return;
    }
    if (entry.method !== 'POST' || entry.path !== '/v1/chat/completions') {
      sendJson(res, 404, { error: { message: `no route ${entry.method} ${entry.path}`, type: 'not_found' } });
      return;
    }
    const behaviour = queue.shift();
    entry.behaviour = behaviour;
    const body = (entry.body ?? {}) as Record<string, WireJson>;
    const head = {
      id: `chatcmpl-offline-${++seq}`,
      created: Math.floor(Date.now() / 1000),
      model: typeof body.model === 'string' ? body.model : 'offline-model',
    };
    if (behaviour && 'hang' in behaviour) return; // never answer
    if (behaviour && 'status' in behaviour) return sendStatus(res, behaviour);

    const planned = planReply(body, behaviour, options);
    if (planned.delayMs) await sleep(planned.delayMs, closed);
    if (res.destroyed) return;
    if (body.stream !== true) return sendCompletionJson(res, head, planned, closed);
    const includeUsage = body.stream_options?.include_usage === true;
    return sendCompletionStream(res, entry, head, planned, includeUsage, closed);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  if (options.keepProcessAlive === false) server.unref();
  const port = (server.address() as AddressInfo).port;

  const waitFor = (pred: () => boolean, timeoutMs = 5000, what = 'condition') =>
    waitUntil(pred, timeoutMs, `offline model: ${what}`);
  const chatRequests = () => requests.filter((r) => r.path === '/v1/chat/completions');

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    chatRequests,
    script: (...behaviours) => {
      queue.push(...behaviours);
    },
    pending: () => queue.length,
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    waitFor,
    waitForChatRequests: async (n, timeoutMs = 5000) => {
      await waitFor(() => chatRequests().length >= n, timeoutMs, `${n} chat request(s)`);
      return chatRequests();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once `pred()` holds (polled every 10 ms); rejects after `timeoutMs` naming `what`. */
async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
