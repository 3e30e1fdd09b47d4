/**
 * Retrying a run against a fake Temporal client holding one old run: what the retry starts with
 * (the old plan, inputs, params and limits; a fresh trace; no carried state), which completed steps
 * `fromFailedStep` reuses (and which a changed param takes away), what it refuses, and where and
 * under which id `retryRun` starts it.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { NotFoundError } from '../../../src/client/errors';
import { prepareRetry, retryRun, retryWorkflowId } from '../../../src/client/runs/retryRun';
import { PipelineValidationError } from '../../../src/model';
import { compileOrThrow } from '../../../src/model/compiler/compiler';
import { packPlan } from '../../../src/model/plan/planWire';
import type { RunPipelineInput } from '../../../src/protocol/messages/runMessages';

const OLD_ID = 'triage-4711';
const OLD_TRACE = 'a'.repeat(32);

/** topic (input) → a (fixed) → b (reads params.env) → c (failed); d reads params.n, depends on a. */
const plan = packPlan(
  compileOrThrow({
    name: 'triage',
    params: { env: { type: 'string', default: 'dev' }, n: { type: 'integer', default: 1 } },
    steps: [
      { id: 'topic', action: 'input', params: { type: 'string' } },
      { id: 'a', action: 'transform', params: { value: '{{ steps.topic.output.value }}' } },
      { id: 'b', action: 'transform', params: { value: '{{ steps.a.output }}-{{ params.env }}' } },
      { id: 'c', action: 'transform', params: { expression: 'steps.b.output + 1' } },
      { id: 'd', action: 'transform', params: { expression: 'params.n * 2' }, depends_on: ['a'] },
    ],
  }),
);

const oldInput: RunPipelineInput = {
  plan,
  params: { env: 'dev', n: 1 },
  inputs: { topic: 'cats' },
  traceId: OLD_TRACE,
  pipelineVersion: '3',
  maxParallelism: 4,
  callbacks: { onFailure: 'https://hooks.example.com/failed' },
  budget: { maxTokens: 100, maxCost: 2 },
  // A continuation's state: a retry starts from the first input, never from this.
  carried: { continuations: 1 } as unknown as RunPipelineInput['carried'],
};

/** The old run's final status: topic, a, b and d completed; c failed. */
const snapshot = {
  status: 'failed',
  nodes: {
    topic: { status: 'completed', output: { value: 'cats' }, attempts: 1 },
    a: { status: 'completed', output: 'cats', attempts: 1 },
    b: {
      status: 'completed',
      output: 'cats-dev',
      attempts: 2,
      usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
    },
    c: { status: 'failed', attempts: 3, error: { code: 'ExpressionError', message: 'no' } },
    d: { status: 'completed', output: 2, attempts: 1 },
  },
};

interface Started {
  type: string;
  options: { workflowId: string; taskQueue: string; args: [RunPipelineInput] };
}

/** A Temporal client with the old run (type `type`) in it; `started` collects `workflow.start` calls. */
function fakeTemporal(type = 'runPipeline') {
  const started: Started[] = [];
  const handle = {
    describe: () =>
      Promise.resolve({
        type,
        runId: 'old-run-id',
        taskQueue: 'old-queue',
        typedSearchAttributes: {
          get: (key: { name: string }) => (key.name === 'PipelineTags' ? ['nightly'] : undefined),
        },
      }),
    fetchHistory: () =>
      Promise.resolve({
        events: [
          {
            workflowExecutionStartedEventAttributes: {
              input: { payloads: [defaultPayloadConverter.toPayload(oldInput)] },
            },
          },
        ],
      }),
    query: () => Promise.resolve(snapshot),
  };
  const temporal = {
    options: {
      loadedDataConverter: { payloadConverter: defaultPayloadConverter, payloadCodecs: [] },
    },
    workflow: {
      getHandle: () => handle,
      start: (workflowType: string, options: Started['options']) => {
        started.push({ type: workflowType, options });
        return Promise.resolve({
          workflowId: options.workflowId,
          firstExecutionRunId: 'new-run-id',
          result: () => Promise.resolve(undefined),
        });
      },
    },
  } as unknown as Client;
  return { temporal, started };
}

