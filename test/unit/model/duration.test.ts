import { durationToMs } from '../../../src/model/definition/duration';

test.each([
  [30, 30_000],
  [0.25, 250],
  ['500ms', 500],
  ['1.5s', 1500],
  [' 2 m ', 120_000],
  ['2h', 7_200_000],
  ['1d', 86_400_000],
])('durationToMs(%j) = %d', (input, ms) => {
  expect(durationToMs(input)).toBe(ms);
});

test.each(['5 minutes', '-1s', '', 's'])('durationToMs(%j) throws a RangeError', (input) => {
  expect(() => durationToMs(input)).toThrow(RangeError);
});

test('negative and non-finite seconds are rejected', () => {
  expect(() => durationToMs(-1)).toThrow(RangeError);
  expect(() => durationToMs(Number.POSITIVE_INFINITY)).toThrow(RangeError);
});
