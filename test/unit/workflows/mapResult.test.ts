/**
 * A map's result weighed as it grows (issue 19 item 7): outputs and errors count towards
 * `max_output_bytes` together; outputs past it make the result too large; errors past their bounds
 * are counted in `droppedErrors`; each kept message is cut; the JSON never weighs more than the
 * bound plus its framing.
 */
import {
  jsonBytes,
  MAX_MAP_ERROR_BYTES,
  MAX_MAP_ERROR_MESSAGE_BYTES,
  MAX_MAP_ERRORS,
  MAX_MAP_ITEMS,
} from '../../../src/model/plan/mapItems';
import { MAX_INLINE_PAYLOAD_BYTES } from '../../../src/model/definition/limits';
import { utf8Length } from '../../../src/protocol/logRecords';
import { boundedItemError, MapResult } from '../../../src/workflows/map/mapResult';

const failure = (index: number, message: string) => ({ index, code: 'Upstream', message, attempts: 3 });
/** The JSON the map workflow returns for `result`. */
const resultJson = (result: MapResult) =>
  JSON.stringify({ results: result.results, errors: result.errors, droppedErrors: result.droppedErrors });

test('a long message is cut to 1 KiB with a marker giving its size; a short one is kept whole', () => {
  const long = boundedItemError(failure(7, 'é'.repeat(5000)));
  expect(utf8Length(long.message)).toBeLessThanOrEqual(MAX_MAP_ERROR_MESSAGE_BYTES);
  expect(long.message).toMatch(/^é+… \[truncated, 10000 bytes\]$/);
  expect(long).toEqual(expect.objectContaining({ index: 7, code: 'Upstream', attempts: 3 }));
  expect(boundedItemError(failure(1, 'HTTP 500')).message).toBe('HTTP 500');
});

test('every item failing with a long message: at most 1,000 errors kept, the rest counted, the JSON under one payload', () => {
  const result = new MapResult(MAX_INLINE_PAYLOAD_BYTES);
  for (let i = 0; i < MAX_MAP_ITEMS; i++) result.addFailure(failure(i, `item ${i}: ${'x'.repeat(20_000)}`));
  const json = resultJson(result);
  expect(utf8Length(json)).toBeLessThanOrEqual(MAX_INLINE_PAYLOAD_BYTES);
  expect(jsonBytes(result.errors)).toBeLessThanOrEqual(MAX_MAP_ERROR_BYTES);
  expect(result.errors.length).toBeGreaterThan(0);
  expect(result.errors.length + result.droppedErrors).toBe(MAX_MAP_ITEMS);
  expect(result.failed).toBe(MAX_MAP_ITEMS);
  // The first to fail are the ones kept.
  expect(result.errors.map((e) => e.index)).toEqual(result.errors.map((_, i) => i));
  expect(result.results).toHaveLength(MAX_MAP_ITEMS);
  expect(result.results.every((r) => r === null)).toBe(true);
  expect(result.tooLarge).toBe(false);
});

test('short messages: the count bound keeps 1,000 and counts the rest', () => {
  const result = new MapResult(MAX_INLINE_PAYLOAD_BYTES);
  for (let i = 0; i < 1500; i++) result.addFailure(failure(i, 'HTTP 500'));
  expect(result.errors).toHaveLength(MAX_MAP_ERRORS);
  expect(result.droppedErrors).toBe(500);
});

test('errors take only what the outputs leave of max_output_bytes, and never make the result too large', () => {
  const result = new MapResult(1000);
  result.addOutput(0, { text: 'y'.repeat(900) });
  result.addFailure(failure(1, 'z'.repeat(200)));
  expect(result.errors).toEqual([]);
  expect(result.droppedErrors).toBe(1);
  expect(result.tooLarge).toBe(false);
  expect(result.bytes).toBe(utf8Length(JSON.stringify({ text: 'y'.repeat(900) })) + 1 + 5);
});

test('kept errors count towards max_output_bytes: an output past what they leave makes the result too large', () => {
  const result = new MapResult(1000);
  result.addFailure(failure(0, 'z'.repeat(500)));
  expect(result.errors).toHaveLength(1);
  result.addOutput(1, 'y'.repeat(400));
  expect(result.tooLarge).toBe(false);
  result.addOutput(2, 'y'.repeat(100));
  expect(result.tooLarge).toBe(true);
});

test('what it weighs is what its JSON weighs, within the framing', () => {
  const result = new MapResult(MAX_INLINE_PAYLOAD_BYTES);
  result.addOutput(0, { a: 'ü'.repeat(10) });
  result.addNone(1);
  result.addFailure(failure(2, 'bad'));
  result.addOutput(3, undefined);
  const framing = JSON.stringify({ results: [], errors: [], droppedErrors: 0 }).length;
  expect(utf8Length(resultJson(result))).toBeLessThanOrEqual(result.bytes + framing);
  expect(result.results).toEqual([{ a: 'ü'.repeat(10) }, null, null, null]);
});

test('a continuation picks up the carried state; one carried from before errors were weighed is weighed on arrival', () => {
  const first = new MapResult(10_000);
  first.addOutput(0, 'a');
  first.addFailure(failure(1, 'bad'));
  const next = new MapResult(10_000, first.state());
  expect(next.bytes).toBe(first.bytes);
  expect(next.failed).toBe(1);

  const old = { results: ['a', null], errors: [failure(1, 'bad')], outputBytes: 4 };
  const resumed = new MapResult(10_000, old);
  expect(resumed.bytes).toBe(4 + jsonBytes(failure(1, 'bad')) + 1);
  expect(resumed.droppedErrors).toBe(0);
});
