/**
 * The `map` node kind in the model: `item` and `index` in expressions and templates, what the
 * compiler checks and plans for a map step (its per-item step or saved pipeline), how a map plan
 * packs, and the builder's map().
 */
import {
  checkExpression,
  evaluateExpression,
  type ExpressionScope,
} from '../../../src/model/expressions/expressions';
import { ExpressionError } from '../../../src/model/definition/errors';
import { jsonBytes, mapItemScope } from '../../../src/model/plan/mapItems';
import { collectReferences } from '../../../src/model/expressions/references';
import { renderNodeParams, renderValue } from '../../../src/model/expressions/templates';
import { celEnvironment } from '../../../src/model/expressions/expressionRules';
import { compile, compileOrThrow } from '../../../src/model/compiler/compiler';
import { KIND_DEFAULTS } from '../../../src/model/kinds/catalog';
import { packPlan, unpackPlan } from '../../../src/model/plan/planWire';
import { ALL_PARAMS, paramsReadBy } from '../../../src/model/plan/resume';
import type { MapNode, PlanNodeFields } from '../../../src/model/plan/plan';
import type { PipelineIssue } from '../../../src/model/definition/issues';
import { z } from 'zod';
import { PipelineBuilder, Ref, template, type MapHandle } from '../../../src/model';

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

const mapDoc = (map: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  params: { audience: { type: 'string' }, style: { type: 'string' } },
  steps: [
    { id: 'fetch', action: 'api_call', params: { url: 'https://docs.test/list' } },
    { id: 'tone', action: 'transform', params: { value: 'friendly' } },
    { id: 'doc', action: 'input', params: { type: 'object' } },
    { id: 'summaries', action: 'map', params: map, ...extra },
  ],
});
const ITEMS = '{{ steps.fetch.output.body.documents }}';
const mapNodeOf = (doc: unknown, options?: Parameters<typeof compile>[1]): MapNode => {
  const node = compileOrThrow(doc, options).nodes.find((n) => n.id === 'summaries')!;
  if (node.execution !== 'map') throw new Error(`step summaries runs as ${node.execution}`);
  return node;
};
const issuesOf = (doc: unknown, options?: Parameters<typeof compile>[1]): [string, string][] => {
  const result = compile(doc, options);
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues.map((i: PipelineIssue) => [i.code, i.path.join('.')]);
};

