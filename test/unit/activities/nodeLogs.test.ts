/**
 * The activity wrapper's per-attempt log records and metrics: what `ctx.log` collects, its
 * bounds, and what a failed attempt carries in its failure details.
 */
/* eslint-disable @typescript-eslint/require-await -- node fns are async by contract; these fakes have nothing to await */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { createActionActivity } from '../../../src/activities/nodes/actions';
import { NodeActivityError } from '../../../src/activities/nodes/nodeFailures';
import { wrapNodeActivity } from '../../../src/activities/nodes/wrapNodeActivity';
import { defineAction } from '../../../src/model/kinds/actions';
import { detailsOf, failureOf, mockEnv, nodeInput, runNode } from './support';

/** Keeps the CPU busy for about `ms` (no timing is asserted on it). */
function burnCpu(ms: number): number {
  const until = process.hrtime.bigint() + BigInt(ms) * 1_000_000n;
  let x = 0;
  while (process.hrtime.bigint() < until) x += Math.sqrt(x + 1);
  return x;
}

test('ctx.log(level, message) and ctx.log.<level>() are returned in order, and still reach the worker logger', async () => {
  const act = wrapNodeActivity(async (_input, ctx) => {
    ctx.log('debug', 'starting');
    ctx.log.info('halfway', { rows: 3 });
    ctx.log.warn('slow upstream');
    ctx.log('error', 'nearly failed');
    return { output: null };
  });
  const { env, logs } = mockEnv({ attempt: 2 });
  const result = await runNode(env, act, nodeInput({}));
  expect(result.logs).toEqual([
    { at: expect.any(String), level: 'debug', message: 'starting' },
    { at: expect.any(String), level: 'info', message: 'halfway' },
    { at: expect.any(String), level: 'warn', message: 'slow upstream' },
    { at: expect.any(String), level: 'error', message: 'nearly failed' },
  ]);
  expect(Number.isNaN(Date.parse(result.logs![0]!.at))).toBe(false);
  expect(result.droppedLogs).toBeUndefined();
  expect(logs).toContainEqual(
    expect.objectContaining({
      level: 'INFO',
      message: 'halfway',
      meta: expect.objectContaining({ rows: 3, nodeId: 'step_1' }),
    }),
  );
  expect(logs).toContainEqual(expect.objectContaining({ level: 'DEBUG', message: 'starting' }));
});

test('at most 100 records per attempt, the rest counted; long messages are cut to 2 KiB', async () => {
  const act = wrapNodeActivity(async (_input, ctx) => {
    ctx.log.info('x'.repeat(5000));
    for (let i = 1; i < 150; i++) ctx.log('info', `line ${i}`);
    return { output: null };
  });
  const result = await runNode(mockEnv().env, act, nodeInput({}));
  expect(result.logs).toHaveLength(100);
  expect(result.droppedLogs).toBe(50);
  expect(result.logs![0]!.message).toMatch(/… \[truncated, 5000 bytes\]$/);
  expect(Buffer.byteLength(result.logs![0]!.message)).toBeLessThanOrEqual(2048);
  expect(result.logs![99]!.message).toBe('line 99');
});

test('an unknown level (from plain JS) is recorded as info; a non-string message is stringified', async () => {
  const act = wrapNodeActivity(async (_input, ctx) => {
    (ctx.log as unknown as (l: string, m: unknown) => void)('loud', 42);
    return { output: null };
  });
  const result = await runNode(mockEnv().env, act, nodeInput({}));
  expect(result.logs).toEqual([{ at: expect.any(String), level: 'info', message: '42' }]);
});

test('metrics: CPU seconds of the attempt and peak RSS in MiB', async () => {
  const act = wrapNodeActivity(async () => ({ output: burnCpu(50) }));
  const { metrics } = await runNode(mockEnv().env, act, nodeInput({}));
  expect(metrics!.cpuSeconds).toBeGreaterThan(0);
  expect(metrics!.peakMemoryMb).toBeGreaterThan(0);
});

test('a failed attempt carries its logs and metrics in the failure details', async () => {
  const act = wrapNodeActivity(async (_input, ctx) => {
    ctx.log.warn('about to fail');
    throw new NodeActivityError('UpstreamUnavailable', 'down');
  });
  const failure = await failureOf(runNode(mockEnv({ attempt: 2 }).env, act, nodeInput({})));
  expect(detailsOf(failure)).toEqual({
    attempt: 2,
    logs: [{ at: expect.any(String), level: 'warn', message: 'about to fail' }],
    metrics: { cpuSeconds: expect.any(Number), peakMemoryMb: expect.any(Number) },
  });
});

test("an action's ctx.log is collected; a user's own ApplicationFailure passes through without them", async () => {
  const chatty = defineAction({
    name: 'chatty',
    params: z.object({ fail: z.boolean() }),
    run: async ({ fail }, ctx) => {
      ctx.log('info', `attempt ${ctx.attempt}`);
      if (fail) throw ApplicationFailure.nonRetryable('no', 'MyError', { mine: true });
      return { ok: true };
    },
  });
  const act = createActionActivity(chatty);
  const ok = await runNode(mockEnv({ attempt: 3 }).env, act, nodeInput({ fail: false }));
  expect(ok.logs).toEqual([{ at: expect.any(String), level: 'info', message: 'attempt 3' }]);
  const failure = await failureOf(runNode(mockEnv().env, act, nodeInput({ fail: true })));
  expect(failure.details).toEqual([{ mine: true }]);
});