test("a retry starts from the old run's first input: same plan, inputs, params, version and limits; a new trace; nothing reused", async () => {
  const input = await prepareRetry(fakeTemporal().temporal, OLD_ID);
  const { carried: _carried, traceId: _traceId, ...same } = oldInput;
  expect(input).toEqual({ ...same, traceId: input.traceId, resume: { retryOf: OLD_ID, reuse: {} } });
  expect(input.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(input.traceId).not.toBe(OLD_TRACE);
  expect(input).not.toHaveProperty('carried');
});

test('fromFailedStep reuses the completed steps with their outputs, attempts and usage, not the failed one', async () => {
  const input = await prepareRetry(fakeTemporal().temporal, OLD_ID, { fromFailedStep: true });
  expect(input.resume).toEqual({
    retryOf: OLD_ID,
    reuse: {
      topic: { output: { value: 'cats' }, attempts: 1 },
      a: { output: 'cats', attempts: 1 },
      b: { output: 'cats-dev', attempts: 2, usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 } },
      d: { output: 2, attempts: 1 },
    },
  });
});

test('a changed param is merged over the old ones, and the steps that read it are not reused', async () => {
  const input = await prepareRetry(fakeTemporal().temporal, OLD_ID, {
    fromFailedStep: true,
    params: { env: 'prod' },
  });
  expect(input.params).toEqual({ env: 'prod', n: 1 });
  // b reads params.env: it runs again (and c after it); d reads only n, which did not change.
  expect(Object.keys(input.resume!.reuse).sort()).toEqual(['a', 'd', 'topic']);
});

test("a budget is merged field by field over the old run's", async () => {
  const input = await prepareRetry(fakeTemporal().temporal, OLD_ID, { budget: { maxTokens: 500 } });
  expect(input.budget).toEqual({ maxTokens: 500, maxCost: 2 });
});

test('params that do not fit the declarations are refused, and nothing starts', async () => {
  const { temporal, started } = fakeTemporal();
  await expect(retryRun(temporal, OLD_ID, { params: { n: 'many' } })).rejects.toBeInstanceOf(
    PipelineValidationError,
  );
  expect(started).toEqual([]);
});

test('a workflow that is not a pipeline run cannot be retried', async () => {
  await expect(prepareRetry(fakeTemporal('runMap').temporal, OLD_ID)).rejects.toBeInstanceOf(NotFoundError);
});

test("retryRun starts runPipeline with the retry's input on the old task queue, under <old id>-retry-<8 hex>", async () => {
  const { temporal, started } = fakeTemporal();
  const handle = await retryRun(temporal, OLD_ID, { fromFailedStep: true });
  expect(started).toHaveLength(1);
  const [{ type, options }] = started as [Started];
  expect(type).toBe('runPipeline');
  expect(options.workflowId).toMatch(/^triage-4711-retry-[0-9a-f]{8}$/);
  expect(handle.workflow.workflowId).toBe(options.workflowId);
  expect(options.taskQueue).toBe('old-queue');
  const [input] = options.args;
  expect(input.inputs).toEqual({ topic: 'cats' });
  expect(input.resume?.retryOf).toBe(OLD_ID);
  expect(Object.keys(input.resume!.reuse).sort()).toEqual(['a', 'b', 'd', 'topic']);
});

test('retrying a retry replaces the suffix rather than stacking it', () => {
  const first = retryWorkflowId(OLD_ID);
  expect(retryWorkflowId(first)).toMatch(/^triage-4711-retry-[0-9a-f]{8}$/);
  expect(retryWorkflowId(first)).not.toBe(first);
});