describe('map steps at compile time: step mode', () => {
  test('an llm item step compiles to a map node with its item node; per-item templates make dependencies', () => {
    const node = mapNodeOf(
      mapDoc({
        items: ITEMS,
        concurrency: 5,
        on_item_failure: 'continue',
        step: {
          action: 'llm',
          params: {
            prompt:
              'Summarise: {{ item.text }} (document {{ index }} for {{ params.audience }}) {{ steps.tone.output }}',
            max_tokens: '{{ index + 100 }}',
          },
          retry: { max_attempts: 5 },
          timeout: '60s',
        },
      }),
    );
    expect(node).toMatchObject({
      kind: 'map',
      action: 'map',
      execution: 'map',
      dependsOn: ['fetch', 'tone'],
      trigger: 'all_completed',
      params: { items: ITEMS, concurrency: 5, on_item_failure: 'continue' },
    });
    expect(node).not.toHaveProperty('retry');
    expect(node).not.toHaveProperty('timeoutMs');
    expect(node.item).toEqual({
      id: 'summaries',
      kind: 'llm',
      action: 'llm',
      execution: 'activity',
      params: {
        provider: 'openai',
        prompt:
          'Summarise: {{ item.text }} (document {{ index }} for {{ params.audience }}) {{ steps.tone.output }}',
        max_tokens: '{{ index + 100 }}',
      },
      dependsOn: [],
      trigger: 'all_completed',
      gates: [],
      retry: expect.objectContaining({ maximumAttempts: 5, initialIntervalMs: 1000 }),
      timeoutMs: 60_000,
      allowFailure: false,
    });
  });

  test('defaults: concurrency 10, on_item_failure fail; an api_call item gets its kind’s defaults and timeout', () => {
    const node = mapNodeOf(
      mapDoc({ items: [1, 2], step: { action: 'api_call', params: { url: 'https://x.test/{{ item }}' } } }),
    );
    expect(node.params).toMatchObject({ concurrency: 10, on_item_failure: 'fail', items: [1, 2] });
    expect(node.dependsOn).toEqual([]);
    expect(node.item).toMatchObject({
      kind: 'api_call',
      execution: 'activity',
      params: { url: 'https://x.test/{{ item }}', method: 'GET', body_type: 'json' },
      retry: expect.objectContaining({ maximumAttempts: 3 }),
      timeoutMs: 30_000,
    });
  });

  test('a transform item runs inline: its expression may read item and index; retry on it is warned about', () => {
    const result = compile(
      mapDoc({
        items: [1, 2],
        step: { action: 'transform', params: { expression: 'item * 2 + index' }, timeout: '5s' },
      }),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const node: PlanNodeFields = result.plan.nodes.find((n) => n.id === 'summaries')!;
    expect(node.item).toEqual({
      id: 'summaries',
      kind: 'transform',
      action: 'transform',
      execution: 'inline',
      params: { expression: 'item * 2 + index' },
      dependsOn: [],
      trigger: 'all_completed',
      gates: [],
      allowFailure: false,
    });
    expect(result.warnings.map((w) => [w.code, w.path.join('.')])).toEqual([
      ['ignored_setting', 'steps.3.params.step.timeout'],
    ]);
  });

  test('a declared action item is validated against its params schema; its secrets are allowed', () => {
    const actions = { actions: { charge: { params: z.object({ amount: z.number() }) } } };
    const good = mapNodeOf(
      mapDoc({
        items: ITEMS,
        step: { action: 'charge', params: { amount: '{{ item.amount }}', key: '{{ secrets.PAY_KEY }}' } },
      }),
      actions,
    );
    expect(good.item).toMatchObject({
      kind: 'action',
      action: 'charge',
      execution: 'activity',
      timeoutMs: 300_000,
    });
    expect(
      issuesOf(mapDoc({ items: [1], step: { action: 'charge', params: { amount: 'ten' } } }), actions),
    ).toEqual([['invalid_params', 'steps.3.params.step.params.amount']]);
  });

  test('retry and timeout on the map step itself are ignored with a warning that points to step', () => {
    const result = compile(
      mapDoc(
        { items: [1], step: { action: 'llm', params: { prompt: 'x' } } },
        { retry: { max_attempts: 2 }, timeout: '1m' },
      ),
    );
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'ignored_setting',
        path: ['steps', 3, 'retry'],
        message: expect.stringContaining('params.step'),
      }),
      expect.objectContaining({ code: 'ignored_setting', path: ['steps', 3, 'timeout'] }),
    ]);
  });
});

describe('map steps at compile time: pipeline mode', () => {
  test('a saved pipeline per item: inputs and params may read item and index and make dependencies', () => {
    const node = mapNodeOf(
      mapDoc({
        items: '{{ inputs.doc.parts }}',
        pipeline: 'summarise-doc',
        version: 3,
        inputs: { document: '{{ item }}', position: '{{ index }}', tone: '{{ steps.tone.output }}' },
        params: { style: '{{ params.style }}' },
      }),
    );
    expect(node).toMatchObject({
      kind: 'map',
      execution: 'map',
      dependsOn: ['doc', 'tone'],
      params: {
        pipeline: 'summarise-doc',
        version: 3,
        concurrency: 10,
        on_item_failure: 'fail',
        inputs: { document: '{{ item }}' },
      },
    });
    expect(node.item).toBeUndefined();
  });

  test('secrets in a child’s inputs or an inline item step are refused (they would enter history)', () => {
    expect(issuesOf(mapDoc({ items: [1], pipeline: 'p', inputs: { key: '{{ secrets.K }}' } }))).toEqual([
      ['invalid_secret_reference', 'steps.3.params.inputs.key'],
    ]);
    expect(
      issuesOf(mapDoc({ items: [1], step: { action: 'transform', params: { value: '{{ secrets.K }}' } } })),
    ).toEqual([['invalid_secret_reference', 'steps.3.params.step.params.value']]);
  });
});

