import { compileOrThrow } from '../../../src/model/compiler/compiler';
import { ALL_PARAMS, changedParams, paramsReadBy, reusableSteps } from '../../../src/model/plan/resume';

const plan = compileOrThrow({
  params: { env: { type: 'string', default: 'dev' }, n: { type: 'integer', default: 1 } },
  steps: [
    { id: 'a', action: 'transform', params: { value: 'fixed' } },
    { id: 'b', action: 'transform', params: { value: '{{ steps.a.output }}-{{ params.env }}' } },
    { id: 'c', action: 'transform', params: { expression: 'steps.b.output + "!"' } },
    { id: 'd', action: 'transform', params: { expression: 'params.n * 2' }, depends_on: ['a'] },
    { id: 'e', action: 'log', params: { message: 'x' }, condition: "params.env == 'prod'" },
    { id: 'f', action: 'transform', params: { expression: 'params["n"]' } },
  ],
});
const node = (id: string) => plan.nodes.find((n) => n.id === id)!;

test('paramsReadBy finds params in templates, CEL params and conditions', () => {
  expect(paramsReadBy(node('a'))).toEqual(new Set());
  expect(paramsReadBy(node('b'))).toEqual(new Set(['env']));
  expect(paramsReadBy(node('c'))).toEqual(new Set());
  expect(paramsReadBy(node('d'))).toEqual(new Set(['n']));
  expect(paramsReadBy(node('e'))).toEqual(new Set(['env']));
  // A computed key (even a literal one in brackets) may read any param.
  expect([...paramsReadBy(node('f'))].some((p) => p === 'n' || p === ALL_PARAMS)).toBe(true);
});

test('changedParams compares values as canonical JSON', () => {
  expect(changedParams({ a: 1, o: { x: 1, y: 2 } }, { a: 1, o: { y: 2, x: 1 } })).toEqual(new Set());
  expect(changedParams({ a: 1, b: 'x' }, { a: 2, b: 'x', c: true })).toEqual(new Set(['a', 'c']));
});

describe('reusableSteps', () => {
  const all = new Set(['a', 'b', 'c', 'd', 'e', 'f']);

  test('without changed params every completed step whose dependencies are reused is reusable', () => {
    expect(reusableSteps(plan, all)).toEqual(all);
  });

  test('a step that is not reused takes everything downstream with it', () => {
    expect([...reusableSteps(plan, new Set(['b', 'c', 'd', 'e', 'f']))].sort()).toEqual(['e', 'f']);
  });

  test('a step reading a changed param runs again, and so does what depends on it', () => {
    expect([...reusableSteps(plan, all, new Set(['env']))].sort()).toEqual(['a', 'd', 'f']);
    const afterN = [...reusableSteps(plan, all, new Set(['n']))].sort();
    expect(afterN).toEqual(expect.arrayContaining(['a', 'b', 'c', 'e']));
    expect(afterN).not.toContain('d');
  });
});
