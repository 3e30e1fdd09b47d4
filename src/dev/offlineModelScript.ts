/**
 * What a test scripts into the offline model (one behaviour per chat-completions request, first-in
 * first-out) and what the model records of each request it received.
 */
import type http from 'node:http';

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
