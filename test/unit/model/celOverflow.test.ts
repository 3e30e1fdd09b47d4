/**
 * CEL integer overflow (issue 17 item 5): every int operator and conversion that can leave
 * [-2^63, 2^63 − 1] fails with "integer overflow" instead of returning a wrong number; the
 * values at the edges of the range still compute.
 */
import { evaluateExpression, type ExpressionScope } from '../../../src/model/expressions/expressions';

const scope: ExpressionScope = {
  steps: { a: { status: 'completed', output: { min: '-9223372036854775808', ints: [1, -1] } } },
  params: {},
  inputs: {},
};
const run = (source: string) => evaluateExpression(source, scope);

describe('integer overflow', () => {
  test.each([
    '-9223372036854775808 / -1',
    '-9223372036854775808 % -1',
    '-(-9223372036854775808)',
    '9223372036854775807 + 1',
    '-9223372036854775808 - 1',
    '9223372036854775807 * 2',
    '-9223372036854775808 * -1',
    'int(9223372036854775807.0)',
    'int(1e19)',
    'int(-1e19)',
    "int('9223372036854775808')",
    "int('-9223372036854775809')",
    'int(18446744073709551615u)',
    'int(9223372036854775808u)',
    'uint(-1)',
    'uint(1e20)',
    'uint(-1.0)',
    "uint('18446744073709551616')",
    "uint('-1')",
    '18446744073709551615u + 1u',
    '0u - 1u',
    // Inside a macro, and from data: the same check applies to every evaluation of the node.
    '[int(steps.a.output.min)].map(x, x / -1)',
    '[int(steps.a.output.min)].map(x, -x)',
    'steps.a.output.ints.map(x, int(steps.a.output.min) % x)',
  ])('%s fails with an overflow error', (source) => {
    expect(() => run(source)).toThrow(/overflow/i);
  });

  test.each([
    ['-9223372036854775807 / -1 - 1 == 9223372036854775806', true],
    ['9223372036854775807 - 1 == 9223372036854775806', true],
    ['-9223372036854775808 / 1 == -9223372036854775808', true],
    ['-9223372036854775808 % 1', 0],
    ['-7 % 3', -1],
    ['7 / -2', -3],
    ['-(5)', -5],
    ['int(2.9)', 2],
    ['int(-2.9)', -2],
    ["int('-9223372036854775808') == -9223372036854775808", true],
    ['int(5u)', 5],
    ['uint(5) == 5u', true],
    ["uint('18446744073709551615') == 18446744073709551615u", true],
  ])('%s is %p', (source, expected) => {
    expect(run(source)).toBe(expected);
  });

  test('a result outside int64 never reaches JSON as a rounded number', () => {
    expect(() => run('int(9223372036854775807.0) - 1')).toThrow(/overflow/);
  });
});
