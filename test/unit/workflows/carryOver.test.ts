/**
 * What a run hands to its continuation when it continues as new, and the continuation taking it
 * back: settled steps, the outputs still read (always) and others (while they fit), the log's and
 * the stream's counters, usage; `status` pages for runs of more than 1,000 steps.
 */
import { compileOrThrow, packPlan, type ExecutionPlan } from '../../../src/model';
import { continuationInput, restoreCarryOver } from '../../../src/workflows/run/carryOver';
import type { RunPipelineInput } from '../../../src/protocol/messages/runMessages';
import { RunState } from '../../../src/workflows/run/runState';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const big = 'x'.repeat(300 * 1024);

function setUp(): { plan: ExecutionPlan; state: RunState; input: RunPipelineInput } {
  const plan = compileOrThrow({
    name: 'carry',
    steps: [
      { id: 'wide', action: 'transform', params: { value: big } },
      { id: 'small', action: 'transform', params: { value: 1 } },
      { id: 'read', action: 'transform', params: { value: big } },
      { id: 'gone', action: 'api_call', params: { url: 'http://x' }, allow_failure: true },
      { id: 'skipped', action: 'transform', params: { value: 1 }, condition: 'false' },
      {
        id: 'next',
        action: 'transform',
        params: { expression: 'size(steps.read.output) + steps.small.output' },
      },
      { id: 'out', action: 'output', params: { value: '{{ steps.next.output }}' } },
    ],
  });
  const state = new RunState(plan, TRACE, '3');
  const node = (id: string) => plan.nodes.find((n) => n.id === id)!;
  for (const id of ['wide', 'small', 'read']) {
    state.start(node(id));
    state.complete(id, id === 'small' ? 1 : big, 1);
  }
  state.start(node('gone'));
  state.fail('gone', { message: 'bad gateway', code: 'UpstreamUnavailable' }, 3);
  state.skip('skipped', 'condition false');
  state.snapshot.usage.totalTokens = 42;
  state.stream.append({ type: 'node', nodeId: 'small', status: 'running' });
  const input: RunPipelineInput = { plan: packPlan(plan), params: {}, inputs: {}, traceId: TRACE };
  return { plan, state, input };
}

test('outputs the rest of the run reads are carried; others only while they fit', () => {
  const { plan, state, input } = setUp();
  const made = continuationInput(input, plan, state, ['gone']);
  if (!('input' in made)) throw new Error(`too large: ${made.tooLarge}`);
  const carried = made.input.carried!;
  expect(Object.keys(carried.outputs).sort()).toEqual(['read', 'small']);
  expect(Object.keys(carried.steps).sort()).toEqual(['gone', 'read', 'skipped', 'small', 'wide']);
  expect(carried.steps.gone).toEqual([
    'failed',
    3,
    expect.any(Number),
    expect.any(Number),
    { error: { message: 'bad gateway', code: 'UpstreamUnavailable' } },
  ]);
  expect(carried.failures).toEqual(['gone']);
  expect(carried.continuations).toBe(1);
  expect(made.input.resume).toBeUndefined();

  const next = new RunState(plan, TRACE, '3');
  expect(restoreCarryOver(next, carried)).toEqual(['gone']);
  const nodes = next.snapshot.nodes;
  expect(nodes.wide).toMatchObject({ status: 'completed', outputDropped: true });
  expect(nodes.wide).not.toHaveProperty('output');
  expect(nodes.read).toMatchObject({ status: 'completed', output: big, durationMs: expect.any(Number) });
  expect(nodes.skipped).toMatchObject({ status: 'skipped', skipReason: 'condition false' });
  expect(nodes.skipped).not.toHaveProperty('startedAt');
  expect(nodes.next).toMatchObject({ status: 'pending' });
  expect(next.snapshot).toMatchObject({
    continuations: 1,
    startedAt: state.snapshot.startedAt,
    completedSteps: 3,
    usage: { totalTokens: 42 },
  });
  // Log and stream go on from where they stood.
  next.log('info', 'after');
  expect(next.snapshot.logs.at(-1)!.seq).toBe(state.lastLogSeq + 1);
  next.stream.append({ type: 'node', nodeId: 'next', status: 'running' });
  const page = next.stream.read({ from: 0 });
  expect(page.chunks.map((c) => c.seq)).toEqual(
    Array.from({ length: page.chunks.length }, (_, i) => page.chunks[0]!.seq + i),
  );
  expect(page.chunks.at(-1)!.seq).toBe(state.stream.read({}).next + 1);
});

test('a spare output that fits is carried, so status keeps showing it', () => {
  const { plan, state, input } = setUp();
  state.snapshot.nodes.wide!.output = 'small enough';
  const made = continuationInput(input, plan, state, []);
  if (!('input' in made)) throw new Error('too large');
  expect(made.input.carried!.outputs.wide).toBe('small enough');
});

test('a state that cannot fit in one payload is not carried', () => {
  const { plan, state, input } = setUp();
  const huge = 'y'.repeat(2 * 1024 * 1024);
  state.snapshot.nodes.read!.output = huge;
  const made = continuationInput(input, plan, state, []);
  expect(made).toEqual({ tooLarge: expect.any(Number) });
});

