/**
 * The `map` node kind in the model: `item` and `index` in expressions and templates, what the
 * compiler checks and plans for a map step (its per-item step or saved pipeline), how a map plan
 * packs, and the builder's map().
 */
import { checkExpression, evaluateExpression, type ExpressionScope } from '../../../src/pipeline/expressions';
import { ExpressionError } from '../../../src/pipeline/errors';
import { mapItemScope } from '../../../src/pipeline/mapItems';
import { collectReferences } from '../../../src/pipeline/references';
import { renderNodeParams, renderValue } from '../../../src/pipeline/templates';
import { celEnvironment } from '../../../src/pipeline/expressionRules';

const runScope: ExpressionScope = {
  steps: { fetch: { status: 'completed', output: { body: { documents: [{ text: 'a' }] } } } },
  params: { audience: 'engineers' },
  inputs: {},
};
const itemScope = mapItemScope(
  { steps: { fetch: runScope.steps.fetch! }, params: runScope.params, inputs: runScope.inputs },
  { text: 'The doc', tags: ['x', 'y'], n: 2 },
  4,
);

describe('item and index in expressions', () => {
  test('free uses of item and index are collected apart from unknown variables; macro-bound ones are not', () => {
    const refs = collectReferences(celEnvironment().parse('item.text + string(index) + nope').ast);
    expect(refs.item.map((r) => r.name)).toEqual(['item', 'index']);
    expect(refs.unknownVariables.map((r) => r.name)).toEqual(['nope']);
    const bound = collectReferences(celEnvironment().parse('[1, 2].map(item, item * 2)').ast);
    expect(bound.item).toEqual([]);
    expect(bound.shadowing).toEqual([]);
  });

  test('checkExpression accepts item (dyn) and index (int) and type-checks index as an int', () => {
    expect(checkExpression('item.text')).toMatchObject({ ok: true, resultType: 'dyn' });
    expect(checkExpression('index + 1')).toMatchObject({ ok: true, resultType: 'int' });
    expect(checkExpression("index + 'a'")).toMatchObject({
      ok: false,
      issues: [{ code: 'invalid_expression' }],
    });
    expect(checkExpression('[1, 2].map(item, item * 2)')).toMatchObject({ ok: true });
  });

  test('evaluation reads the scope’s item and index: index is a number, a whole template keeps the type', () => {
    expect(evaluateExpression('index + 1', itemScope)).toBe(5);
    expect(evaluateExpression("item.text + ' for ' + params.audience", itemScope)).toBe(
      'The doc for engineers',
    );
    expect(evaluateExpression('item.n * 1.5', itemScope)).toBe(3);
    expect(evaluateExpression('size(steps.fetch.output.body.documents) + index', itemScope)).toBe(5);
    expect(renderValue('{{ item }}', itemScope)).toEqual({ text: 'The doc', tags: ['x', 'y'], n: 2 });
    expect(renderValue('{{ index + 1 }}', itemScope)).toBe(5);
    expect(renderValue('#{{ index }}: {{ item.tags }}', itemScope)).toBe('#4: ["x","y"]');
    expect(evaluateExpression('item', { ...runScope, item: null, index: 0 })).toBeNull();
  });

  test('renderNodeParams renders an item step’s params in an item scope', () => {
    const node = {
      kind: 'llm' as const,
      execution: 'activity' as const,
      params: { prompt: 'Summarise: {{ item.text }} ({{ index }})', max_tokens: '{{ index * 100 }}' },
    };
    expect(renderNodeParams(node, itemScope)).toEqual({ prompt: 'Summarise: The doc (4)', max_tokens: 400 });
  });

  test('reading item or index in a scope without them throws an ExpressionError that says where they exist', () => {
    expect(() => evaluateExpression('item.text', runScope)).toThrow(ExpressionError);
    expect(() => evaluateExpression('item.text', runScope)).toThrow(
      "'item' is defined only in a map step's per-item templates",
    );
    expect(() => renderValue('{{ index }}', runScope)).toThrow("'index' is defined only in a map step's");
    expect(evaluateExpression('[1, 2].map(item, item * 2)', runScope)).toEqual([2, 4]);
  });
});
