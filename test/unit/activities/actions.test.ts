/**
 * Users' actions as activities: param validation, the ActionContext, error classification.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { z } from 'zod';
import { createActivities } from '../../../src/activities';
import { defineAction, type ActionContext } from '../../../src/model/kinds/actions';
import { TRACE_ID, failureOf, mockEnv, nodeInput, rejectionOf, runNode } from './support';

const seen: { params: unknown; ctx: ActionContext }[] = [];
const charge = defineAction({
  name: 'charge_card',
  params: z.object({ to: z.string(), amount: z.number().positive(), note: z.string().default('none') }),
  outputs: ['receipt'],
  run: async (params, ctx) => {
    await new Promise((resolve) => setImmediate(resolve)); // stands in for the action's I/O
    seen.push({ params, ctx });
    ctx.log.info('charging', { amount: params.amount });
    if (params.to === 'refuse')
      throw ApplicationFailure.nonRetryable('card declined', 'CardDeclined', { code: 51 });
    if (params.to === 'crash') throw new Error('gateway exploded');
    if (params.to === 'string') throw 'just a string'; // eslint-disable-line @typescript-eslint/only-throw-error
    return { receipt: `paid ${params.amount} to ${params.to}` };
  },
});
const waitForCancel = defineAction({
  name: 'wait_for_cancel',
  params: z.object({}),
  run: async (_params, ctx) => {
    ctx.heartbeat({ step: 'waiting' });
    await new Promise((_, reject) =>
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted by signal'))),
    );
    return null;
  },
});

const activities = createActivities({
  env: {},
  actions: [charge, waitForCancel],
  secrets: (n) => (n === 'CARD' ? 'acct-42' : undefined),
});
beforeEach(() => {
  seen.length = 0;
});

test('an action becomes an activity named after it; params are validated (defaults applied) and secrets resolved', async () => {
  const { env, logs } = mockEnv({ attempt: 2 });
  const result = await runNode(
    env,
    activities.charge_card!,
    nodeInput({ to: '{{ secrets.CARD }}', amount: 5 }),
  );
  expect(result).toEqual({
    // The action got the secret; what it returns quoting it is redacted.
    output: { receipt: 'paid 5 to [secret:CARD]' },
    attempt: 2,
    logs: [expect.objectContaining({ level: 'info', message: 'charging' })],
    metrics: expect.any(Object),
  });
  expect(seen[0]!.params).toEqual({ to: 'acct-42', amount: 5, note: 'none' });
  const ctx = seen[0]!.ctx;
  expect(ctx).toMatchObject({ nodeId: 'step_1', attempt: 2, taskId: 'task-123', traceId: TRACE_ID });
  expect(ctx.signal.aborted).toBe(false);
  expect(logs).toContainEqual(
    expect.objectContaining({
      level: 'INFO',
      message: 'charging',
      meta: expect.objectContaining({ amount: 5, nodeId: 'step_1', taskId: 'task-123', traceId: TRACE_ID }),
    }),
  );
});

test('invalid params → non-retryable InvalidActionParams listing the zod issues; run is not called', async () => {
  const { env } = mockEnv();
  const failure = await failureOf(runNode(env, activities.charge_card!, nodeInput({ to: 7, amount: -1 })));
  expect(failure).toMatchObject({ type: 'InvalidActionParams', nonRetryable: true });
  expect(failure.message).toMatch(
    /^action "charge_card": invalid params: params\.to: .+; params\.amount: .+/,
  );
  expect(seen).toHaveLength(0);
});

test("a user's ApplicationFailure passes through as thrown", async () => {
  const { env } = mockEnv();
  const failure = await failureOf(
    runNode(env, activities.charge_card!, nodeInput({ to: 'refuse', amount: 1 })),
  );
  expect(failure).toMatchObject({
    type: 'CardDeclined',
    nonRetryable: true,
    message: 'card declined',
    details: [{ code: 51 }],
  });
});

test('anything else → retryable ActionFailed with the cause', async () => {
  const { env } = mockEnv({ attempt: 4 });
  const failure = await failureOf(
    runNode(env, activities.charge_card!, nodeInput({ to: 'crash', amount: 1 })),
  );
  expect(failure).toMatchObject({
    type: 'ActionFailed',
    nonRetryable: false,
    message: 'action "charge_card" failed: gateway exploded',
    details: [{ attempt: 4 }],
  });
  expect((failure.cause as Error).message).toBe('gateway exploded');
  const str = await failureOf(runNode(env, activities.charge_card!, nodeInput({ to: 'string', amount: 1 })));
  expect(str).toMatchObject({ type: 'ActionFailed', message: 'action "charge_card" failed: just a string' });
});

test('cancellation reaches the action through ctx.signal and ends as cancellation, not ActionFailed', async () => {
  const { env, heartbeats } = mockEnv();
  const waiting = new Promise((resolve) => env.once('heartbeat', resolve));
  const running = runNode(env, activities.wait_for_cancel!, nodeInput({}));
  await waiting; // the action is running: it heartbeats, then waits for the abort
  env.cancel();
  expect(await rejectionOf(running)).toBeInstanceOf(CancelledFailure);
  expect(heartbeats).toContainEqual({ step: 'waiting' });
});

test('action names must not collide with built-in kinds or each other', () => {
  const fake = { ...charge, name: 'llm' };
  expect(() => createActivities({ actions: [fake] })).toThrow(/named after a built-in node kind/);
  expect(() => createActivities({ actions: [charge, charge] })).toThrow(
    /Two actions are named "charge_card"/,
  );
  expect(() => createActivities({ actions: [{ ...charge, name: 'pipelineCallback' }] })).toThrow(
    /reserved for the engine's own activities/,
  );
  expect(() => createActivities({ actions: [{ ...charge, name: 'resolveSavedPipeline' }] })).toThrow(
    /reserved for the engine's own activities/,
  );
  expect(() => createActivities({ actions: [{ ...charge, name: 'pipeline' }] })).toThrow(
    /named after a built-in node kind/,
  );
  expect(Object.keys(activities).sort()).toEqual([
    'api_call',
    'charge_card',
    'closedPipelineRuns',
    'llm',
    'notification',
    'pipelineCallback',
    'requestConcurrencySlot',
    'resolveSavedPipeline',
    'wait_for_cancel',
  ]);
});
