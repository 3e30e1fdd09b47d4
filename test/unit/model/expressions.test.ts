import {
  checkExpression,
  evaluateCondition,
  evaluateExpression,
  EXPRESSION_LIMITS,
  type ExpressionScope,
} from '../../../src/model/expressions/expressions';
import { ExpressionError } from '../../../src/model/definition/errors';

const scope = (overrides: Partial<ExpressionScope> = {}): ExpressionScope => ({
  steps: {
    a: {
      status: 'completed',
      output: { status: 'healthy', n: 2, price: 2.5, items: [1, 2, 3], nested: { k: 'v' } },
      error: null,
      attempts: 1,
    },
    deploy: { status: 'failed', output: null, error: 'HTTP 502', attempts: 3 },
  },
  params: { replicas: 3, ratio: 0.5, env: 'prod' },
  inputs: { who: 'Ada' },
  ...overrides,
});

describe('evaluateExpression: JSON ⇄ CEL numbers', () => {
  test('JSON integers are CEL ints, so int arithmetic and comparisons work and come back as numbers', () => {
    expect(evaluateExpression('steps.a.output.n + 1', scope())).toBe(3);
    expect(evaluateExpression("steps.a.output.status == 'healthy' && params.replicas > 2", scope())).toBe(
      true,
    );
    expect(evaluateExpression('size(inputs.who) * params.replicas', scope())).toBe(9);
    expect(evaluateExpression('7 / 2', scope())).toBe(3); // int division
  });

  test('doubles stay doubles; int ⊕ double arithmetic yields a double', () => {
    expect(evaluateExpression('steps.a.output.price * 2', scope())).toBe(5);
    expect(evaluateExpression('steps.a.output.n * 1.5', scope())).toBe(3);
    expect(evaluateExpression('params.ratio + params.replicas', scope())).toBe(3.5);
    expect(evaluateExpression('params.replicas / 2.0', scope())).toBe(1.5);
  });

  test('lists and maps come back as plain JSON', () => {
    expect(evaluateExpression('steps.a.output.items.map(x, x * 10)', scope())).toEqual([10, 20, 30]);
    const map = evaluateExpression("{'count': size(steps.a.output.items), 'who': inputs.who}", scope());
    expect(map).toEqual({ count: 3, who: 'Ada' });
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(evaluateExpression('steps.a.output.nested', scope())).toEqual({ k: 'v' });
  });

  test('timestamps become ISO strings; bytes and out-of-range ints are errors, not silent corruption', () => {
    expect(evaluateExpression('timestamp("2024-01-02T03:04:05Z")', scope())).toBe('2024-01-02T03:04:05.000Z');
    expect(() => evaluateExpression('b"x"', scope())).toThrow(/bytes cannot be represented/);
    expect(() => evaluateExpression('9007199254740993', scope())).toThrow(/cannot be represented exactly/);
  });

  test('__proto__, constructor and prototype keys are data: read, passed on and returned as own keys', () => {
    const data = JSON.parse(
      '{"__proto__": {"admin": true}, "constructor": "Ferrari", "prototype": 2, "ok": 1}',
    ) as unknown;
    const s = scope({ steps: { p: { status: 'completed', output: data } } });
    const result = evaluateExpression('steps.p.output', s) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(['__proto__', 'constructor', 'prototype', 'ok']);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(JSON.stringify(result)).toBe(
      '{"__proto__":{"admin":true},"constructor":"Ferrari","prototype":2,"ok":1}',
    );
    expect(evaluateExpression('steps.p.output.ok + size(steps.p.output)', s)).toBe(5);
    expect(evaluateExpression("'constructor' in steps.p.output", s)).toBe(true);
    expect(evaluateExpression('steps.p.output.map(k, k)', s)).toEqual([
      '__proto__',
      'constructor',
      'prototype',
      'ok',
    ]);
    expect(evaluateExpression("{'a': steps.p.output}", s)).toEqual({ a: data });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(checkExpression('steps.p.output.constructor')).toMatchObject({ ok: false });
  });
});

