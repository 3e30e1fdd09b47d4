/**
 * A run's stream as Server-Sent Events, for web apps: frames (`toSseFrames`) and a standard web
 * `Response` (`sseResponse`) that a Next.js, Hono or Express route returns or pipes to a browser.
 *
 * Every frame carries the chunk's `seq` as its SSE `id`, so a browser's `EventSource` (or any
 * client sending `Last-Event-ID`) that reconnects resumes exactly after the last chunk it got.
 */
import type { ServerResponse } from 'node:http';
import { msToNumber } from '@temporalio/common';
import { sleep } from '../../shared';
import type { ClientDuration } from '../runs/startRun';
import type { RunStreamChunk, StreamOptions } from './stream';

/** Anything with `stream()`: a `RunHandle`. */
export interface Streamable {
  readonly taskId: string;
  stream(options?: StreamOptions): AsyncIterable<RunStreamChunk>;
}

export interface SseOptions extends Omit<StreamOptions, 'from'> {
  /**
   * The `Last-Event-ID` request header (the `seq` of the last chunk the client has): the frames
   * resume with the chunk after it. An empty or malformed value starts from the beginning.
   */
  lastEventId?: string | null;
}

/** The JSON of a frame: the chunk, with the reference SDK's snake_case names alongside. */
export function sseData(chunk: RunStreamChunk): Record<string, unknown> {
  switch (chunk.type) {
    case 'stream':
      return { ...chunk, output_name: chunk.outputName, output_value: chunk.outputValue };
    case 'node':
      return { ...chunk, node_id: chunk.nodeId };
    case 'retry':
      return { ...chunk, node_id: chunk.nodeId };
    case 'result':
      return { ...chunk, task_id: chunk.taskId, run_id: chunk.runId };
    case 'gap':
      return { ...chunk, missed_from: chunk.missedFrom, missed_up_to: chunk.missedUpTo };
  }
}

/**
 * One SSE frame: `id: <seq>`, `event: result` for the last chunk, `data: <json>`. With
 * `{ dataOnly: true }`, just `data: <json>` (the reference SDK's frames: the JSON has `seq` and
 * `type` anyway).
 */
export function sseFrame(chunk: RunStreamChunk, options: { dataOnly?: boolean } = {}): string {
  const data = JSON.stringify(sseData(chunk))
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  if (options.dataOnly) return `data: ${data}\n\n`;
  const event = chunk.type === 'result' ? 'event: result\n' : '';
  return `id: ${chunk.seq}\n${event}data: ${data}\n\n`;
}

