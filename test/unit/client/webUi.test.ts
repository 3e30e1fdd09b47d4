/**
 * The Web UI texts (src/client/webUi.ts): a run's details show long values cut with a note,
 * untrusted names and values cannot break out of their code spans, the version label, and the
 * input with the user's values first keeps every field.
 */
import { prepareRun } from '../../../src/client/runs/startRun';
import {
  MAX_DETAILS_VALUE_CHARS,
  registryDetails,
  runDetails,
  userValuesFirst,
  versionLabel,
} from '../../../src/client/webUi';

const doc = (name: string) => ({
  name,
  steps: [{ id: 'text', action: 'input', params: { name: 'text', type: 'string' } }],
});

test('a long input is cut in the details, with how much more there is', () => {
  const text = 'x'.repeat(5_000);
  const details = runDetails(prepareRun(doc('long'), { inputs: { text } }), undefined);
  const whole = JSON.stringify({ text }, null, 2);
  expect(details).toContain(`… ${whole.length - MAX_DETAILS_VALUE_CHARS} more characters (whole in Input)`);
  expect(details).not.toContain(text);
});

test('a name with backticks and newlines stays inside its code span', () => {
  const input = prepareRun(doc('a `b`\n\n# c'), { inputs: { text: 'ok' } });
  expect(runDetails(input, '3').split('\n')[0]).toBe('**Pipeline run** `` a `b` # c `` · version 3');
  expect(registryDetails('x``y').split('\n')[0]).toContain('``` x``y ```');
});

test('versions: a saved number as is, a document as `unsaved · <hash>`', () => {
  expect(versionLabel('4', 'ab'.repeat(32))).toBe('4');
  expect(versionLabel(undefined, 'ab'.repeat(32))).toBe('unsaved · abababababab');
});

test("the user's values come first and nothing is lost", () => {
  const input = prepareRun(doc('order'), { inputs: { text: 'hi' } });
  const reordered = userValuesFirst(input);
  expect(Object.keys(reordered).slice(0, 3)).toEqual(['inputs', 'params', 'plan']);
  expect(reordered).toEqual(input);
});
