/**
 * How the offline model writes its answers on the wire: a JSON body, an HTTP error in OpenAI's
 * shape, a chat completion as one JSON object or as server-sent chunks ending in `[DONE]`, and a
 * response broken off mid-way (the socket destroyed).
 */
import type http from 'node:http';
import { sleep } from '../shared';
import type { PlannedReply } from './offlineModelReply';
import type { ModelRequest, StatusBehaviour } from './offlineModelScript';

/** What every chunk of one completion repeats. */
export interface CompletionHeader {
  id: string;
  created: number;
  model: string;
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(payload);
}

/** A scripted HTTP error, with its `retry-after` / `retry-after-ms` headers. */
export function sendStatus(res: http.ServerResponse, behaviour: StatusBehaviour): void {
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
}

/** Lets what was written reach the client, then destroys the socket mid-response. */
async function breakOff(res: http.ServerResponse, signal: AbortSignal): Promise<void> {
  await sleep(20, signal);
  res.socket?.destroy();
}

/** A chat completion as one JSON object (`chat.completion`). */
export async function sendCompletionJson(
  res: http.ServerResponse,
  head: CompletionHeader,
  planned: PlannedReply,
  signal: AbortSignal,
): Promise<void> {
  const payload = JSON.stringify({
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: head.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: planned.reply, refusal: null },
        logprobs: null,
        finish_reason: planned.finishReason,
      },
    ],
    usage: planned.usage,
  });
  if (planned.breakAfter !== undefined) {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
    });
    res.write(payload.slice(0, Math.floor(payload.length / 2)));
    await breakOff(res, signal);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(payload);
}

/** A chat completion as server-sent `chat.completion.chunk`s, counted in `entry.chunksSent`. */
export async function sendCompletionStream(
  res: http.ServerResponse,
  entry: ModelRequest,
  head: CompletionHeader,
  planned: PlannedReply,
  includeUsage: boolean,
  signal: AbortSignal,
): Promise<void> {
  const { breakAfter, chunkDelayMs } = planned;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    `data: ${JSON.stringify({
      id: head.id,
      object: 'chat.completion.chunk',
      created: head.created,
      model: head.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })}\n\n`;
  res.write(chunk({ role: 'assistant', content: '' }, null));
  for (const token of planned.tokens) {
    if (breakAfter !== undefined && entry.chunksSent >= breakAfter) return breakOff(res, signal);
    if (chunkDelayMs) await sleep(chunkDelayMs, signal);
    if (res.destroyed) return;
    res.write(chunk({ content: token }, null));
    entry.chunksSent++;
  }
  if (breakAfter !== undefined) return breakOff(res, signal);
  res.write(chunk({}, planned.finishReason));
  if (includeUsage) {
    const { id, created, model } = head;
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: planned.usage })}\n\n`,
    );
  }
  res.end('data: [DONE]\n\n');
}
