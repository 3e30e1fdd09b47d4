/**
 * The typed builder writes the same document a JSON author would, and that document compiles.
 */
import {
  compile,
  parseTemplate,
  PipelineBuilder,
  Ref,
  renderTemplate,
  stepIdFromName,
  template,
  type ExpressionScope,
} from '../../../src/model';
import type { PlanNodeFields } from '../../../src/model/plan/plan';

const scope = (steps: Record<string, unknown>): ExpressionScope =>
  ({ steps, params: {}, inputs: {} }) as ExpressionScope;

test('the seed pipeline: input → llm → output, references become templates', () => {
  const p = new PipelineBuilder('bg_summariser');
  const inp = p.add({ name: 'input_0' }).input({ inputType: 'string' });
  const llm = p.add({ name: 'llm' }).llm({ provider: 'openai', model: 'gpt-5.1', prompt: inp.text });
  p.add({ name: 'output_0' }).output({ outputType: 'string', value: llm.response });

  expect(p.toJSON()).toEqual({
    name: 'bg_summariser',
    steps: [
      { id: 'input_0', action: 'input', params: { type: 'string' } },
      {
        id: 'llm',
        action: 'llm',
        params: { provider: 'openai', model: 'gpt-5.1', prompt: '{{ steps.input_0.output.value }}' },
      },
      {
        id: 'output_0',
        action: 'output',
        params: { type: 'string', value: '{{ steps.llm.output.response }}' },
      },
    ],
  });
  const compiled = compile(p.definition);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  // Dependencies follow from the references.
  expect(compiled.plan.nodes.map((n) => [n.id, n.dependsOn])).toEqual([
    ['input_0', []],
    ['llm', ['input_0']],
    ['output_0', ['llm']],
  ]);
});

test('add() with an existing name replaces that node in place', () => {
  const p = new PipelineBuilder('p');
  p.add({ name: 'a' }).log({ message: 'one' });
  p.add({ name: 'b' }).log({ message: 'two' });
  p.add({ name: 'a' }).log({ message: 'three', level: 'warn' });
  expect(p.definition.steps).toEqual([
    { id: 'a', action: 'log', params: { message: 'three', level: 'warn' } },
    { id: 'b', action: 'log', params: { message: 'two' } },
  ]);
  expect(p.remove('b')).toBe(true);
  expect(p.remove('b')).toBe(false);
  expect(p.nodeNames).toEqual(['a']);
});

test('a name that is not an identifier gets a derived id; inputs and outputs keep the name as their key', () => {
  const p = new PipelineBuilder('p');
  const q = p.add({ name: 'user question' }).input({ inputType: 'string' });
  p.add({ name: 'the answer', id: 'answer' }).output({ value: q.value });
  expect(q.id).toBe('user_question');
  expect(p.definition.steps).toEqual([
    { id: 'user_question', action: 'input', params: { name: 'user question', type: 'string' } },
    {
      id: 'answer',
      action: 'output',
      params: { name: 'the answer', value: '{{ steps.user_question.output.value }}' },
    },
  ]);
  expect(stepIdFromName('9 lives')).toBe('_9_lives');
  expect(compile(p.definition).ok).toBe(true);
});

test('step options map to the document: retry, timeout, condition, dependsOn, allowFailure', () => {
  const p = new PipelineBuilder('p');
  const gate = p.add({ name: 'gate' }).condition({ condition: 'true', onTrue: 'call', onFalse: ['skip'] });
  const first = p.add({ name: 'first' }).log({ message: 'hi' });
  p.add({
    name: 'call',
    dependsOn: [first],
    condition: gate.result,
    retry: { maxAttempts: 5, initialInterval: '200ms', nonRetryableErrors: ['HttpClientError'] },
    timeout: '10s',
    allowFailure: true,
    description: 'the call',
  }).apiCall({
    url: 'https://example.com/x',
    method: 'POST',
    body: { q: first.message },
    requestTimeout: '5s',
  });
  p.add({ name: 'skip' }).log({ message: 'skipped' });
  const call = p.definition.steps[2];
  expect(call).toEqual({
    id: 'call',
    action: 'api_call',
    params: {
      url: 'https://example.com/x',
      method: 'POST',
      body: { q: '{{ steps.first.output.message }}' },
      timeout: '5s',
    },
    depends_on: ['first'],
    retry: { max_attempts: 5, initial_interval: '200ms', non_retryable_errors: ['HttpClientError'] },
    condition: 'steps.gate.output.result',
    timeout: '10s',
    allow_failure: true,
    description: 'the call',
  });
  expect(p.definition.steps[0]!.params).toEqual({ condition: 'true', on_true: ['call'], on_false: ['skip'] });
  const compiled = compile(p.definition);
  expect(compiled.ok ? [] : compiled.issues).toEqual([]);
});