test('status pages a run of more than 1,000 steps; smaller runs answer whole', () => {
  const steps = Array.from({ length: 2500 }, (_, i) => ({
    id: `s${i}`,
    action: 'transform',
    params: { value: i },
  }));
  const plan = compileOrThrow({ name: 'paged', steps });
  const state = new RunState(plan, TRACE, undefined);
  state.log('info', 'hello');
  const first = state.statusPage(undefined);
  expect(Object.keys(first.nodes)).toHaveLength(1000);
  expect(first.stepsPage).toEqual({ from: 0, count: 1000, total: 2500 });
  expect(first.logs).toHaveLength(1);
  const last = state.statusPage({ stepsFrom: 2000 });
  expect(Object.keys(last.nodes)[0]).toBe('s2000');
  expect(last.stepsPage).toEqual({ from: 2000, count: 500, total: 2500 });
  expect(last.logs).toEqual([]);
  const small = new RunState(compileOrThrow({ name: 's', steps: steps.slice(0, 3) }), TRACE, undefined);
  expect(small.statusPage(undefined)).toBe(small.snapshot);
});

test("a run's budget: used amounts follow usage (cost included), are carried across continue-as-new, and the log says once that it is used up", () => {
  const plan = compileOrThrow({
    name: 'budgeted',
    budget: { max_tokens: 100, max_cost: 0.01 },
    steps: [
      { id: 'a', action: 'llm', params: { prompt: 'x' } },
      { id: 'b', action: 'llm', params: { prompt: 'y' }, depends_on: ['a'] },
      { id: 'c', action: 'llm', params: { prompt: 'z' }, depends_on: ['b'] },
    ],
  });
  const budget = { maxTokens: 100, maxCost: 0.01 };
  const state = new RunState(plan, TRACE, undefined, budget);
  const node = (id: string) => plan.nodes.find((n) => n.id === id)!;
  expect(state.snapshot.budget).toEqual({ maxTokens: 100, maxCost: 0.01, usedTokens: 0, usedCost: 0 });
  state.start(node('a'));
  state.complete('a', 'A', 1, { promptTokens: 30, completionTokens: 30, totalTokens: 60, costUsd: 0.004 });
  expect(state.snapshot.budget).toMatchObject({ usedTokens: 60, usedCost: 0.004 });
  expect(state.snapshot.usage).toEqual({
    promptTokens: 30,
    completionTokens: 30,
    totalTokens: 60,
    costUsd: 0.004,
  });
  const input: RunPipelineInput = { plan: packPlan(plan), params: {}, inputs: {}, traceId: TRACE };
  const made = continuationInput(input, plan, state, []);
  if (!('input' in made)) throw new Error('too large');

  const next = new RunState(plan, TRACE, undefined, budget);
  restoreCarryOver(next, made.input.carried!);
  expect(next.snapshot.budget).toEqual({ maxTokens: 100, maxCost: 0.01, usedTokens: 60, usedCost: 0.004 });
  next.start(node('b'));
  next.complete('b', 'B', 1, { promptTokens: 20, completionTokens: 30, totalTokens: 50, costUsd: 0.002 });
  expect(next.snapshot.budget).toMatchObject({ usedTokens: 110, usedCost: 0.006 });
  const usedUp = next.snapshot.logs.filter((r) => r.message.includes('budget is used up'));
  expect(usedUp).toEqual([
    expect.objectContaining({
      level: 'warn',
      stepId: 'b',
      message:
        "the run's budget is used up: max_tokens (110 of 100 tokens used); llm steps that have not started will fail with BudgetExceeded",
    }),
  ]);
  // Once only.
  next.start(node('c'));
  next.complete('c', 'C', 1, { promptTokens: 1, completionTokens: 1, totalTokens: 2, costUsd: 0.0001 });
  expect(next.snapshot.logs.filter((r) => r.message.includes('budget is used up'))).toHaveLength(1);
});

test("a pipeline step's child run is carried, so status keeps naming it after continue-as-new", () => {
  const plan = compileOrThrow({
    name: 'carry-child',
    steps: [
      { id: 'sub', action: 'pipeline', params: { pipeline: 'child' } },
      { id: 'later', action: 'delay', params: { duration: '1s' }, depends_on: ['sub'] },
    ],
  });
  const state = new RunState(plan, TRACE, '1');
  const child = { executionId: 'parent/sub', pipeline: 'child', version: 2 };
  state.start(plan.nodes[0]!);
  state.childStarted('sub', child);
  state.complete('sub', { outputs: {}, executionId: 'parent/sub', version: 2 }, 1);
  const input: RunPipelineInput = { plan: packPlan(plan), params: {}, inputs: {}, traceId: TRACE };
  const made = continuationInput(input, plan, state, []);
  if (!('input' in made)) throw new Error(`too large: ${made.tooLarge}`);
  expect(made.input.carried!.steps.sub![4]).toEqual({ child });
  const next = new RunState(plan, TRACE, '1');
  restoreCarryOver(next, made.input.carried!);
  expect(next.node('sub')).toMatchObject({ status: 'completed', child });
});
