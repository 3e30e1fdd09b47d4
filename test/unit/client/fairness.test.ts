/**
 * Fairness options are checked before anything starts: structured issues at `fairnessKey` and
 * `fairnessWeight`, from `prepareRun` (which every way of starting a run goes through).
 */
import { fairnessIssues, fairnessTag, MAX_FAIRNESS_KEY_BYTES } from '../../../src/client/runs/fairness';
import { prepareRun } from '../../../src/client/runs/startRun';
import { PipelineValidationError } from '../../../src/model';

const document = { name: 'tiny', steps: [{ id: 'say', action: 'transform', params: { value: 1 } }] };

test('a key of up to 64 bytes with a positive weight is fine', () => {
  expect(fairnessIssues({})).toEqual([]);
  expect(fairnessIssues({ fairnessKey: 'tenant-42' })).toEqual([]);
  expect(fairnessIssues({ fairnessKey: 'k'.repeat(MAX_FAIRNESS_KEY_BYTES), fairnessWeight: 0.5 })).toEqual(
    [],
  );
  expect(fairnessIssues({ fairnessKey: 'acme', fairnessWeight: 2500 })).toEqual([]);
});

test('the key limit counts UTF-8 bytes, not characters', () => {
  // 33 × 'é' is 33 characters but 66 bytes.
  expect(fairnessIssues({ fairnessKey: 'é'.repeat(33) })).toEqual([
    {
      path: ['fairnessKey'],
      code: 'too_large',
      message: 'fairnessKey is 66 bytes as UTF-8; Temporal allows at most 64.',
    },
  ]);
});

test('an empty or non-string key, and a weight that is not a positive finite number, are issues', () => {
  for (const fairnessKey of ['', 42, null]) {
    expect(fairnessIssues({ fairnessKey })).toEqual([
      expect.objectContaining({ path: ['fairnessKey'], code: 'invalid_type' }),
    ]);
  }
  for (const fairnessWeight of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '2']) {
    expect(fairnessIssues({ fairnessKey: 'acme', fairnessWeight })).toEqual([
      expect.objectContaining({ path: ['fairnessWeight'], code: 'invalid_type' }),
    ]);
  }
});

test('a weight without a key is an issue: it weighs nothing', () => {
  expect(fairnessIssues({ fairnessWeight: 2 })).toEqual([
    expect.objectContaining({
      path: ['fairnessWeight'],
      message: expect.stringContaining('fairnessKey') as unknown,
    }),
  ]);
});

test('prepareRun refuses a run with bad fairness options, reporting every issue', () => {
  let thrown: unknown;
  try {
    prepareRun(document, { fairnessKey: 'x'.repeat(65), fairnessWeight: -1 });
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(PipelineValidationError);
  expect((thrown as PipelineValidationError).issues.map((i) => i.path)).toEqual([
    ['fairnessKey'],
    ['fairnessWeight'],
  ]);
});

test('the tag a run with a key carries', () => {
  expect(fairnessTag('acme')).toBe('fairness:acme');
});
