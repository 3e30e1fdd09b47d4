/**
 * Property-based fuzzing (issue 6 item 5): hostile definitions, templates and CEL expressions
 * never crash or hang the compiler, the template parser or the expression evaluator; every
 * rejection is structured. Seeds are fixed so a failure reproduces; runs are bounded.
 */
import fc from 'fast-check';
import { compile, MAX_DOCUMENT_DEPTH } from '../../../src/model/compiler/compiler';
import { ExpressionError } from '../../../src/model/definition/errors';
import {
  checkExpression,
  evaluateExpression,
  EXPRESSION_LIMITS,
  type ExpressionScope,
} from '../../../src/model/expressions/expressions';
import type { PipelineIssueCode } from '../../../src/model/definition/issues';
import {
  checkTemplate,
  escapeTemplateText,
  parseTemplate,
  renderTemplate,
} from '../../../src/model/expressions/templates';

/** Every code of the `PipelineIssueCode` union; `satisfies` keeps this list in step with the type. */
const CODES = {
  invalid_document: true,
  duplicate_id: true,
  unknown_action: true,
  invalid_params: true,
  unknown_step: true,
  unknown_field: true,
  unknown_param: true,
  unknown_input: true,
  unknown_variable: true,
  cycle: true,
  self_dependency: true,
  invalid_branch_target: true,
  invalid_template: true,
  invalid_expression: true,
  invalid_secret_reference: true,
  invalid_retry: true,
  invalid_budget: true,
  duplicate_name: true,
  ignored_setting: true,
  missing_param: true,
  missing_input: true,
  invalid_type: true,
  unsaved_changes: true,
  too_large: true,
  invalid_cron: true,
  invalid_schedule: true,
} satisfies Record<PipelineIssueCode, true>;
const KNOWN_CODES = new Set<string>(Object.keys(CODES));

/**
 * Fixed seeds and bounded runs by default; FUZZ_SCALE=20 FUZZ_SEED=7 npx jest … fuzz searches
 * further (a failure prints the seed and path to reproduce it).
 */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SEED_OFFSET = Number(process.env.FUZZ_SEED ?? 0);
const RUNS = 300;
const params = (seed: number, numRuns = RUNS) => ({
  seed: seed + SEED_OFFSET,
  numRuns: Math.ceil(numRuns * SCALE),
  endOnFailure: true,
});

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** compile() returns a well-formed result whatever the document. */
function expectStructured(document: unknown): void {
  const result = compile(document);
  if (result.ok) {
    expect(Array.isArray(result.plan.nodes)).toBe(true);
    return;
  }
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(Array.isArray(issue.path)).toBe(true);
    // The one issue about the document as a whole (it is not a plain object) is located at the root.
    if (issue.path.length === 0) {
      expect(isRecord(document) && !(document instanceof Map || document instanceof Set)).toBe(false);
      expect(issue.code).toBe('invalid_document');
    }
    for (const segment of issue.path) expect(['string', 'number']).toContain(typeof segment);
    expect(KNOWN_CODES.has(issue.code)).toBe(true);
    expect(typeof issue.message).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
  }
  for (const warning of result.warnings) expect(KNOWN_CODES.has(warning.code)).toBe(true);
}

// ---------------------------------------------------------------------------------------------
// Definitions

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const ACTIONS = ['transform', 'log', 'condition', 'output', 'input', 'llm', 'api_call', 'delay', 'nope'];

const stepId = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'd', 'e', ...HOSTILE_KEYS),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/),
);

const hostileString = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '{{',
    '}}',
    '{{ }}',
    '{{ steps.a.output }}',
    '{{ steps.__proto__.output }}',
    '{{ secrets.KEY }}',
    '{{ secrets.KEY + 1 }}',
    "{{ '}}' }}",
    '{{ params.x }}',
    '{{ inputs.x }}',
    'steps.a.output.map(x, x.map(y, y))',
    '1 +',
    '"unterminated',
    'x'.repeat(5000),
    '{'.repeat(200),
    '('.repeat(100) + '1' + ')'.repeat(100),
  ),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

