/**
 * What the offline model answers to one chat-completions request: the reply text, its streamed
 * tokens, the finish reason and the usage, from the scripted behaviour (or the default echo) and
 * the request's `max_tokens` / `max_completion_tokens`. Usage is counted in whitespace-separated
 * words.
 */
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   request bodies are untyped JSON from any client, read loosely as `WireJson` */
import type { BreakBehaviour, ReplyBehaviour, WireJson } from './offlineModelScript';

/** The default reply's timing, from the model's options. */
export interface DefaultReplyTiming {
  replyDelayMs?: number;
  chunkDelayMs?: number;
}

/** One planned answer. */
export interface PlannedReply {
  reply: string;
  /** The streamed content deltas; they join to `reply`. */
  tokens: string[];
  finishReason: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** Wait this long before the response headers. */
  delayMs: number;
  /** Wait this long before each streamed chunk. */
  chunkDelayMs: number;
  /** Destroy the socket after this many content chunks (a broken response). */
  breakAfter?: number;
}

/** Whitespace-separated words: the offline model's notion of a token count. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** `"echo: hi there"` → `["echo: ", "hi ", "there"]`. */
export function splitTokens(text: string): string[] {
  return text.split(/(?<= )/).filter((t) => t.length > 0);
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

function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: WireJson) => (part && typeof part.text === 'string' ? String(part.text) : ''))
      .join(' ');
  }
  return '';
}

/** The request's completion cap (`max_completion_tokens`, else `max_tokens`), if any. */
function completionCap(body: Record<string, WireJson>): number | undefined {
  const cap: unknown = body.max_completion_tokens ?? body.max_tokens;
  return typeof cap === 'number' && Number.isFinite(cap) ? Math.max(0, Math.floor(cap)) : undefined;
}

/**
 * The answer to `body`: a scripted reply or break behaviour, else `echo: <last user message>`
 * (`{"echo":"…"}` in JSON mode), cut to the request's completion cap with finish reason `length`.
 */
export function planReply(
  body: Record<string, WireJson>,
  behaviour: ReplyBehaviour | BreakBehaviour | undefined,
  defaults: DefaultReplyTiming,
): PlannedReply {
  const messages: WireJson[] = Array.isArray(body.messages) ? body.messages : [];
  const lastUser = [...messages].reverse().find((m) => m?.role === 'user');
  const jsonMode = body.response_format?.type === 'json_object';
  const echoText = messageText(lastUser?.content);
  const defaultReply = jsonMode ? JSON.stringify({ echo: echoText }) : `echo: ${echoText}`;

  let reply: string;
  let tokens: string[];
  let finishReason = 'stop';
  let chunkDelayMs = 0;
  let delayMs = 0;
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
    delayMs = behaviour.delayMs ?? 0;
  } else {
    reply = defaultReply;
    tokens = splitTokens(reply);
    chunkDelayMs = defaults.chunkDelayMs ?? 0;
    delayMs = defaults.replyDelayMs ?? 0;
  }
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
  return {
    reply,
    tokens,
    finishReason,
    usage,
    delayMs,
    chunkDelayMs,
    ...(breakAfter !== undefined && { breakAfter }),
  };
}
