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

/**
 * A wire payload as tests read it (`req.body.messages[0].content`): deliberately loose.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read wire payloads freely
export type WireJson = any;

/** Reply with `reply`. Streamed as `tokens` when given, else the reply split after each space. */
export interface ReplyBehaviour {
  reply: string;
  /** The content deltas of a streamed reply; they should join to `reply`. */
  tokens?: string[];
  /** Wait before sending the response headers. */
  delayMs?: number;
  /** Wait between streamed chunks. */
  chunkDelayMs?: number;
  /** @default 'stop' */
  finishReason?: string;
  /** Overrides the counted usage. */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
/** Answer with an HTTP error in OpenAI's error shape. */
export interface StatusBehaviour {
  status: number;
  /** `retry-after` header, in seconds (number) or verbatim (string, e.g. an HTTP date). */
  retryAfter?: number | string;
  /** `retry-after-ms` header. */
  retryAfterMs?: number;
  message?: string;
}
/** Never answer (the request stays open until the client gives up or the server closes). */
export interface HangBehaviour {
  hang: true;
}
/**
 * Start answering, then destroy the socket: a streamed request gets the headers and
 * `n` content chunks; a JSON request gets the headers and a truncated body.
 */
export interface BreakBehaviour {
  breakAfterChunks: number;
  reply?: string;
  chunkDelayMs?: number;
}
export type ModelBehaviour = ReplyBehaviour | StatusBehaviour | HangBehaviour | BreakBehaviour;

/** One request the model received. */
export interface ModelRequest {
  method: string;
  path: string;
  /** Lower-cased header names (Node's `IncomingHttpHeaders`): `authorization`, `traceparent`, … */
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` for GET). */
  body: WireJson;
  /** `Date.now()` when the request arrived. */
  time: number;
  /** The behaviour that answered it (`undefined` = default echo, or not a chat request). */
  behaviour?: ModelBehaviour;
  /** The response was completely written. */
  completed: boolean;
  /** The client closed the connection before the response was complete (abort, cancellation). */
  clientClosed: boolean;
  /** Content chunks written so far (streamed requests). */
  chunksSent: number;
}

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

/** Unref'd: a reply still waiting out its delay never keeps the process alive after `close()`. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Whitespace-separated words: the offline model's notion of a token count. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** `"echo: hi there"` → `["echo: ", "hi ", "there"]`. */
export function splitTokens(text: string): string[] {
  return text.split(/(?<= )/).filter((t) => t.length > 0);
}

function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: WireJson) => (part && typeof part.text === 'string' ? String(part.text) : ''))
      .join(' ');
  }
  return '';
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
      res.on('close', () => {
        if (!res.writableFinished) entry.clientClosed = true;
      });
      res.on('finish', () => {
        entry.completed = true;
      });
      handle(entry, res).catch((err: unknown) => {
        // A write after the client went away is expected (cancellation tests); nothing to report.
        if (!res.destroyed) res.destroy(err instanceof Error ? err : undefined);
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(entry: ModelRequest, res: http.ServerResponse): Promise<void> {
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
    const model = typeof body.model === 'string' ? body.model : 'offline-model';
    const messages: WireJson[] = Array.isArray(body.messages) ? body.messages : [];
    const stream = body.stream === true;
    const includeUsage = stream && body.stream_options?.include_usage === true;
    const id = `chatcmpl-offline-${++seq}`;
    const created = Math.floor(Date.now() / 1000);

    if (behaviour && 'hang' in behaviour) return; // never answer
    if (behaviour && 'status' in behaviour) {
      const headers: Record<string, string> = {};
      if (behaviour.retryAfter !== undefined) headers['retry-after'] = String(behaviour.retryAfter);
      if (behaviour.retryAfterMs !== undefined) headers['retry-after-ms'] = String(behaviour.retryAfterMs);
      sendJson(
        res,
        behaviour.status,
        {
          error: {
            message: behaviour.message ?? `fake error ${behaviour.status}`,
            type: behaviour.status === 429 ? 'rate_limit_exceeded' : 'fake_error',
            param: null,
            code: null,
          },
        },
        headers,
      );
      return;
    }

    const lastUser = [...messages].reverse().find((m) => m?.role === 'user');
    const jsonMode = body.response_format?.type === 'json_object';
    const echoText = messageText(lastUser?.content);
    const defaultReply = jsonMode ? JSON.stringify({ echo: echoText }) : `echo: ${echoText}`;

    let reply: string;
    let tokens: string[];
    let finishReason = 'stop';
    let chunkDelayMs = 0;
    let breakAfter: number | undefined;
    let usageOverride: ReplyBehaviour['usage'];
    if (behaviour && 'breakAfterChunks' in behaviour) {
      reply = behaviour.reply ?? defaultReply;
      tokens = splitTokens(reply);
      breakAfter = behaviour.breakAfterChunks;
      chunkDelayMs = behaviour.chunkDelayMs ?? 0;
    } else if (behaviour) {
      reply = behaviour.reply;
      tokens = behaviour.tokens ?? splitTokens(reply);
      finishReason = behaviour.finishReason ?? 'stop';
      chunkDelayMs = behaviour.chunkDelayMs ?? 0;
      usageOverride = behaviour.usage;
      if (behaviour.delayMs) await sleep(behaviour.delayMs);
    } else {
      reply = defaultReply;
      tokens = splitTokens(reply);
      chunkDelayMs = options.chunkDelayMs ?? 0;
      if (options.replyDelayMs) await sleep(options.replyDelayMs);
    }
    if (res.destroyed) return;
    const cap = completionCap(body);
    if (cap !== undefined && countWords(reply) > cap) {
      tokens = capTokens(tokens, cap);
      reply = tokens.join('');
      finishReason = 'length';
    }

    const promptTokens = messages.reduce<number>(
      (n, m: WireJson) => n + countWords(messageText(m?.content)),
      0,
    );
    const completionTokens = countWords(reply);
    const usage = usageOverride ?? {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };

    if (!stream) {
      const payload = JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply, refusal: null },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage,
      });
      if (breakAfter !== undefined) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(payload)),
        });
        res.write(payload.slice(0, Math.floor(payload.length / 2)));
        await sleep(20);
        res.socket?.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(payload);
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }, null));
    for (const token of tokens) {
      if (breakAfter !== undefined && entry.chunksSent >= breakAfter) {
        await sleep(20);
        res.socket?.destroy();
        return;
      }
      if (chunkDelayMs) await sleep(chunkDelayMs);
      if (res.destroyed) return;
      res.write(chunk({ content: token }, null));
      entry.chunksSent++;
    }
    if (breakAfter !== undefined) {
      await sleep(20);
      res.socket?.destroy();
      return;
    }
    res.write(chunk({}, finishReason));
    if (includeUsage) {
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
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

/** The request's completion cap (`max_completion_tokens`, else `max_tokens`), if any. */
function completionCap(body: Record<string, WireJson>): number | undefined {
  const cap: unknown = body.max_completion_tokens ?? body.max_tokens;
  return typeof cap === 'number' && Number.isFinite(cap) ? Math.max(0, Math.floor(cap)) : undefined;
}

/** The leading tokens that hold at most `cap` words. */
export function capTokens(tokens: readonly string[], cap: number): string[] {
  const kept: string[] = [];
  for (const token of tokens) {
    if (countWords([...kept, token].join('')) > cap) break;
    kept.push(token);
  }
  return kept;
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(payload);
}

/** Resolves once `pred()` holds (polled every 10 ms); rejects after `timeoutMs` naming `what`. */
async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
  }
}
