/**
 * Message bounds shared by the run's log and node activities.
 */
import { MAX_LOG_MESSAGE_BYTES, truncateLogMessage, utf8Length } from '../../../src/protocol/logRecords';

test('utf8Length counts UTF-8 bytes, surrogate pairs as 4', () => {
  expect(utf8Length('')).toBe(0);
  expect(utf8Length('abc')).toBe(3);
  expect(utf8Length('é')).toBe(2);
  expect(utf8Length('€')).toBe(3);
  expect(utf8Length('😀')).toBe(4);
  expect(utf8Length('a😀é')).toBe(Buffer.byteLength('a😀é'));
  // A lone surrogate is written as U+FFFD (3 bytes).
  expect(utf8Length('\ud83d')).toBe(3);
});

test('short messages are kept as they are', () => {
  const exact = 'x'.repeat(MAX_LOG_MESSAGE_BYTES);
  expect(truncateLogMessage('hello')).toBe('hello');
  expect(truncateLogMessage(exact)).toBe(exact);
});

test('long messages are cut to the byte budget with a marker giving the original size', () => {
  const long = 'x'.repeat(5000);
  const cut = truncateLogMessage(long);
  expect(cut.endsWith('… [truncated, 5000 bytes]')).toBe(true);
  expect(utf8Length(cut)).toBeLessThanOrEqual(MAX_LOG_MESSAGE_BYTES);
  expect(cut.startsWith('xxxx')).toBe(true);
});

test('multi-byte text is cut on a character boundary, never inside a surrogate pair', () => {
  const emoji = '😀'.repeat(1000); // 4000 bytes
  const cut = truncateLogMessage(emoji, 100);
  expect(utf8Length(cut)).toBeLessThanOrEqual(100);
  const kept = cut.slice(0, cut.indexOf('…'));
  expect(kept).toBe('😀'.repeat(kept.length / 2));
  expect(Buffer.from(kept, 'utf8').toString('utf8')).toBe(kept);
});