describe('evaluateExpression: the steps scope', () => {
  test('status, error and attempts are readable; a step not in scope reads as pending with null output', () => {
    expect(evaluateExpression("steps.deploy.status == 'failed'", scope())).toBe(true);
    expect(evaluateExpression('steps.deploy.error', scope())).toBe('HTTP 502');
    expect(evaluateExpression('steps.deploy.attempts', scope())).toBe(3);
    expect(evaluateExpression('steps.later.status', scope())).toBe('pending');
    expect(evaluateExpression('steps.later.output == null', scope())).toBe(true);
  });

  test('runtime failures are ExpressionErrors that quote the expression and say why', () => {
    const error = (() => {
      try {
        evaluateExpression('steps.a.output.missing', scope());
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).code).toBe('expression_error');
    expect((error as ExpressionError).message).toMatch(/steps\.a\.output\.missing.*No such key: missing/);
    expect(() => evaluateExpression('1 / 0', scope())).toThrow(/division by zero/);
  });

  test('conversion of a scope is memoised per scope object (a new scope object sees new values)', () => {
    const first = scope();
    expect(evaluateExpression('params.replicas', first)).toBe(3);
    expect(evaluateExpression('params.replicas', { ...first, params: { replicas: 5 } })).toBe(5);
  });
});

describe('evaluateCondition', () => {
  test('returns the bool', () => {
    expect(evaluateCondition("params.env == 'prod'", scope())).toBe(true);
    expect(evaluateCondition("params.env == 'dev'", scope())).toBe(false);
  });

  test('a non-bool result is an error', () => {
    expect(() => evaluateCondition('steps.a.output.n', scope())).toThrow(
      /must evaluate to a bool, got number/,
    );
    expect(() => evaluateCondition('steps.a.output.nested', scope())).toThrow(ExpressionError);
  });
});

describe('checkExpression', () => {
  test('reports references and the result type', () => {
    const check = checkExpression(
      "steps.a.output.status == 'ok' && params.replicas > inputs.min && steps.b.status != 'failed'",
    );
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.resultType).toBe('bool');
    expect(check.references.steps.map((r) => [r.stepId, r.field, r.outputField])).toEqual([
      ['a', 'output', 'status'],
      ['b', 'status', undefined],
    ]);
    expect(check.references.params.map((r) => r.name)).toEqual(['replicas']);
    expect(check.references.inputs.map((r) => r.name)).toEqual(['min']);
  });

  test('macro variables and cel.bind are scoped, not unknown variables', () => {
    const check = checkExpression(
      'steps.a.output.items.exists(item, item.ok) && cel.bind(t, params.n, t * t > 4)',
    );
    expect(check).toMatchObject({ ok: true });
  });

  test('a literal index is a step reference too', () => {
    const check = checkExpression("steps['fetch'].output.body");
    expect(check.ok && check.references.steps[0]).toMatchObject({
      stepId: 'fetch',
      field: 'output',
      outputField: 'body',
    });
  });

  test('a type error is found before evaluation', () => {
    expect(checkExpression('"a" - 1')).toMatchObject({ ok: false, issues: [{ code: 'invalid_expression' }] });
  });

  // Hostile input: each is a structured issue at compile time (never executed), and fast.
  const hostile: [string, string, RegExp][] = [
    ['steps.__proto__', 'invalid_expression', /__proto__/],
    ["''.constructor", 'invalid_expression', /constructor/],
    ['steps.a.output.prototype', 'invalid_expression', /prototype/],
    ["steps.a.output['__proto__']", 'invalid_expression', /__proto__/],
    ["{'__proto__': {'admin': true}}", 'invalid_expression', /__proto__/],
    ['exec("rm -rf /")', 'invalid_expression', /Unknown function exec/],
    ['inputs.who.shout()', 'invalid_expression', /Unknown method \.shout/],
    ["inputs.who.matches('^(a+)+$')", 'invalid_expression', /matches\(\) is not allowed/],
    [
      'steps.a.output.items.map(x, steps.a.output.items.filter(y, y > x))',
      'invalid_expression',
      /inside another macro/,
    ],
    ['cel.bind(a, "xx", cel.bind(b, a + a, b + b))', 'invalid_expression', /inside another macro/],
    ['('.repeat(100) + '1' + ')'.repeat(100), 'invalid_expression', /maxDepth/],
    ['1' + ' + 1'.repeat(EXPRESSION_LIMITS.maxSourceLength), 'invalid_expression', /limit is 4096/],
    [
      Array.from({ length: 300 }, (_, i) => `params.p${i}`).join('+'),
      'invalid_expression',
      /maxAstNodes|maxDepth/,
    ],
    ['steps[params.which].output', 'invalid_expression', /literal step id/],
    ['size(steps)', 'invalid_expression', /literal step id/],
    ['process.exit(1)', 'unknown_variable', /Unknown variable 'process'/],
    ['value > 100', 'unknown_variable', /Unknown variable 'value'/],
    ['secrets.API_KEY', 'invalid_secret_reference', /Secrets cannot be used inside expressions/],
    [
      'steps.a.output.items.map(steps, steps)',
      'invalid_expression',
      /'steps' cannot be used as a macro variable/,
    ],
    ['steps.a.output +', 'invalid_expression', /Invalid expression/],
    ['{{ steps.a.output }}', 'invalid_expression', /not templates/],
    ['', 'invalid_expression', /empty/],
  ];
  test.each(hostile)('%s → %s', (source, code, message) => {
    const started = performance.now();
    const check = checkExpression(source);
    expect(performance.now() - started).toBeLessThan(250);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ code, message: expect.stringMatching(message) })]),
    );
    // Evaluating it anyway (a hand-written plan) refuses with the same reason instead of running it.
    expect(() => evaluateExpression(source, scope())).toThrow(ExpressionError);
  });

  test('more than the allowed number of macros is rejected', () => {
    const many = Array.from(
      { length: EXPRESSION_LIMITS.maxMacros + 1 },
      () => 'steps.a.output.items.exists(x, x > 1)',
    ).join(' && ');
    expect(checkExpression(many)).toMatchObject({
      ok: false,
      issues: [{ message: expect.stringMatching(/the limit is 4/) }],
    });
    const allowed = Array.from(
      { length: EXPRESSION_LIMITS.maxMacros },
      () => 'steps.a.output.items.exists(x, x > 1)',
    ).join(' && ');
    expect(checkExpression(allowed).ok).toBe(true);
  });

  test('chained (not nested) macros are fine', () => {
    expect(evaluateExpression('steps.a.output.items.filter(x, x > 1).map(x, x * 2)', scope())).toEqual([
      4, 6,
    ]);
  });
});