/** A roughly valid step, then perturbed by the mutators below. */
const validStep = fc.record(
  {
    id: stepId,
    action: fc.constantFrom(...ACTIONS),
    params: fc.dictionary(
      fc.constantFrom(
        'expression',
        'value',
        'message',
        'condition',
        'on_true',
        'name',
        'prompt',
        ...HOSTILE_KEYS,
      ),
      fc.oneof(hostileString, fc.jsonValue({ maxDepth: 2 })),
      { maxKeys: 3 },
    ),
    depends_on: fc.array(stepId, { maxLength: 3 }),
    condition: hostileString,
    timeout: fc.oneof(fc.constantFrom('1s', '500ms', '-1s', '0s', '5x'), fc.double()),
    retry: fc.record(
      {
        max_attempts: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double()),
        initial_interval: fc.constantFrom('1s', '0s', '10m', 0, -1),
        max_interval: fc.constantFrom('1ms', '1h', 5),
        backoff_multiplier: fc.double(),
        non_retryable_errors: fc.array(fc.string(), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
    allow_failure: fc.oneof(fc.boolean(), fc.string()),
  },
  { requiredKeys: ['id', 'action'] },
);

const validDocument = fc.record(
  {
    name: fc.string({ maxLength: 10 }),
    fail_fast: fc.boolean(),
    params: fc.dictionary(
      fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...HOSTILE_KEYS)),
      fc.record(
        {
          type: fc.constantFrom('string', 'number', 'integer', 'boolean', 'object', 'array', 'any', 'date'),
          required: fc.boolean(),
          default: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      ),
      { maxKeys: 3 },
    ),
    steps: fc.array(validStep, { minLength: 1, maxLength: 6 }),
  },
  { requiredKeys: ['steps'] },
);

/** A document that compiles: transform, log and condition steps reading earlier steps. */
const wellFormedDocument = fc
  .array(
    fc.record({
      kind: fc.constantFrom('transform', 'template', 'log', 'condition'),
      deps: fc.array(fc.nat(), { maxLength: 2 }),
      n: fc.integer({ min: -100, max: 100 }),
      text: fc.string({ maxLength: 8 }).map(escapeTemplateText),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((specs) => ({
    name: 'fuzz',
    steps: specs.map((spec, i) => {
      const deps = i === 0 ? [] : [...new Set(spec.deps.map((d) => `s${d % i}`))];
      const sum = [...deps.map((d) => `int(steps.${d}.output)`), String(spec.n)].join(' + ');
      const id = `s${i}`;
      switch (spec.kind) {
        case 'transform':
          return { id, action: 'transform', params: { expression: sum } };
        case 'template':
          return { id, action: 'transform', params: { value: `${spec.text}{{ ${sum} }}` }, depends_on: deps };
        case 'log':
          return { id, action: 'log', params: { message: `${spec.text} {{ ${sum} }}` } };
        default:
          return { id, action: 'condition', params: { condition: `${sum} > 0` } };
      }
    }),
  }));

type Mutation = (doc: Record<string, unknown>, pick: number, junk: unknown) => unknown;

const at = <T>(list: T[], pick: number): T | undefined =>
  list.length ? list[pick % list.length] : undefined;

const MUTATIONS: Mutation[] = [
  // Drop a field of the document or of a step.
  (doc, pick) => {
    const step = at(doc.steps as Record<string, unknown>[], pick);
    const target = isRecord(step) && pick % 2 ? step : doc;
    const key = at(Object.keys(target), pick);
    if (key !== undefined) delete target[key];
    return doc;
  },
  // Duplicate a step.
  (doc, pick) => {
    const steps = doc.steps as unknown[];
    const step = at(steps, pick);
    if (step !== undefined) steps.push(structuredClone(step));
    return doc;
  },
  // Rename a field to a near miss or a prototype key.
  (doc, pick) => {
    const step = at(doc.steps as Record<string, unknown>[], pick);
    const target = isRecord(step) ? step : doc;
    const key = at(Object.keys(target), pick);
    if (key === undefined) return doc;
    const renamed = at([`${key}s`, key.toUpperCase(), ...HOSTILE_KEYS], pick)!;
    Object.defineProperty(target, renamed, {
      value: target[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
    delete target[key];
    return doc;
  },
  // Replace a field with a value of the wrong type.
  (doc, pick, junk) => {
    const step = at(doc.steps as Record<string, unknown>[], pick);
    const target = isRecord(step) && pick % 3 ? step : doc;
    const key = at(Object.keys(target), pick) ?? 'steps';
    target[key] = junk;
    return doc;
  },
  // A cycle: every step depends on the next.
  (doc) => {
    const steps = doc.steps as Record<string, unknown>[];
    steps.forEach((s, i) => {
      if (isRecord(s)) s.depends_on = [(steps[(i + 1) % steps.length] as { id?: unknown })?.id ?? 'a'];
    });
    return doc;
  },
  // An unknown action.
  (doc, pick) => {
    const step = at(doc.steps as Record<string, unknown>[], pick);
    if (isRecord(step)) step.action = at(['llmm', 'Transform', '', 'x'.repeat(500), ...HOSTILE_KEYS], pick);
    return doc;
  },
  // A huge string.
  (doc, pick) => {
    const step = at(doc.steps as Record<string, unknown>[], pick);
    if (isRecord(step))
      step.params = { value: '{{ 1 }}' + 'x'.repeat(100_000), expression: 'a'.repeat(10_000) };
    return doc;
  },
  // Deep nesting in params.
  (doc, pick) => {
    let deep: unknown = '{{ steps.a.output }}';
    for (let i = 0; i < 40 + (pick % 100); i++) deep = pick % 2 ? [deep] : { k: deep };
    const step = at(doc.steps as Record<string, unknown>[], pick);
    if (isRecord(step)) step.params = { value: deep };
    return doc;
  },
  // Prototype keys as own properties (as JSON.parse produces them).
  (doc, pick) => {
    const step = at(doc.steps as Record<string, unknown>[], pick);
    const polluted = JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}, "id": "p", "action": "transform"}',
    ) as Record<string, unknown>;
    if (pick % 2 && isRecord(step)) Object.assign(step, { params: polluted });
    else (doc.steps as unknown[]).push(polluted);
    return doc;
  },
  // The whole document replaced by junk, or its steps by junk.
  (doc, pick, junk) => (pick % 2 ? junk : { ...doc, steps: junk }),
];

const issuesOf = (document: unknown) => {
  const result = compile(document);
  return result.ok ? [] : result.issues;
};

describe('fuzz: compile()', () => {
  test('random JSON values never throw and give structured results', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => expectStructured(value)),
      params(1001),
    );
    fc.assert(
      fc.property(
        fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: true, withMap: true }),
        (value) => expectStructured(value),
      ),
      params(1002, 200),
    );
  });

  test('mutated definitions never throw and give structured results', () => {
    fc.assert(
      fc.property(
        fc.oneof(validDocument, wellFormedDocument),
        fc.array(fc.tuple(fc.nat(MUTATIONS.length - 1), fc.nat(), fc.jsonValue({ maxDepth: 2 })), {
          maxLength: 4,
        }),
        (doc, mutations) => {
          let current: unknown = doc;
          for (const [which, pick, junk] of mutations) {
            if (!isRecord(current) || !Array.isArray(current.steps)) break;
            current = MUTATIONS[which]!(current, pick, junk);
          }
          expectStructured(current);
        },
      ),
      params(1003),
    );
  });

  test('the well-formed generator really produces valid documents (so mutations start from valid ones)', () => {
    fc.assert(
      fc.property(wellFormedDocument, (doc) => {
        const result = compile(doc);
        expect(result.ok ? [] : result.issues).toEqual([]);
      }),
      params(1004, 200),
    );
  });

  test('regressions: hostile documents found or worth keeping', () => {
    expectStructured(JSON.parse('{"__proto__": {"steps": 1}, "steps": [{"id": "a", "action": "log"}]}'));
    expectStructured({ steps: [{ id: 'constructor', action: 'transform', params: { expression: '1' } }] });
    expectStructured({
      steps: [{ id: 'a', action: 'transform', params: { value: '{{ steps.toString.output }}' } }],
    });
    expectStructured({
      steps: [{ id: 'a', action: 'transform', depends_on: ['__proto__'], params: { expression: '1' } }],
    });
    expectStructured(Object.create(null));
    // Found by this file: params nested 2,000 arrays deep overflowed the stack in the compiler.
    let deep: unknown = '{{ steps.a.output }}';
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { k: deep };
    const issues = issuesOf({ steps: [{ id: 'b', action: 'transform', params: { value: deep } }] });
    expect(issues).toEqual([expect.objectContaining({ code: 'invalid_document' })]);
    expect(issues[0]!.path.slice(0, 4)).toEqual(['steps', 0, 'params', 'value']);
    expect(issues[0]!.path).toHaveLength(MAX_DOCUMENT_DEPTH + 1);
    // A value that contains itself (a JS caller's object) is reported, not walked forever.
    const cyclic: Record<string, unknown> = { id: 'a', action: 'transform', params: {} };
    (cyclic.params as Record<string, unknown>).self = cyclic;
    expect(issuesOf({ steps: [cyclic] })[0]!.code).toBe('invalid_document');
    // Nesting up to the limit is fine.
    let ok: unknown = 1;
    for (let i = 0; i < MAX_DOCUMENT_DEPTH - 4; i++) ok = { k: ok };
    expect(compile({ steps: [{ id: 'a', action: 'transform', params: { value: ok } }] }).ok).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Templates

const templateText = fc
  .array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom('{{', '}}', '{', '}', "'", '"', "'''", '"""', '\\', 'r', '\n', ' '),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom('steps.a.output', 'params.x', 'secrets.K', '1 + 2', "'a'", '{1: 2}'),
      },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
    ),
    { maxLength: 20 },
  )
  .map((parts) => parts.join(''));

