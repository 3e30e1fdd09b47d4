/**
 * Bounded evaluation: expressions and templates are weighed while they are built, a limit fails
 * with EvaluationLimitError naming it, and ordinary expressions are unaffected.
 */
import { EvaluationLimitError, ExpressionError } from '../../../src/model/definition/errors';
import { EVALUATION_LIMITS, EvaluationMeter, utf8Bytes, weigh } from '../../../src/model/expressions/evaluationMeter';
import {
  evaluateCondition,
  evaluateExpression,
  type ExpressionScope,
} from '../../../src/model/expressions/expressions';
import { renderNodeParams, renderTemplate, renderValue } from '../../../src/model/expressions/templates';

const MB = 1_000_000;
const scope = (inputs: Record<string, unknown>): ExpressionScope => ({
  steps: { a: { status: 'completed', output: { items: [1, 2, 3], name: 'Ada' }, attempts: 1 } },
  params: { n: 2 },
  inputs,
});
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The EvaluationLimitError `fn` throws (fails the test if it throws anything else or nothing). */
function limitOf(fn: () => unknown): EvaluationLimitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EvaluationLimitError);
    return err as EvaluationLimitError;
  }
  throw new Error('expected an EvaluationLimitError, nothing was thrown');
}

describe('limits are hit', () => {
  const big = scope({ l: range(2000), s: 'x'.repeat(MB), big: range(400_000) });

  test("the issue's case: inputs.l.map(x, inputs.s) over 2,000 items and a 1 MB string", () => {
    const err = limitOf(() => evaluateExpression('inputs.l.map(x, inputs.s)', big));
    expect(err.limit).toBe('maxValueBytes');
    expect(err.max).toBe(EVALUATION_LIMITS.maxValueBytes);
    expect(err.expression).toBe('inputs.l.map(x, inputs.s)');
    expect(err.message).toMatch(
      /^Expression "inputs\.l\.map\(x, inputs\.s\)" went past the evaluation limit maxValueBytes \(1048576\): it builds a list larger than 1\.0 MiB$/,
    );
  });

  test('a list built item by item past 1 MiB, and map over map', () => {
    expect(limitOf(() => evaluateExpression('inputs.big.map(x, x + 1).size()', big)).limit).toBe(
      'maxValueBytes',
    );
    expect(limitOf(() => evaluateExpression('inputs.l.map(x, inputs.l).size()', big)).limit).toBe(
      'maxValueBytes',
    );
    expect(limitOf(() => evaluateExpression('inputs.l.map(x, inputs.l).map(y, y).size()', big)).limit).toBe(
      'maxValueBytes',
    );
  });

  test('string concatenation past 1 MiB, also inside a list or a map literal', () => {
    expect(limitOf(() => evaluateExpression('inputs.s + inputs.s', big)).limit).toBe('maxValueBytes');
    expect(limitOf(() => evaluateExpression('size(inputs.s + inputs.s) > 0', big)).limit).toBe(
      'maxValueBytes',
    );
    expect(limitOf(() => evaluateExpression('[inputs.s, inputs.s]', big)).limit).toBe('maxValueBytes');
    expect(limitOf(() => evaluateExpression('{"a": inputs.s, "b": inputs.s}', big)).limit).toBe(
      'maxValueBytes',
    );
  });

  test('strings are weighed by UTF-8 bytes: 400,000 three-byte characters are past 1 MiB', () => {
    const wide = scope({ w: '€'.repeat(150_000) });
    expect(evaluateExpression('size(inputs.w + inputs.w)', wide)).toBe(300_000);
    const wider = scope({ w: '€'.repeat(200_000) });
    expect(limitOf(() => evaluateExpression('size(inputs.w + inputs.w)', wider)).limit).toBe('maxValueBytes');
  });

  test('work without growth is bounded by operations: a predicate scanning a 1 MB string per item', () => {
    const err = limitOf(() => evaluateExpression('inputs.l.exists(x, inputs.s.lowerAscii() == "")', big));
    expect(err.limit).toBe('maxOperations');
    expect(err.message).toContain(`maxOperations (${EVALUATION_LIMITS.maxOperations})`);
    expect(limitOf(() => evaluateExpression('inputs.big.filter(x, x in inputs.l).size()', big)).limit).toBe(
      'maxOperations',
    );
  });

  test('exists / all stop at the limit instead of treating it as one element’s error', () => {
    // Without the stop, `exists` would go on and return true from a later element.
    const s = scope({ l: range(300), s: 'x'.repeat(MB) });
    expect(
      limitOf(() => evaluateCondition('inputs.l.exists(x, size(inputs.s + inputs.s) == 0)', s)).limit,
    ).toBe('maxValueBytes');
    expect(limitOf(() => evaluateCondition('inputs.l.all(x, size(inputs.s + inputs.s) > 0)', s)).limit).toBe(
      'maxValueBytes',
    );
    expect(limitOf(() => evaluateCondition('size(inputs.s + inputs.s) > 0 || true', s)).limit).toBe(
      'maxValueBytes',
    );
  });

  test('a mixed template past 1 MiB fails, naming the template', () => {
    const s = scope({ s: 'x'.repeat(400_000) });
    const template = '{{ inputs.s }}{{ inputs.s }}{{ inputs.s }}';
    const err = limitOf(() => renderTemplate(template, s));
    expect(err.limit).toBe('maxValueBytes');
    expect(err.expression).toBe(template);
    expect(err.message).toContain('the template renders more than 1.0 MiB');
    // Two copies (800 KB) are fine.
    expect((renderTemplate('{{ inputs.s }}{{ inputs.s }}', s) as string).length).toBe(800_000);
  });

  test('a template interpolating a large value as JSON fails before writing the JSON', () => {
    const err = limitOf(() => renderTemplate('items: {{ inputs.big }}', scope({ big: range(400_000) })));
    expect(err.limit).toBe('maxValueBytes');
  });

  test("a step's templates together: many params each passing a large input on", () => {
    const meter = new EvaluationMeter({ ...EVALUATION_LIMITS, maxRenderedBytes: 3 * MB });
    const params = Object.fromEntries(range(10).map((i) => [`p${i}`, '{{ inputs.s }}']));
    const err = limitOf(() => renderValue(params, scope({ s: 'x'.repeat(MB) }), { meter }));
    expect(err.limit).toBe('maxRenderedBytes');
    // With the default limit (64 MiB), 10 × 1 MB is accepted…
    expect(Object.keys(renderValue(params, scope({ s: 'x'.repeat(MB) })) as object)).toHaveLength(10);
    // …and a hundred is not.
    const many = Object.fromEntries(range(100).map((i) => [`p${i}`, '{{ inputs.s }}']));
    expect(
      limitOf(() =>
        renderNodeParams(
          { kind: 'api_call', execution: 'activity', params: { url: 'https://x.test', headers: many } },
          scope({ s: 'x'.repeat(MB) }),
        ),
      ).limit,
    ).toBe('maxRenderedBytes');
  });

  test("one step's templates share one operation budget", () => {
    const meter = new EvaluationMeter({ ...EVALUATION_LIMITS, maxOperations: 800 });
    const s = scope({ l: range(100) });
    expect(renderValue({ a: '{{ inputs.l.map(x, x) }}' }, s, { meter })).toEqual({ a: range(100) });
    const spent = meter.spent;
    expect(spent).toBeGreaterThan(300);
    expect(
      limitOf(() =>
        renderValue({ a: '{{ inputs.l.map(x, x) }}', b: '{{ inputs.l.map(x, x) }}' }, s, { meter }),
      ).limit,
    ).toBe('maxOperations');
  });
});

