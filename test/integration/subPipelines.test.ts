/**
 * Sub-pipelines (issue 9 item 3) on a real Temporal server: a `pipeline` step runs another saved
 * pipeline as a child workflow with its own inputs and params; its outputs become the step's
 * output; cancellation and termination of the parent reach the child.
 */
import { connect, type PipelinesClient } from '../../src/client/connect';
import { queryRunSnapshot } from '../../src/client/runs/runSnapshot';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';
import { eventually } from '../support/eventually';

let h: PipelineHarness;
let client: PipelinesClient;
let counter = 0;
const unique = (base: string) => `${base}-${Date.now()}-${++counter}`;

beforeAll(async () => {
  h = await startPipelineHarness();
  client = await connect({ address: sharedTestEnv().address, taskQueue: h.taskQueue });
});
afterAll(async () => {
  await client?.close();
  await h?.close();
});

/** A two-step child: greets `who` with the `greeting` param, tagged with `mark` (per version). */
const greeter = (name: string, mark: string) => ({
  name,
  params: { greeting: { type: 'string', default: 'Hello' } },
  steps: [
    { id: 'who', action: 'input', params: { type: 'string' } },
    {
      id: 'greet',
      action: 'transform',
      params: { value: `{{ params.greeting }}, {{ steps.who.output.value }} (${mark})` },
    },
    { id: 'text', action: 'output', params: { value: '{{ steps.greet.output }}' } },
  ],
});

/** A child that waits on a durable timer long enough to be cancelled or terminated meanwhile. */
const sleeper = (name: string) => ({
  name,
  steps: [
    { id: 'nap', action: 'delay', params: { duration: '1h' } },
    { id: 'done', action: 'output', params: { value: 'woke' }, depends_on: ['nap'] },
  ],
});

/** parent: name → sub (child pipeline) → shout (uses the child's output). */
const parent = (child: string, sub: Record<string, unknown> = {}) => ({
  name: unique('parent'),
  steps: [
    { id: 'name', action: 'input', params: { type: 'string' } },
    {
      id: 'sub',
      action: 'pipeline',
      params: {
        pipeline: child,
        inputs: { who: '{{ steps.name.output.value }}' },
        params: { greeting: 'Hi' },
        ...sub,
      },
    },
    {
      id: 'shout',
      action: 'transform',
      params: { expression: 'steps.sub.output.outputs.text + "!"' },
    },
  ],
});

async function save(definition: { name: string } & Record<string, unknown>, deploy = true) {
  return client.pipelines.save({ name: definition.name, definition, deploy });
}

/** Polls a run's snapshot until its `step` has started a child run; returns the child's id. */
async function childOf(handle: Awaited<ReturnType<PipelineHarness['start']>>, step: string) {
  const snapshot = await eventually(
    () => queryRunSnapshot(handle).catch(() => undefined),
    (s) => s?.nodes[step]?.child !== undefined,
    20_000,
  );
  const child = snapshot?.nodes[step]?.child;
  expect(child).toBeDefined();
  return child!.executionId;
}

test("a parent maps its values into a saved child; the child's outputs are the step's output, its steps are readable by its id", async () => {
  const childName = unique('greeter');
  await save(greeter(childName, 'v1'));
  const { handle, outputs, snapshot, failure } = await h.run(parent(childName), { inputs: { name: 'Ada' } });
  expect(failure).toBeUndefined();
  const childId = `${handle.workflowId}/sub`;
  expect(snapshot.nodes.sub).toMatchObject({
    status: 'completed',
    child: { executionId: childId, pipeline: childName, version: 1 },
    output: { outputs: { text: 'Hi, Ada (v1)' }, executionId: childId, version: 1 },
  });
  expect(outputs).toEqual({ shout: 'Hi, Ada (v1)!' });

  // The parent's execution details name the child; the child's own details show its steps.
  const parentExecution = await client.executions.get(handle.workflowId);
  expect(parentExecution.steps.sub?.child).toEqual({ executionId: childId, pipeline: childName, version: 1 });
  const childExecution = await client.executions.get(childId);
  expect(childExecution).toMatchObject({
    id: childId,
    pipelineId: childName,
    pipelineVersion: '1',
    status: 'completed',
    params: { greeting: 'Hi' },
    outputs: { text: 'Hi, Ada (v1)' },
    traceId: parentExecution.traceId,
  });
  expect(Object.keys(childExecution.steps).sort()).toEqual(['greet', 'text', 'who']);
  expect(childExecution.steps.greet).toMatchObject({ status: 'completed', output: 'Hi, Ada (v1)' });
});

