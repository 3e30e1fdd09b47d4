/**
 * Bounds shared by the run's log (workflow side) and the records node activities return
 * (activity side). Pure: bundled into workflow code.
 */

/** The run keeps at most this many log records, the newest; older ones are counted as dropped. */
export const MAX_RUN_LOGS = 1000;
/**
 * The run also keeps at most this many bytes of log messages (UTF-8), dropping the oldest
 * records beyond it, so the `status` and `logs` query results stay well under Temporal's
 * payload limit.
 */
export const MAX_RUN_LOG_BYTES = 512 * 1024;
/** One record's message is cut to at most this many UTF-8 bytes, marker included. */
export const MAX_LOG_MESSAGE_BYTES = 2048;
/** A node activity returns at most this many records per attempt; it counts the rest as dropped. */
export const MAX_NODE_LOGS_PER_ATTEMPT = 100;

const NON_ASCII = /[^\u0000-\u007f]/; // eslint-disable-line no-control-regex -- the ASCII range, by design

/** UTF-8 length of `text` (lone surrogates count as the 3-byte replacement character). */
export function utf8Length(text: string): number {
  // Most text the engine measures (ids, JSON of small values) is ASCII: one byte a character.
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, ending with a marker that gives the original
 * size (`… [truncated, 5000 bytes]`) when it was cut. Never splits a surrogate pair.
 *
 * @example
 * truncateLogMessage('x'.repeat(5000)).endsWith('… [truncated, 5000 bytes]') // true
 */
export function truncateLogMessage(text: string, maxBytes: number = MAX_LOG_MESSAGE_BYTES): string {
  const total = utf8Length(text);
  if (total <= maxBytes) return text;
  const marker = `… [truncated, ${total} bytes]`;
  const budget = Math.max(0, maxBytes - utf8Length(marker));
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    const pair = c >= 0xd800 && c <= 0xdbff && end + 1 < text.length;
    const width = pair ? 2 : 1;
    const size = utf8Length(text.slice(end, end + width));
    if (bytes + size > budget) break;
    bytes += size;
    end += width;
  }
  return text.slice(0, end) + marker;
}