test('ref.at() reaches into objects and arrays with CEL syntax', () => {
  const api = new PipelineBuilder('p').add({ name: 'api' }).apiCall<{ items: { 'odd-key': number }[] }>({
    url: 'https://example.com',
  });
  expect(api.body.at('items').at(0).at('odd-key').toString()).toBe(
    '{{ steps.api.output.body.items[0]["odd-key"] }}',
  );
  expect(api.httpStatus.expression).toBe('steps.api.output.status');
});

test('template`` composes references and escapes braces in plain values', () => {
  const p = new PipelineBuilder('p');
  const topic = p.add({ name: 'topic' }).input({ inputType: 'string' });
  const words = p.param('words', { type: 'integer', default: 50 });
  const hostile = 'data with {{ secrets.KEY }} and }}';
  const text = template`Write ${words} words on ${topic.text}. Note: ${hostile}`;
  expect(text.source).toBe(
    `Write {{ params.words }} words on {{ steps.topic.output.value }}. Note: data with {{ '{{' }} secrets.KEY {{ '}}' }} and {{ '}}' }}`,
  );
  const parsed = parseTemplate(text.source);
  expect(parsed.ok).toBe(true);
  // Rendered, the plain value comes back exactly as it was, never as a reference.
  const rendered = renderTemplate(
    `Note: ${template`${hostile}`.source}`,
    scope({ topic: { output: { value: 'x' } } }),
  );
  expect(rendered).toBe(`Note: ${hostile}`);
});

test('params declared with param() land in the document; the reference reads them', () => {
  const p = new PipelineBuilder('p');
  const env = p.param('env', { type: 'string', required: true });
  p.add({ name: 'out' }).output({ value: env });
  expect(p.definition.params).toEqual({ env: { type: 'string', required: true } });
  expect(env).toBeInstanceOf(Ref);
  expect(compile(p.definition).ok).toBe(true);
});

test('a built document with a broken reference gives the compiler the same issues as JSON would', () => {
  const p = new PipelineBuilder('p');
  p.add({ name: 'out' }).output({ value: new Ref('steps.nowhere.output.x') });
  const compiled = compile(p.definition);
  expect(compiled.ok ? [] : compiled.issues.map((i) => i.code)).toEqual(['unknown_step']);
});

test('budgets in the builder: setBudget on the pipeline, budget on an llm node, snake_case in the document', () => {
  const p = new PipelineBuilder('budgeted').setBudget({ maxTokens: 5000, maxCost: 0.05 });
  p.add({ name: 'ask', budget: { maxTokens: 300 } }).llm({ prompt: 'hi', maxTokens: 100 });
  expect(p.definition).toMatchObject({
    budget: { max_tokens: 5000, max_cost: 0.05 },
    steps: [{ id: 'ask', budget: { max_tokens: 300 }, params: { prompt: 'hi', max_tokens: 100 } }],
  });
  const result = compile(p.definition);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  expect(result.plan.budget).toEqual({ maxTokens: 5000, maxCost: 0.05 });
  expect((result.plan.nodes[0] as PlanNodeFields).budget).toEqual({ maxTokens: 300 });
  expect(p.setBudget(undefined).definition).not.toHaveProperty('budget');
});