describe('ordinary expressions are unaffected', () => {
  const s = scope({ doc: 'word '.repeat(100_000), l: range(10_000), name: 'Ada' });

  test('results are the same as without a meter', () => {
    expect(evaluateExpression('steps.a.output.items.map(x, x * 10)', s)).toEqual([10, 20, 30]);
    expect(evaluateExpression("steps.a.output.name + ' Lovelace'", s)).toBe('Ada Lovelace');
    expect(evaluateExpression('inputs.l.filter(x, x % 1000 == 0)', s)).toEqual(
      range(10).map((i) => i * 1000),
    );
    expect(evaluateExpression('inputs.l.exists(x, x == 9999)', s)).toBe(true);
    expect(evaluateExpression('inputs.l.all(x, x >= 0) && params.n == 2', s)).toBe(true);
    expect(evaluateExpression('cel.bind(n, size(inputs.l), n * 2)', s)).toBe(20_000);
    expect(renderTemplate('Hello {{ inputs.name }}, {{ steps.a.output.items }}!', s)).toBe(
      'Hello Ada, [1,2,3]!',
    );
  });

  test('a 500 KB document is read, searched and passed on; a 10,000-item list is mapped', () => {
    expect(evaluateExpression("inputs.doc.contains('word') && size(inputs.doc) == 500000", s)).toBe(true);
    expect(evaluateExpression('inputs.doc', s)).toHaveLength(500_000);
    expect(renderTemplate('{{ inputs.doc }}', s)).toHaveLength(500_000);
    expect(evaluateExpression('inputs.l.map(x, x + 1).size()', s)).toBe(10_000);
  });

  test('the meter counts work: a map over n items costs a few operations per item', () => {
    const meter = new EvaluationMeter();
    evaluateExpression('inputs.l.map(x, x + 1).size()', s, meter);
    expect(meter.spent).toBeGreaterThan(10_000 * 4);
    expect(meter.spent).toBeLessThan(10_000 * 8);
  });

  test('errors other than limits stay ExpressionErrors', () => {
    expect(() => evaluateExpression('steps.a.output.missing', s)).toThrow(ExpressionError);
    expect(() => evaluateExpression('steps.a.output.missing', s)).not.toThrow(EvaluationLimitError);
  });
});

describe('weighing', () => {
  test('UTF-8 bytes, and JSON-like weights of lists and maps', () => {
    expect(utf8Bytes('abc')).toBe(3);
    expect(utf8Bytes('é€😀')).toBe(2 + 3 + 4);
    expect(weigh('abc')).toBe(5);
    expect(weigh([1, 'ab'])).toBe(2 + 8 + 1 + 4 + 1);
    expect(weigh({ ab: 1 })).toBe(2 + 2 + 4 + 8);
  });

  test('weighing stops early past its bound', () => {
    expect(weigh(range(1_000_000), 100)).toBeGreaterThan(100);
    expect(weigh(range(1_000_000), 100)).toBeLessThan(200);
  });
});

describe('cost at the limit (logged, not asserted: unit tests make no timing claims)', () => {
  test('how long an evaluation takes to spend its whole budget', () => {
    const s = scope({ big: range(900_000), s: 'x'.repeat(MB), l: range(2000) });
    // Converting the inputs for CEL happens once per scope; time only the evaluation.
    evaluateExpression('size(inputs.big) + size(inputs.l)', s);
    const rows: string[] = [];
    for (const source of [
      'inputs.big.exists(x, x < 0)',
      'inputs.l.exists(x, inputs.s.lowerAscii() == "")',
      'inputs.l.map(x, inputs.s)',
    ]) {
      const started = performance.now();
      const err = limitOf(() => evaluateExpression(source, s));
      rows.push(`${source}: ${err.limit} after ${(performance.now() - started).toFixed(1)} ms`);
    }
    console.log(`evaluation limits reached:\n${rows.join('\n')}`);
  });
});