describe('map steps at compile time: refusals', () => {
  const llm = (params: Record<string, unknown>) => ({ action: 'llm', params: { prompt: 'x', ...params } });

  test('item and index anywhere but the per-item templates are unknown variables, at their exact path', () => {
    const doc = mapDoc({ items: '{{ item.list }}', step: llm({}) }, { condition: 'index > 0' });
    doc.steps.push({
      id: 'after',
      action: 'log',
      params: { message: '{{ steps.summaries.output.results }} {{ item }} {{ item.x }}' },
    });
    const result = compile(doc);
    if (result.ok) throw new Error('expected issues');
    expect(result.issues.map((i) => [i.code, i.path.join('.'), i.message])).toEqual([
      [
        'unknown_variable',
        'steps.3.params.items',
        "'item' is defined only in a map step's per-item templates (params.step.params, params.inputs, params.params).",
      ],
      ['unknown_variable', 'steps.3.condition', expect.stringContaining("'index' is defined only")],
      ['unknown_variable', 'steps.4.params.message', expect.stringContaining("'item' is defined only")],
    ]);
  });

  test('per-item templates are checked like any: syntax, unknown steps, params, inputs, self reference', () => {
    expect(issuesOf(mapDoc({ items: [1], step: llm({ prompt: '{{ item. }}' }) }))).toEqual([
      ['invalid_template', 'steps.3.params.step.params.prompt'],
    ]);
    expect(
      issuesOf(
        mapDoc({
          items: [1],
          step: llm({
            prompt: '{{ steps.nope.output }}',
            system: '{{ params.audiance }}',
            model: '{{ inputs.missing }}',
            messages: [{ role: 'user', content: '{{ steps.summaries.output }}' }],
          }),
        }),
      ),
    ).toEqual([
      ['unknown_step', 'steps.3.params.step.params.prompt'],
      ['unknown_param', 'steps.3.params.step.params.system'],
      ['unknown_input', 'steps.3.params.step.params.model'],
      ['self_dependency', 'steps.3.params.step.params.messages.0.content'],
    ]);
    expect(
      issuesOf(mapDoc({ items: [1], step: { action: 'transform', params: { expression: 'item + nope' } } })),
    ).toEqual([['unknown_variable', 'steps.3.params.step.params.expression']]);
  });

  test('an unknown item action is unknown_action at params.step.action, with a suggestion', () => {
    const result = compile(mapDoc({ items: [1], step: { action: 'lm', params: { prompt: 'x' } } }));
    if (result.ok) throw new Error('expected issues');
    expect(result.issues).toEqual([
      expect.objectContaining({
        code: 'unknown_action',
        path: ['steps', 3, 'params', 'step', 'action'],
        message: expect.stringContaining("Did you mean 'llm'?"),
      }),
    ]);
  });

  test.each(['input', 'output', 'condition', 'log', 'delay', 'wait_for_event', 'map'])(
    'a %s item step is refused at params.step.action, naming what a map can run',
    (action) => {
      const result = compile(mapDoc({ items: [1], step: { action, params: {} } }));
      if (result.ok) throw new Error('expected issues');
      expect(result.issues).toEqual([
        expect.objectContaining({
          code: 'invalid_params',
          path: ['steps', 3, 'params', 'step', 'action'],
          message: expect.stringContaining('llm, api_call, notification, transform'),
        }),
      ]);
    },
  );

  test('a pipeline item step is refused with a pointer to the map’s own pipeline param', () => {
    const result = compile(mapDoc({ items: [1], step: { action: 'pipeline', params: { pipeline: 'p' } } }));
    if (result.ok) throw new Error('expected issues');
    expect(result.issues).toEqual([
      expect.objectContaining({
        code: 'invalid_params',
        path: ['steps', 3, 'params', 'step', 'action'],
        message: expect.stringContaining('write params.pipeline'),
      }),
    ]);
  });

  test('a streaming llm item is refused, as written or as a template', () => {
    expect(issuesOf(mapDoc({ items: [1], step: llm({ stream: true }) }))).toEqual([
      ['invalid_params', 'steps.3.params.step.params.stream'],
    ]);
    expect(issuesOf(mapDoc({ items: [1], step: llm({ stream: '{{ params.style }}' }) }))).toEqual([
      ['invalid_params', 'steps.3.params.step.params.stream'],
    ]);
    expect(mapNodeOf(mapDoc({ items: [1], step: llm({ stream: false }) })).item?.params.stream).toBe(false);
  });

  test('item params are validated against the kind’s schema, tolerating templates where numbers go', () => {
    expect(
      mapNodeOf(mapDoc({ items: [1], step: llm({ temperature: '{{ item.t }}' }) })).item?.params,
    ).toMatchObject({
      temperature: '{{ item.t }}',
    });
    expect(issuesOf(mapDoc({ items: [1], step: llm({ temperature: 5, colour: 'red' }) }))).toEqual([
      ['invalid_params', 'steps.3.params.step.params.temperature'],
      ['invalid_params', 'steps.3.params.step.params.colour'],
    ]);
    expect(issuesOf(mapDoc({ items: [1], step: { action: 'llm', params: {} } }))).toEqual([
      ['invalid_params', 'steps.3.params.step.params'],
    ]);
  });

  test('the item step’s retry is checked like a step’s, at params.step.retry', () => {
    expect(
      issuesOf(
        mapDoc({ items: [1], step: { ...llm({}), retry: { initial_interval: '10s', max_interval: '1s' } } }),
      ),
    ).toEqual([['invalid_retry', 'steps.3.params.step.retry.max_interval']]);
    expect(issuesOf(mapDoc({ items: [1], step: { ...llm({}), retry: { max_attempts: 0 } } }))).toEqual([
      ['invalid_params', 'steps.3.params.step.retry.max_attempts'],
    ]);
  });

  test('params used as written (concurrency, on_item_failure, pipeline, version, step.action/retry/timeout) cannot be templates', () => {
    expect(issuesOf(mapDoc({ items: [1], concurrency: '{{ params.style }}', step: llm({}) }))).toEqual([
      ['invalid_params', 'steps.3.params.concurrency'],
    ]);
    expect(issuesOf(mapDoc({ items: [1], pipeline: '{{ params.style }}' }))).toEqual([
      ['invalid_params', 'steps.3.params.pipeline'],
    ]);
    expect(issuesOf(mapDoc({ items: [1], step: { ...llm({}), timeout: '{{ params.style }}' } }))).toEqual([
      ['invalid_params', 'steps.3.params.step.timeout'],
    ]);
  });

  test('the map’s own params: exactly one of step and pipeline, concurrency in range, items a list or template', () => {
    expect(issuesOf(mapDoc({ items: [1] }))).toEqual([['invalid_params', 'steps.3.params.step']]);
    expect(issuesOf(mapDoc({ items: [1], pipeline: 'p', step: llm({}) }))).toEqual([
      ['invalid_params', 'steps.3.params.pipeline'],
    ]);
    expect(issuesOf(mapDoc({ items: [1], concurrency: 501, step: llm({}) }))).toEqual([
      ['invalid_params', 'steps.3.params.concurrency'],
    ]);
    expect(issuesOf(mapDoc({ items: 7, step: llm({}) }))).toEqual([
      ['invalid_params', 'steps.3.params.items'],
    ]);
    expect(issuesOf(mapDoc({ items: [1], max_output_bytes: 0, step: llm({}) }))).toEqual([
      ['invalid_params', 'steps.3.params.max_output_bytes'],
    ]);
    expect(issuesOf(mapDoc({ items: [1], max_output_bytes: '{{ params.style }}', step: llm({}) }))).toEqual([
      ['invalid_params', 'steps.3.params.max_output_bytes'],
    ]);
  });
});

