import { compileOrThrow } from '../../../src/model/compiler/compiler';
import { KIND_DEFAULTS } from '../../../src/model/kinds/catalog';
import { canonicalJson } from '../../../src/model/definition/hash';
import { MAX_STEPS } from '../../../src/model/definition/limits';
import { packPlan, unpackPlan } from '../../../src/model/plan/planWire';

const everyKind = {
  name: 'kinds',
  params: { n: { type: 'integer', default: 2 } },
  steps: [
    { id: 'q', action: 'input', params: { type: 'string' } },
    { id: 'named', action: 'input', params: { name: 'other', required: false, default: 'x' } },
    { id: 'ask', action: 'llm', params: { model: 'm', prompt: '{{ steps.q.output.value }}' } },
    {
      id: 'call',
      action: 'api_call',
      params: { url: 'https://api.example/x', method: 'GET' },
      retry: { max_attempts: 5, initial_interval: '200ms' },
      timeout: '3s',
      allow_failure: true,
    },
    {
      id: 'check',
      action: 'condition',
      params: { condition: 'steps.call.status == "completed"', on_true: ['yes'] },
    },
    { id: 'yes', action: 'transform', params: { expression: 'params.n * 2' } },
    {
      id: 'wait',
      action: 'delay',
      params: { duration: '1s' },
      depends_on: ['yes'],
      condition: 'params.n > 1',
    },
    { id: 'note', action: 'log', params: { message: 'done {{ steps.ask.output.response }}' } },
    { id: 'hook', action: 'notification', params: { url: 'https://hooks.example/y', message: 'hi' } },
    { id: 'mine', action: 'my_action', params: { a: 1 }, depends_on: ['wait'] },
    { id: 'out', action: 'output', params: { name: 'answer', value: '{{ steps.ask.output.response }}' } },
  ],
};
const compile = (doc: unknown) => compileOrThrow(doc, { actions: { my_action: {} } });

test('a packed plan unpacks to the compiled plan, field for field', () => {
  const plan = compile(everyKind);
  const packed = JSON.parse(JSON.stringify(packPlan(plan, KIND_DEFAULTS)));
  expect(canonicalJson(unpackPlan(packed))).toBe(canonicalJson(plan));
  // Settings that differ from the defaults travel; defaults do not.
  const call = packed.nodes.find((n: { id: string }) => n.id === 'call');
  expect(call).toMatchObject({ timeoutMs: 3000, allowFailure: true, retry: { maximumAttempts: 5 } });
  const ask = packed.nodes.find((n: { id: string }) => n.id === 'ask');
  expect(ask).not.toHaveProperty('retry');
  expect(ask).not.toHaveProperty('timeoutMs');
  expect(ask).not.toHaveProperty('execution');
  expect(ask.params).not.toHaveProperty('provider');
  expect(packed.nodes.find((n: { id: string }) => n.id === 'named').inputName).toBe('other');
});

test('a plan written in full (as recorded runs hold it) unpacks to itself', () => {
  const plan = compile(everyKind);
  expect(canonicalJson(unpackPlan(JSON.parse(JSON.stringify(plan))))).toBe(canonicalJson(plan));
});

test(`a ${MAX_STEPS.toLocaleString('en')}-step plan packs to well under the 2 MiB payload limit`, () => {
  const steps: unknown[] = [{ id: 'start', action: 'input', params: { type: 'number' } }];
  for (let i = 1; i < MAX_STEPS; i++) {
    const prev = i === 1 ? 'steps.start.output.value' : `steps.s${i - 1}.output`;
    steps.push(
      i % 2 === 0
        ? { id: `s${i}`, action: 'my_action', params: { value: `{{ ${prev} }}` } }
        : { id: `s${i}`, action: 'transform', params: { expression: `${prev} + 1` } },
    );
  }
  const plan = compile({ name: 'big', steps });
  const full = JSON.stringify(plan).length;
  const packed = JSON.stringify(packPlan(plan, KIND_DEFAULTS)).length;
  expect(packed).toBeLessThan(1.5 * 1024 * 1024);
  expect(packed).toBeLessThan(full / 2);
  expect(() =>
    compile({
      name: 'too big',
      steps: [...steps, { id: 'one_more', action: 'transform', params: { expression: '1' } }],
    }),
  ).toThrow(/10000/);
});

test('unpacking gives each node the variant of how it executes, and refuses a kind that runs another way', () => {
  const plan = unpackPlan(packPlan(compile(everyKind), KIND_DEFAULTS));
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  expect(byId.get('q')?.execution).toBe('inline');
  expect(byId.get('ask')?.execution).toBe('activity');
  expect(byId.get('wait')?.execution).toBe('timer');
  const packed = packPlan(plan, KIND_DEFAULTS);
  const broken = {
    ...packed,
    nodes: packed.nodes.map((n) => (n.id === 'ask' ? { ...n, execution: 'inline' as const } : n)),
  };
  expect(() => unpackPlan(broken)).toThrow("plan node ask: a 'llm' step does not run as 'inline'");
});