const EMPTY_SCOPE: ExpressionScope = { steps: {}, params: {}, inputs: {} };

describe('fuzz: templates', () => {
  test('parseTemplate and checkTemplate never throw: they parse or give a message', () => {
    fc.assert(
      fc.property(templateText, (text) => {
        const parsed = parseTemplate(text);
        if (!parsed.ok) expect(parsed.message.length).toBeGreaterThan(0);
        const checked = checkTemplate(text);
        expect(checked.ok).toBe(parsed.ok);
        if (!checked.ok) expect(checked.message.length).toBeGreaterThan(0);
        else for (const e of checked.expressions) if (!e.ok) expect(e.issues.length).toBeGreaterThan(0);
      }),
      params(2001, 500),
    );
  });

  test('escapeTemplateText(x) renders back to x with an empty scope', () => {
    const roundTrip = (text: string) => {
      const escaped = escapeTemplateText(text);
      const rendered = renderTemplate(escaped, EMPTY_SCOPE);
      // Text without template syntax is not a template: rendering it gives it back as it is.
      expect(rendered).toBe(text);
    };
    fc.assert(fc.property(templateText, roundTrip), params(2002, 500));
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), roundTrip), params(2003));
    // Escaped text stays itself next to a template, as the builder's template`…` composes it.
    fc.assert(
      fc.property(templateText, templateText, (before, after) => {
        fc.pre((before + after).trim() !== '');
        const composed = `${escapeTemplateText(before)}{{ 'X' }}${escapeTemplateText(after)}`;
        expect(renderTemplate(composed, EMPTY_SCOPE)).toBe(`${before}X${after}`);
      }),
      params(2004, 500),
    );
    expect(renderTemplate(`${escapeTemplateText('i<{')}{{ 1 }}`, EMPTY_SCOPE)).toBe('i<{1');
    // Found by this file: `{}}` escaped to an unclosed template, ` {{ ` rendered as `{{`, and a
    // trailing `{` joined the template after it (the last one below).
    for (const text of [
      '',
      '{{',
      '}}',
      '{{}}',
      '}}{{',
      '{{{',
      '}}}',
      ' {{ ',
      "'{{'",
      '{{ x }}',
      '{}}',
      'a{}}b',
      '{{{}}',
    ])
      roundTrip(text);
    for (const text of [
      ' {{',
      '}} ',
      '\t{{\n',
      '\u00a0}}\u2028',
      '\u000b{{\ufeff',
      ' \u3000}}\r\n',
      '\n{',
      ' { ',
    ])
      roundTrip(text);
  });
});

