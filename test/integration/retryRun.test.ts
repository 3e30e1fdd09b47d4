/**
 * Retrying a run on a real server: from the failed step (completed steps reused, side effects
 * not repeated), from scratch, and with new params (steps reading them run again).
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { prepareRetry, retryRun } from '../../src/client/runs/retryRun';
import { actionsByName, defineAction, PipelineValidationError } from '../../src/model';
import { statusQuery } from '../../src/protocol/messages/runMessages';
import { startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

/** How often each action ran, over every run of a test. */
const counts = { a: 0, b: 0, c: 0 };
/** While set, step b fails (not retried). */
let failB = false;

const stepA = defineAction({
  name: 'retry_step_a',
  params: z.object({}),
  run: () => {
    counts.a++;
    return Promise.resolve({ value: 'A' });
  },
});
const stepB = defineAction({
  name: 'retry_step_b',
  params: z.object({ from: z.string(), greeting: z.string().optional() }),
  run: ({ from, greeting }) => {
    counts.b++;
    if (failB) return Promise.reject(ApplicationFailure.nonRetryable('b is broken', 'BrokenB'));
    return Promise.resolve({ value: `${from}-B${greeting ? `-${greeting}` : ''}` });
  },
});
const stepC = defineAction({
  name: 'retry_step_c',
  params: z.object({ from: z.string() }),
  run: ({ from }) => {
    counts.c++;
    return Promise.resolve({ value: `${from}-C` });
  },
});
const actions = actionsByName([stepA, stepB, stepC]);

const pipeline = (name: string) => ({
  name,
  params: { greeting: { type: 'string', default: 'hi' } },
  steps: [
    { id: 'a', action: 'retry_step_a' },
    {
      id: 'b',
      action: 'retry_step_b',
      params: { from: '{{ steps.a.output.value }}', greeting: '{{ params.greeting }}' },
    },
    { id: 'c', action: 'retry_step_c', params: { from: '{{ steps.b.output.value }}' } },
  ],
});

let h: PipelineHarness;

beforeAll(async () => {
  h = await startPipelineHarness({ actions: [stepA, stepB, stepC] });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  counts.a = counts.b = counts.c = 0;
  failB = false;
});

test('from the failed step: completed steps are reused, their side effects not repeated', async () => {
  failB = true;
  const first = await h.run(pipeline('retry-from-failed'), { actions });
  expect(first.snapshot.status).toBe('failed');
  expect(first.snapshot.nodes.b).toMatchObject({ status: 'failed' });
  expect(counts).toEqual({ a: 1, b: 1, c: 0 });

  failB = false;
  const oldId = first.handle.workflowId;
  const retry = await retryRun(h.client, oldId, { fromFailedStep: true });
  expect(retry.taskId).toMatch(new RegExp(`^${oldId}-retry-[0-9a-f]{8}$`));
  const { outputs } = await retry.result({ timeout: '30s' });
  expect(outputs).toEqual({ c: { value: 'A-B-hi-C' } });
  expect(counts).toEqual({ a: 1, b: 2, c: 1 });

  const snapshot = await retry.workflow.query(statusQuery);
  expect(snapshot.retryOf).toBe(oldId);
  expect(snapshot.nodes.a).toMatchObject({ status: 'completed', reused: true, output: { value: 'A' } });
  expect(snapshot.nodes.b).toMatchObject({ status: 'completed', attempts: 1 });
  expect(snapshot.nodes.b!.reused).toBeUndefined();
  expect(snapshot.nodes.c!.reused).toBeUndefined();
  expect(snapshot.logs).toContainEqual(
    expect.objectContaining({ stepId: 'a', message: expect.stringContaining(`reused from ${oldId}`) }),
  );
  expect((await retry.workflow.describe()).memo).toMatchObject({ retryOf: oldId });

  // A retry of the completed retry would reuse everything.
  const again = await prepareRetry(h.client, retry.taskId, { fromFailedStep: true });
  expect(Object.keys(again.resume!.reuse).sort()).toEqual(['a', 'b', 'c']);
  expect(again.resume!.retryOf).toBe(retry.taskId);
});

test('a plain retry runs everything again', async () => {
  failB = true;
  const first = await h.run(pipeline('retry-plain'), { actions });
  expect(first.snapshot.status).toBe('failed');
  failB = false;
  const retry = await retryRun(h.client, first.handle.workflowId);
  await retry.result({ timeout: '30s' });
  expect(counts).toEqual({ a: 2, b: 2, c: 1 });
  const snapshot = await retry.workflow.query(statusQuery);
  expect(snapshot.retryOf).toBe(first.handle.workflowId);
  expect(Object.values(snapshot.nodes).some((n) => n.reused)).toBe(false);
});

test('with new params, a step that reads a changed param runs again, and so does what follows it', async () => {
  const first = await h.run(pipeline('retry-params'), { actions });
  expect(first.outputs).toEqual({ c: { value: 'A-B-hi-C' } });
  expect(counts).toEqual({ a: 1, b: 1, c: 1 });
  const oldId = first.handle.workflowId;

  const retry = await retryRun(h.client, oldId, { fromFailedStep: true, params: { greeting: 'hello' } });
  expect((await retry.result({ timeout: '30s' })).outputs).toEqual({ c: { value: 'A-B-hello-C' } });
  expect(counts).toEqual({ a: 1, b: 2, c: 2 });
  const snapshot = await retry.workflow.query(statusQuery);
  expect(snapshot.nodes.a!.reused).toBe(true);
  expect(snapshot.nodes.b!.reused).toBeUndefined();

  // Same params, everything completed: everything is reused, nothing runs.
  const same = await retryRun(h.client, oldId, { fromFailedStep: true, params: { greeting: 'hi' } });
  expect((await same.result({ timeout: '30s' })).outputs).toEqual({ c: { value: 'A-B-hi-C' } });
  expect(counts).toEqual({ a: 1, b: 2, c: 2 });

  // New params are checked against the declarations before anything starts.
  await expect(prepareRetry(h.client, oldId, { params: { greeting: 5 } })).rejects.toBeInstanceOf(
    PipelineValidationError,
  );
});

test('retrying an unknown run is a NotFoundError', async () => {
  await expect(prepareRetry(h.client, 'no-such-run-for-retry')).rejects.toMatchObject({ code: 'not_found' });
});