describe('jsonBytes: what an output weighs in a payload', () => {
  test('the UTF-8 length of the JSON text', () => {
    expect(jsonBytes({ a: 'x' })).toBe(Buffer.byteLength(JSON.stringify({ a: 'x' })));
    for (const value of ['é', '€', '😀 ok', ['ü', { k: '日本' }], null, undefined, 42]) {
      expect(jsonBytes(value)).toBe(Buffer.byteLength(JSON.stringify(value ?? null), 'utf8'));
    }
  });
});

describe('map plans', () => {
  test('pack and unpack round-trip a map plan, item node included', () => {
    const plan = compileOrThrow(
      mapDoc({
        items: ITEMS,
        step: { action: 'llm', params: { prompt: '{{ item }}' }, retry: { max_attempts: 2 } },
      }),
    );
    expect(unpackPlan(packPlan(plan, KIND_DEFAULTS))).toEqual(plan);
    expect(unpackPlan(JSON.parse(JSON.stringify(packPlan(plan, KIND_DEFAULTS))))).toEqual(plan);
  });

  test('paramsReadBy sees the params a map reads in its per-item templates (retry-from-failed reuse)', () => {
    const step = mapNodeOf(
      mapDoc({
        items: [1],
        step: { action: 'transform', params: { expression: 'params.style + string(item)' } },
      }),
    );
    expect([...paramsReadBy(step)]).toEqual(['style']);
    const child = mapNodeOf(mapDoc({ items: [1], pipeline: 'p', params: { a: '{{ params.audience }}' } }));
    expect([...paramsReadBy(child)]).toEqual(['audience']);
    const whole = mapNodeOf(
      mapDoc({ items: [1], step: { action: 'llm', params: { prompt: '{{ params }}' } } }),
    );
    expect(paramsReadBy(whole).has(ALL_PARAMS)).toBe(true);
  });
});