// ---------------------------------------------------------------------------------------------
// Expressions

const SCOPE: ExpressionScope = {
  steps: {
    a: { status: 'completed', output: { n: 2, s: 'héllo', items: [1, 2, 3], m: { k: 'v' }, f: 1.5 } },
    b: { status: 'failed', output: null, error: 'boom', attempts: 3 },
  },
  params: { x: 3, name: 'Ada', list: ['p', 'q'] },
  inputs: { who: 'Ada', n: 0 },
};

const celExpression: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      '1',
      '0',
      '-1',
      '2.5',
      'true',
      'null',
      "'s'",
      '"\\u00e9"',
      "b'x'",
      '9223372036854775807',
      '[1, 2, 3]',
      "{'k': 1}",
      'steps.a.output.n',
      'steps.a.output.items',
      'steps.a.output.s',
      'steps.a.output.m',
      'steps.b.status',
      'steps.b.error',
      'steps.zz.output',
      'params.x',
      'params.list',
      'inputs.who',
      'inputs.n',
      'x',
      'steps.a.output.__proto__',
      'steps.a.output.constructor',
    ),
    fc
      .tuple(
        tie('expr'),
        fc.constantFrom('+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=', '&&', '||', 'in'),
        tie('expr'),
      )
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(fc.constantFrom('!', '-'), tie('expr')).map(([op, a]) => `${op}(${a})`),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    fc
      .tuple(fc.constantFrom('size', 'string', 'int', 'double', 'type', 'has', 'matches', 'dyn'), tie('expr'))
      .map(([f, a]) => (f === 'has' ? `has(${a}.k)` : `${f}(${a})`)),
    fc
      .tuple(tie('expr'), fc.constantFrom('map', 'filter', 'all', 'exists', 'exists_one'), tie('expr'))
      .map(([list, macro, body]) => `${list}.${macro}(v, ${body.replace(/params\.x/g, 'v')})`),
    fc
      .tuple(tie('expr'), fc.constantFrom('contains', 'startsWith', 'endsWith', 'size'), tie('expr'))
      .map(([a, m, b]) => (m === 'size' ? `${a}.size()` : `${a}.${m}(${b})`)),
    fc.tuple(tie('expr'), tie('expr')).map(([a, i]) => `${a}[${i}]`),
    fc.array(tie('expr'), { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
    fc.tuple(tie('expr'), tie('expr')).map(([k, v]) => `{${k}: ${v}}`),
    fc.tuple(tie('expr')).map(([a]) => `cel.bind(t, ${a}, t)`),
  ),
})).expr;