/** The `from` cursor for a `Last-Event-ID` value (the `seq` itself); `undefined` for none or a malformed one. */
export function fromLastEventId(lastEventId: string | null | undefined): number | undefined {
  const value = lastEventId?.trim();
  if (!value || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * The run's stream as SSE frames (`id: <seq>\ndata: <json>\n\n`; the last one also has
 * `event: result`), from the chunk after `lastEventId` on. Ends after the result frame.
 * @throws NotFoundError when there is no such run.
 */
export async function* toSseFrames(run: Streamable, options: SseOptions = {}): AsyncGenerator<string> {
  const { lastEventId, ...stream } = options;
  for await (const chunk of run.stream({ ...stream, from: fromLastEventId(lastEventId) })) {
    yield sseFrame(chunk);
  }
}

export interface SseResponseOptions extends SseOptions {
  /**
   * The incoming request: its `Last-Event-ID` header (unless `lastEventId` is given) and its
   * `signal` (reading stops when the client goes away).
   */
  request?: Request;
  /** More response headers (CORS, …). */
  headers?: ConstructorParameters<typeof Headers>[0];
  /** A comment line is sent after this long without a frame, so proxies keep the connection. @default 15 s */
  keepAlive?: ClientDuration;
  /** How long a browser waits before it reconnects (the SSE `retry:` field). @default the browser's (~3 s) */
  retry?: ClientDuration;
}

const encoder = new TextEncoder();
/** How long `sseResponse` waits for the run's first frame before it sends the headers regardless. */
const HEAD_START_MS = 1000;

/**
 * A standard web `Response` that streams the run as Server-Sent Events (`text/event-stream`):
 * return it from a Next.js route handler, a Hono or Deno handler, or pipe it in Express/node:http.
 * It resumes after the request's `Last-Event-ID`; it stops reading the run when the request is
 * aborted (`request.signal` / `signal`) or the body is cancelled. A request whose `Last-Event-ID`
 * is the run's last chunk gets `204 No Content`, which tells an `EventSource` not to reconnect.
 * @example
 * // app/runs/[id]/events/route.ts (Next.js)
 * export async function GET(request: Request, { params }: { params: { id: string } }) {
 *   return sseResponse(client.runs.get(params.id), { request });
 * }
 * @throws NotFoundError when there is no such run (before the response starts).
 */
export async function sseResponse(run: Streamable, options: SseResponseOptions = {}): Promise<Response> {
  const { request, headers, keepAlive, retry, signal: outer, ...rest } = options;
  const lastEventId = rest.lastEventId ?? request?.headers.get('last-event-id') ?? undefined;
  const stop = new AbortController();
  const signals = [outer, request?.signal].filter((s): s is AbortSignal => s !== undefined);
  for (const s of signals) {
    if (s.aborted) stop.abort();
    else s.addEventListener('abort', () => stop.abort(), { once: true });
  }
  const keepAliveMs = keepAlive === undefined ? 15_000 : msToNumber(keepAlive);
  const frames = toSseFrames(run, { ...rest, lastEventId, signal: stop.signal });

  // The first frame (or the end) decides the status when it comes soon: a missing run throws
  // NotFoundError here, and a reader already past the run's end gets 204. A run that is slow to say
  // anything gets its headers after `HEAD_START_MS` anyway.
  let pending: Promise<IteratorResult<string, void>> | undefined = frames.next();
  const headStart = new AbortController();
  const first = await Promise.race([
    pending,
    sleep(HEAD_START_MS, headStart.signal).then(
      () => undefined,
      () => undefined,
    ),
  ]);
  headStart.abort(); // the head start is over either way: its timer must not outlive it
  const extra = new Headers(headers);
  if (first?.done) return new Response(null, { status: 204, headers: extra });
  if (first) pending = undefined;
  extra.set('content-type', 'text/event-stream; charset=utf-8');
  extra.set('cache-control', 'no-cache, no-transform');
  extra.set('x-accel-buffering', 'no');

  let timer: NodeJS.Timeout | undefined;
  let lastWrite = Date.now();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        lastWrite = Date.now();
        controller.enqueue(encoder.encode(text));
      };
      if (retry !== undefined) send(`retry: ${msToNumber(retry)}\n\n`);
      if (first) send(first.value);
      else send(': waiting for the run\n\n');
      timer = setInterval(
        () => {
          if (Date.now() - lastWrite >= keepAliveMs) send(': keep-alive\n\n');
        },
        Math.max(10, Math.min(keepAliveMs, 1000)),
      );
      void (async () => {
        try {
          for (;;) {
            const next = await (pending ?? frames.next());
            pending = undefined;
            if (next.done || stop.signal.aborted) break;
            send(next.value);
          }
          if (!stop.signal.aborted) controller.close();
        } catch (err) {
          if (!stop.signal.aborted) controller.error(err);
        } finally {
          clearInterval(timer);
        }
      })();
    },
    cancel() {
      stop.abort();
      clearInterval(timer);
    },
  });
  return new Response(body, { status: 200, headers: extra });
}

/**
 * Writes a web `Response` (such as {@link sseResponse}'s) to a Node `http.ServerResponse` —
 * plain node:http or Express — and stops reading it when the client goes away.
 * @example
 * app.get('/runs/:id/events', async (req, res) =>
 *   sendResponse(res, await sseResponse(client.runs.get(req.params.id), { lastEventId: req.get('last-event-id') })));
 */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) {
    res.end();
    return;
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  res.on('close', () => void reader.cancel().catch(() => undefined));
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    res.write(value);
  }
  res.end();
}