test('a pinned version runs that version; without one the step runs the version deployed when it starts', async () => {
  const childName = unique('greeter');
  await save(greeter(childName, 'v1'));
  await save(greeter(childName, 'v2'), false); // saved, not deployed
  const deployed = await h.run(parent(childName), { inputs: { name: 'Bo' } });
  expect(deployed.outputs).toEqual({ shout: 'Hi, Bo (v1)!' });
  expect(deployed.snapshot.nodes.sub?.child?.version).toBe(1);

  const pinned = await h.run(parent(childName, { version: 2 }), { inputs: { name: 'Bo' } });
  expect(pinned.outputs).toEqual({ shout: 'Hi, Bo (v2)!' });
  expect(pinned.snapshot.nodes.sub?.child?.version).toBe(2);

  await client.pipelines.deploy(childName, 2);
  const redeployed = await h.run(parent(childName), { inputs: { name: 'Bo' } });
  expect(redeployed.outputs).toEqual({ shout: 'Hi, Bo (v2)!' });
});

test('an unknown pipeline or version, or a mapping the child refuses, fails the step with a clear code; independent steps still run', async () => {
  const childName = unique('greeter');
  await save(greeter(childName, 'v1'));
  const withSide = (definition: ReturnType<typeof parent>) => ({
    ...definition,
    steps: [...definition.steps, { id: 'side', action: 'transform', params: { value: 'ran' } }],
  });

  const missing = await h.run(withSide(parent(unique('no-such-pipeline'))), { inputs: { name: 'Cy' } });
  expect(missing.snapshot.nodes.sub).toMatchObject({
    status: 'failed',
    error: { code: 'PipelineNotFound', message: expect.stringContaining('No saved pipeline named') },
  });
  expect(missing.snapshot.nodes.sub?.child).toBeUndefined();
  expect(missing.snapshot.nodes.shout?.status).toBe('skipped');
  expect(missing.snapshot.nodes.side).toMatchObject({ status: 'completed', output: 'ran' });
  expect(missing.failure?.cause?.message).toContain('step "sub" failed');

  const noVersion = await h.run(parent(childName, { version: 7 }), { inputs: { name: 'Cy' } });
  expect(noVersion.snapshot.nodes.sub?.error).toEqual({
    code: 'PipelineNotFound',
    message: `Saved pipeline '${childName}' has no version 7`,
  });

  const refused = await h.run(parent(childName, { inputs: { who: 42 } }), { inputs: { name: 'Cy' } });
  expect(refused.snapshot.nodes.sub?.error?.code).toBe('InvalidChildInputs');
  expect(refused.snapshot.nodes.sub?.error?.message).toContain('inputs.who');
});

test('a child that fails fails the step with code ChildPipelineFailed and the child’s error', async () => {
  const childName = unique('failing');
  await save({
    name: childName,
    steps: [
      { id: 'n', action: 'input', params: { type: 'object', default: {} } },
      { id: 'boom', action: 'transform', params: { expression: 'steps.n.output.value.nope' } },
    ],
  });
  const { snapshot, failure } = await h.run(parent(childName, { inputs: {}, params: {} }), {
    inputs: { name: 'Di' },
  });
  expect(failure).toBeDefined();
  expect(snapshot.nodes.sub?.error?.code).toBe('ChildPipelineFailed');
  expect(snapshot.nodes.sub?.error?.message).toContain('step "boom" failed');
  const child = await client.executions.get(snapshot.nodes.sub!.child!.executionId);
  expect(child.status).toBe('failed');
});

test('a parent cancelled while its child runs: the child is cancelled, then the parent ends cancelled', async () => {
  const childName = unique('sleeper');
  await save(sleeper(childName));
  const handle = await h.start(parent(childName, { inputs: {}, params: {} }), { inputs: { name: 'Ed' } });
  const childId = await childOf(handle, 'sub');
  await eventually(
    () => client.executions.get(childId).catch(() => undefined),
    (e) => e?.steps.nap?.status === 'running',
    20_000,
  );
  await client.executions.cancel(handle.workflowId);
  await expect(handle.result()).rejects.toThrow();

  const child = await client.executions.get(childId);
  expect(child.status).toBe('cancelled');
  expect(child.steps.nap?.status).toBe('cancelled');
  const parentRun = await client.executions.get(handle.workflowId);
  expect(parentRun.status).toBe('cancelled');
  expect(parentRun.steps.sub).toMatchObject({ status: 'cancelled', child: { executionId: childId } });
  expect(parentRun.steps.shout?.status).toBe('cancelled');
});

test('a parent terminated while its child runs: the child is terminated too', async () => {
  const childName = unique('sleeper');
  await save(sleeper(childName));
  const handle = await h.start(parent(childName, { inputs: {}, params: {} }), { inputs: { name: 'Flo' } });
  const childId = await childOf(handle, 'sub');
  await client.executions.terminate(handle.workflowId, 'test');
  const child = await eventually(
    () => client.executions.get(childId),
    (e) => e.status !== 'running',
    20_000,
  );
  expect(child.status).toBe('terminated');
  expect((await client.executions.get(handle.workflowId)).status).toBe('terminated');
});