describe('the builder’s map()', () => {
  const base = () => {
    const p = new PipelineBuilder('summaries');
    const audience = p.param('audience', { type: 'string' });
    const fetch = p
      .add({ name: 'fetch' })
      .apiCall<{ documents: { text: string }[] }>({ url: 'https://docs.test/list' });
    return { p, audience, fetch };
  };
  const fetchStep = { id: 'fetch', action: 'api_call', params: { url: 'https://docs.test/list' } };

  test('each: an llm per item writes the document a JSON author would, and it compiles', () => {
    const { p, audience, fetch } = base();
    const summaries = p.add({ name: 'summaries' }).map<{ text: string }, string>({
      items: fetch.body.at('documents'),
      concurrency: 5,
      onItemFailure: 'continue',
      each: (item, index) => ({
        llm: {
          prompt: template`Summarise: ${item.at('text')} (document ${index} for ${audience})`,
          maxTokens: 200,
        },
        retry: { maxAttempts: 5 },
        timeout: '60s',
      }),
    });
    p.add({ name: 'out' }).output({ value: summaries.results });
    expect(p.definition.steps).toEqual([
      fetchStep,
      {
        id: 'summaries',
        action: 'map',
        params: {
          items: '{{ steps.fetch.output.body.documents }}',
          concurrency: 5,
          on_item_failure: 'continue',
          step: {
            action: 'llm',
            params: {
              prompt: 'Summarise: {{ item.text }} (document {{ index }} for {{ params.audience }})',
              max_tokens: 200,
            },
            retry: { max_attempts: 5 },
            timeout: '60s',
          },
        },
      },
      { id: 'out', action: 'output', params: { value: '{{ steps.summaries.output.results }}' } },
    ]);
    expect(summaries.errors.expression).toBe('steps.summaries.output.errors');
    expect(summaries.executionId.expression).toBe('steps.summaries.output.executionId');
    expect(summaries.output.expression).toBe('steps.summaries.output');
    const result = compile(p.definition);
    expect(
      result.ok &&
        (result.plan.nodes.find((n) => n.id === 'summaries') as PlanNodeFields | undefined)?.item?.kind,
    ).toBe('llm');
  });

  test('each: apiCall, notification, transform and a user action map to their kinds and params', () => {
    const spec = (each: Parameters<ReturnType<PipelineBuilder['add']>['map']>[0]) => {
      const p = new PipelineBuilder('x');
      p.add({ name: 'm' }).map(each);
      return (p.definition.steps[0]!.params as { step: unknown }).step;
    };
    expect(
      spec({
        items: [1, 2],
        each: (item) => ({ apiCall: { url: template`https://x.test/${item}`, bodyType: 'text' } }),
      }),
    ).toEqual({ action: 'api_call', params: { url: 'https://x.test/{{ item }}', body_type: 'text' } });
    expect(
      spec({
        items: [1],
        each: (item) => ({ notification: { channel: 'ops', message: template`${item}` } }),
      }),
    ).toEqual({
      action: 'notification',
      params: { channel: 'ops', message: '{{ item }}' },
    });
    expect(spec({ items: [1], each: () => ({ transform: { expression: 'item * 2 + index' } }) })).toEqual({
      action: 'transform',
      params: { expression: 'item * 2 + index' },
    });
    expect(
      spec({ items: [1], each: (item) => ({ action: 'charge', params: { amount: item.at('amount') } }) }),
    ).toEqual({
      action: 'charge',
      params: { amount: '{{ item.amount }}' },
    });
    expect(() => spec({ items: [1], each: () => ({}) as never })).toThrow(TypeError);
    expect(() =>
      spec({ items: [1], each: () => ({ llm: { prompt: 'a' }, transform: { expression: '1' } }) }),
    ).toThrow('exactly one of');
  });

  test('pipeline: a saved pipeline per item writes inputs and params with item and index', () => {
    const { p, audience, fetch } = base();
    const handle: MapHandle<{ summary: string }> = p
      .add({ name: 'each_doc' })
      .map<{ text: string }, { summary: string }>({
        items: fetch.body.at('documents'),
        pipeline: 'summarise-doc',
        version: 3,
        inputs: (item, index) => ({ document: item, position: index }),
        params: () => ({ style: audience }),
      });
    expect(p.definition.steps[1]).toEqual({
      id: 'each_doc',
      action: 'map',
      params: {
        items: '{{ steps.fetch.output.body.documents }}',
        pipeline: 'summarise-doc',
        version: 3,
        inputs: { document: '{{ item }}', position: '{{ index }}' },
        params: { style: '{{ params.audience }}' },
      },
    });
    expect(handle.results.expression).toBe('steps.each_doc.output.results');
    expect(compile(p.definition).ok).toBe(true);
  });

  test('types: items infers the item type; an untyped reference is accepted as a list of unknown', () => {
    const p = new PipelineBuilder('types');
    const typed = new Ref<{ text: string }[]>('steps.a.output');
    p.add({ name: 'a' }).map({
      items: typed,
      each: (item) => {
        // @ts-expect-error an item of this list has no field 'nope'
        item.at('nope');
        return { llm: { prompt: item.at('text') } };
      },
    });
    p.add({ name: 'b' }).map({
      items: new Ref('steps.a.output'),
      each: (item) => ({ llm: { prompt: template`${item}` } }),
    });
    // @ts-expect-error items must be a list (or a reference)
    p.add({ name: 'c' }).map({ items: 'text', each: () => ({ llm: { prompt: 'x' } }) });
    expect(p.nodeNames).toEqual(['a', 'b', 'c']);
  });
});
