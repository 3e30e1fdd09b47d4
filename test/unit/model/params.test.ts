import { compileOrThrow } from '../../../src/model/compiler/compiler';
import { resolveRunInputs, resolveRunParams, valueMatchesType } from '../../../src/model/plan/runValues';

describe('resolveRunParams', () => {
  const declarations = {
    replicas: { type: 'integer' as const, default: 1 },
    env: { type: 'string' as const, required: true },
    ratio: { type: 'number' as const },
    flags: { type: 'array' as const },
    anything: { type: 'any' as const },
  };

  test('applies defaults and keeps given values', () => {
    expect(resolveRunParams(declarations, { env: 'prod', ratio: 0.5 })).toEqual({
      ok: true,
      params: { env: 'prod', ratio: 0.5, replicas: 1 },
    });
    expect(resolveRunParams(declarations, { env: 'prod', replicas: 4 })).toEqual({
      ok: true,
      params: { env: 'prod', replicas: 4 },
    });
  });

  test('reports every missing, mistyped and unknown param with its path', () => {
    const result = resolveRunParams(declarations, { replicas: 2.5, ratio: 'fast', flags: {}, extra: 1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => [i.code, i.path])).toEqual([
      ['unknown_param', ['params', 'extra']],
      ['invalid_type', ['params', 'replicas']],
      ['missing_param', ['params', 'env']],
      ['invalid_type', ['params', 'ratio']],
      ['invalid_type', ['params', 'flags']],
    ]);
    expect(result.issues[1]!.message).toBe("Param 'replicas' must be an integer, got the number 2.5.");
  });

  test('without declarations any params are accepted as given', () => {
    expect(resolveRunParams(undefined, { x: 1, y: 'z' })).toEqual({ ok: true, params: { x: 1, y: 'z' } });
    expect(resolveRunParams({}, { x: 1 })).toEqual({ ok: true, params: { x: 1 } });
  });

  test('an optional param without default stays absent', () => {
    expect(resolveRunParams({ p: { type: 'string' } }, {})).toEqual({ ok: true, params: {} });
  });
});

describe('resolveRunInputs', () => {
  const plan = compileOrThrow({
    steps: [
      { id: 'n', action: 'input', params: { type: 'integer' } },
      { id: 'q', action: 'input', params: { name: 'question', type: 'string', default: 'why?' } },
      { id: 'opt', action: 'input', params: { required: false } },
    ],
  });

  test('inputs are required by default, defaults apply, names come from the node', () => {
    expect(resolveRunInputs(plan, { n: 7 })).toEqual({ ok: true, inputs: { n: 7, question: 'why?' } });
    expect(resolveRunInputs(plan, { n: 7, question: 'how?', opt: [1] })).toEqual({
      ok: true,
      inputs: { n: 7, question: 'how?', opt: [1] },
    });
  });

  test('issues have the path [inputs, name]', () => {
    expect(resolveRunInputs(plan, { n: 'seven', q: 'by id' })).toEqual({
      ok: false,
      issues: [
        expect.objectContaining({ code: 'unknown_input', path: ['inputs', 'q'] }),
        expect.objectContaining({ code: 'invalid_type', path: ['inputs', 'n'] }),
      ],
    });
    expect(resolveRunInputs(plan, {})).toEqual({
      ok: false,
      issues: [expect.objectContaining({ code: 'missing_input', path: ['inputs', 'n'] })],
    });
  });

  test('a plan without input nodes accepts any inputs', () => {
    const none = compileOrThrow({ steps: [{ id: 'a', action: 'log', params: { message: 'x' } }] });
    expect(resolveRunInputs(none, { a: 1 })).toEqual({ ok: true, inputs: { a: 1 } });
  });
});

test.each([
  [1, 'integer', true],
  [1.5, 'integer', false],
  [1.5, 'number', true],
  [Number.NaN, 'number', false],
  ['1', 'number', false],
  [[], 'object', false],
  [null, 'object', false],
  [{}, 'object', true],
  [[], 'array', true],
  [false, 'boolean', true],
  [null, 'any', true],
  [undefined, 'any', false],
] as const)('valueMatchesType(%j, %s) = %s', (value, type, expected) => {
  expect(valueMatchesType(value, type)).toBe(expected);
});