const mutate = (source: string, ops: [number, number, string][]): string => {
  let s = source;
  for (const [op, pos, text] of ops) {
    const i = s.length ? pos % (s.length + 1) : 0;
    if (op === 0)
      s = s.slice(0, i) + text + s.slice(i); // insert
    else if (op === 1)
      s = s.slice(0, i) + s.slice(i + 1 + (pos % 5)); // delete
    else if (op === 2) s = s.slice(0, i) + text + s.slice(i + text.length); // overwrite
  }
  return s;
};

const mutatedExpression = fc
  .tuple(
    celExpression,
    fc.array(
      fc.tuple(
        fc.nat(2),
        fc.nat(),
        fc.oneof(
          fc.constantFrom('(', ')', '[', ']', '{', '}', "'", '"', '.', ',', '?', ':', '\\'),
          fc.string(),
        ),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([source, ops]) => mutate(source, ops));

/** Sources built to hit the limits: deep nesting, long strings and lists, many and nested macros. */
const hostileExpression = fc.oneof(
  fc.nat(300).map((n) => '('.repeat(n) + '1' + ')'.repeat(n)),
  fc.nat(300).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.nat(200).map((n) => '-'.repeat(n) + '1'),
  fc.nat(200).map((n) => '!'.repeat(n) + 'true'),
  fc.nat(300).map((n) => Array.from({ length: n }, () => '1').join(' + ')),
  fc.nat(300).map((n) => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`),
  fc.nat(6000).map((n) => `'${'x'.repeat(n)}'`),
  fc
    .integer({ min: 1, max: 12 })
    .map((n) => Array.from({ length: n }, () => 'steps.a.output.items.map(v, v * 2)').join(' + ')),
  fc.integer({ min: 1, max: 8 }).map((n) => {
    let s = 'v';
    for (let i = 0; i < n; i++) s = `[1, 2, 3].map(v, ${s})`;
    return s;
  }),
  fc.integer({ min: 1, max: 40 }).map((n) => 'steps.a.output' + '.m'.repeat(n)),
  fc.integer({ min: 1, max: 20 }).map((n) => `${'size('.repeat(n)}'x'${')'.repeat(n)}`),
  fc.constantFrom(
    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'.matches('^(a+)+$')",
    'steps.a.output.items.map(x, steps.a.output.items.map(y, x * y))',
    'steps[params.name].output',
    'secrets.KEY',
    'steps.a.output.__proto__.polluted',
    "{'__proto__': 1}",
    'dyn(steps.a.output).constructor',
    '9223372036854775807 + 1',
    '-9223372036854775808 - 1',
    '1 / 0',
    '1 % 0',
    '1.0 / 0.0',
    "string(b'\\xff')",
    "timestamp('9999-99-99')",
    "duration('999999999999999h')",
    "int('99999999999999999999')",
    "'x' * 3",
    'steps.a.output.items[99]',
    'steps.a.output.items[-1]',
    '[1,2,3].map(x, x).map(y, y).map(z, z).map(w, w).map(u, u)',
    'cel.bind(a, 1, cel.bind(b, a, cel.bind(c, b, cel.bind(d, c, cel.bind(e, d, e)))))',
  ),
);

/** Checking and evaluating either succeeds or is a structured rejection / ExpressionError, quickly. */
function expectSafe(source: string): void {
  const started = performance.now();
  const check = checkExpression(source);
  if (!check.ok) {
    expect(check.issues.length).toBeGreaterThan(0);
    for (const issue of check.issues) {
      expect(KNOWN_CODES.has(issue.code)).toBe(true);
      expect(issue.message.length).toBeGreaterThan(0);
    }
  }
  try {
    evaluateExpression(source, SCOPE);
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    expect(error.message.length).toBeGreaterThan(0);
  }
  // Generous for a loaded CI machine; a hang or exponential blow-up takes far longer.
  expect(performance.now() - started).toBeLessThan(1000);
}

describe('fuzz: expressions', () => {
  test('grammar-generated expressions: checked and evaluated safely', () => {
    fc.assert(fc.property(celExpression, expectSafe), params(3001, 400));
  });

  test('mutated expressions: checked and evaluated safely', () => {
    fc.assert(fc.property(mutatedExpression, expectSafe), params(3002, 400));
  });

  test('hostile expressions: limits hold, no hang, only structured rejections', () => {
    fc.assert(fc.property(hostileExpression, expectSafe), params(3003, 300));
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), expectSafe), params(3004));
    expect(
      checkExpression(
        '('.repeat(EXPRESSION_LIMITS.maxDepth + 5) + '1' + ')'.repeat(EXPRESSION_LIMITS.maxDepth + 5),
      ).ok,
    ).toBe(false);
  });
});
