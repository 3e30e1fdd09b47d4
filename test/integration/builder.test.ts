/**
 * The typed builder against the local server: the reference guides' fetch-or-new idiom, save and
 * deploy, start / result / run, tags and timeouts, terminate from another process, pinned versions.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect, type PipelinesClient } from '../../src/client/connect';
import {
  AlreadyExistsError,
  NotFoundError,
  PipelineRunFailedError,
  PipelineValidationError,
  PollTimeoutError,
} from '../../src/client/errors';
import { Pipeline } from '../../src/client/pipelines/pipeline';
import { compile, template } from '../../src/model';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';
import { startOfflineModel, type OfflineModel } from '../../src/dev/offlineModel';
import { eventually } from '../support/eventually';

let h: PipelineHarness;
let llm: OfflineModel;
let client: PipelinesClient;

beforeAll(async () => {
  llm = await startOfflineModel();
  h = await startPipelineHarness({ providers: { openai: { baseURL: llm.baseURL, apiKey: 'test-key' } } });
  client = await connect({ address: sharedTestEnv().address, taskQueue: h.taskQueue });
});
afterAll(async () => {
  await client?.close();
  await h?.close();
  await llm?.close();
});
beforeEach(() => llm.reset());

let counter = 0;
const uniqueName = (base: string) => `${base}-${Date.now()}-${++counter}`;

/** The reference guides' "create or update" script, as TypeScript. */
async function defineSummariser(name: string, model = 'gpt-5.1') {
  let pipeline: Pipeline<{ input_0: string }>;
  try {
    pipeline = await Pipeline.fetch({ name, client });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    pipeline = await Pipeline.new({ name, client });
  }
  const inp = pipeline.add({ name: 'input_0' }).input({ inputType: 'string' });
  const llmNode = pipeline.add({ name: 'llm' }).llm({ provider: 'openai', model, prompt: inp.text });
  pipeline.add({ name: 'output_0' }).output({ outputType: 'string', value: llmNode.response });
  const saved = await pipeline.save({ deploy: true });
  return { pipeline, saved };
}

test('fetch-or-new then add is idempotent: the second script run makes no new version', async () => {
  const name = uniqueName('bg_summariser');
  const first = await defineSummariser(name);
  expect(first.saved).toMatchObject({ version: 1, created: true });
  expect(first.pipeline.id).toBe(`pipeline:${name}`);
  expect(first.pipeline.version).toBe(1);

  const second = await defineSummariser(name);
  expect(second.saved).toMatchObject({ version: 1, created: false });
  expect(second.pipeline.nodeNames).toEqual(['input_0', 'llm', 'output_0']);
  expect(second.pipeline.toJSON()).toEqual(first.pipeline.toJSON());
  expect((await client.pipelines.get(name)).deployedVersion).toBe(1);

  const third = await defineSummariser(name, 'gpt-4o');
  expect(third.saved).toMatchObject({ version: 2, created: true });
});

test('Pipeline.new refuses a taken name; fetch of an unknown name is NotFoundError', async () => {
  const name = uniqueName('taken');
  await defineSummariser(name);
  await expect(Pipeline.new({ name, client })).rejects.toBeInstanceOf(AlreadyExistsError);
  await expect(Pipeline.fetch({ name: uniqueName('missing'), client })).rejects.toBeInstanceOf(NotFoundError);
});

test('save() rejects an invalid pipeline with the compiler issues and stores nothing', async () => {
  const name = uniqueName('invalid');
  const pipeline = await Pipeline.new({ name, client });
  const q = pipeline.add({ name: 'q' }).input({ inputType: 'string' });
  pipeline.add({ name: 'ask' }).llm({ prompt: template`${q.text} {{ steps.q.output.nope + }}` });
  const err = await pipeline.save().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineValidationError);
  const compiled = compile(pipeline.definition);
  expect((err as PipelineValidationError).issues).toEqual(compiled.ok ? [] : compiled.issues);
  expect((err as PipelineValidationError).issues[0]).toMatchObject({
    code: 'invalid_template',
    stepId: 'ask',
  });
  await expect(Pipeline.fetch({ name, client })).rejects.toBeInstanceOf(NotFoundError);
});

test('start returns a handle at once; result polls to the outputs; run() starts and waits', async () => {
  const { pipeline } = await defineSummariser(uniqueName('bg'));
  llm.script({ reply: 'Space is big.', delayMs: 300 });
  const handle = await pipeline.start({ inputs: { input_0: 'Tell me a fun fact about space.' } });
  expect(handle.taskId).toMatch(/^bg-/);
  expect(handle.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(['pending', 'running']).toContain((await handle.runStatus()).status);
  expect(await handle.result({ pollInterval: '50ms', timeout: '20s' })).toEqual({
    status: 'completed',
    outputs: { output_0: 'Space is big.' },
  });
  expect(llm.chatRequests()[0]!.body).toMatchObject({
    model: 'gpt-5.1',
    messages: [{ role: 'user', content: 'Tell me a fun fact about space.' }],
  });

  expect(await pipeline.run({ inputs: { input_0: 'again' } })).toEqual({
    status: 'completed',
    outputs: { output_0: 'echo: again' },
  });
});

test('result() past its timeout throws PollTimeoutError and leaves the run going', async () => {
  const { pipeline } = await defineSummariser(uniqueName('poll'));
  llm.script({ reply: 'late', delayMs: 1500 });
  const handle = await pipeline.start({ inputs: { input_0: 'slow' } });
  const err = await handle.result({ pollInterval: 50, timeout: 300 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PollTimeoutError);
  expect((err as PollTimeoutError).taskId).toBe(handle.taskId);
  expect((await handle.runStatus()).status).toBe('running');
  expect(await handle.result()).toEqual({ status: 'completed', outputs: { output_0: 'late' } });
});

test('inputs are checked against the input nodes, and unsaved edits refuse to start; nothing starts', async () => {
  const name = uniqueName('checked');
  const { pipeline } = await defineSummariser(name);
  const bad = await pipeline
    .start({ inputs: { input_0: 42 } as unknown as { input_0: string } })
    .catch((e: unknown) => e);
  expect(bad).toBeInstanceOf(PipelineValidationError);
  expect((bad as PipelineValidationError).issues).toEqual([
    expect.objectContaining({ code: 'invalid_type', path: ['inputs', 'input_0'] }),
  ]);

  pipeline.add({ name: 'note' }).log({ message: 'new step' });
  expect(pipeline.hasUnsavedChanges).toBe(true);
  const unsaved = await pipeline.start({ inputs: { input_0: 'x' } }).catch((e: unknown) => e);
  expect((unsaved as PipelineValidationError).issues[0]?.code).toBe('unsaved_changes');
  expect(llm.chatRequests()).toHaveLength(0);
  const runs = await client.temporal.workflow.count(`PipelineName = '${name}'`);
  expect(runs.count).toBe(0);
});

test('tags are searchable; a run past its own timeout ends timed_out', async () => {
  const name = uniqueName('tagged');
  const { pipeline } = await defineSummariser(name);
  llm.script({ reply: 'never in time', delayMs: 5000 });
  const tag = `batch-${counter}`;
  const handle = await pipeline.start({ inputs: { input_0: 'x' }, tags: [tag, 'nightly'], timeout: '1s' });
  const found = await eventually(
    () => client.temporal.workflow.count(`PipelineTags = '${tag}' AND PipelineTags = 'nightly'`),
    (c) => c.count === 1,
  );
  expect(found.count).toBe(1);
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineRunFailedError);
  expect(err).toMatchObject({ status: 'timed_out' });
  expect((await handle.runStatus()).status).toBe('timed_out');
  await expect(pipeline.start({ inputs: { input_0: 'x' }, tags: [''] })).rejects.toBeInstanceOf(
    PipelineValidationError,
  );
});

test('terminate by id from another process, terminate and cancel through the handle', async () => {
  const name = uniqueName('terminate_example');
  const { pipeline } = await defineSummariser(name);
  llm.script({ hang: true }, { hang: true }, { hang: true });

  const byId = await pipeline.start({ inputs: { input_0: 'Write a 500 word essay.' } });
  await llm.waitForChatRequests(1);
  const child = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'test/support/terminateFromAnotherProcess.ts', name, byId.taskId],
    { env: { ...process.env, TEMPORAL_ADDRESS: sharedTestEnv().address, TEMPORAL_TASK_QUEUE: h.taskQueue } },
  );
  const reported = JSON.parse(child.stdout) as { pid: number; status: string };
  expect(reported.pid).not.toBe(process.pid);
  expect(reported.status).toBe('terminated');
  expect((await byId.runStatus()).status).toBe('terminated');

  const viaHandle = await pipeline.start({ inputs: { input_0: 'Another essay.' } });
  await llm.waitForChatRequests(2);
  await viaHandle.terminate();
  expect((await viaHandle.runStatus()).status).toBe('terminated');
  const ended = await viaHandle.result().catch((e: unknown) => e);
  expect(ended).toBeInstanceOf(PipelineRunFailedError);
  expect(ended).toMatchObject({ status: 'terminated' });
  expect((ended as Error).message).toMatch(/^Run \S+ was terminated: /);

  const cancelled = await pipeline.start({ inputs: { input_0: 'A third essay.' } });
  await llm.waitForChatRequests(3);
  await cancelled.cancel();
  const afterCancel = await eventually(
    () => cancelled.runStatus(),
    (s) => s.status === 'cancelled',
  );
  expect(afterCancel.status).toBe('cancelled');
  expect(afterCancel.nodes.llm?.status).toBe('cancelled');
});

test('a run keeps its version while the pipeline is edited, saved and deployed', async () => {
  const name = uniqueName('pinned');
  const { pipeline } = await defineSummariser(name);
  llm.script({ reply: 'from v1', delayMs: 800 });
  const inFlight = await pipeline.start({ inputs: { input_0: 'x' } });
  await llm.waitForChatRequests(1);

  const edit = await Pipeline.fetch<{ input_0: string }>({ name, client });
  const answer = edit.add({ name: 'llm' }).llm({ model: 'gpt-4o', prompt: 'ignore the input' });
  edit.add({ name: 'output_0' }).output({ outputType: 'string', value: template`v2: ${answer.response}` });
  expect(await edit.save({ deploy: true })).toMatchObject({ version: 2 });

  expect(await inFlight.result()).toEqual({ status: 'completed', outputs: { output_0: 'from v1' } });
  expect((await inFlight.runStatus()).snapshot?.pipelineVersion).toBe('1');
  const next = await (await Pipeline.fetch({ name, client })).run({ inputs: { input_0: 'y' } });
  expect(next.outputs).toEqual({ output_0: 'v2: echo: ignore the input' });
});

test('an output whose value does not have its declared type fails the run at that node', async () => {
  const name = uniqueName('typed_output');
  const pipeline = await Pipeline.new({ name, client });
  const q = pipeline.add({ name: 'q' }).input({ inputType: 'string' });
  const call = pipeline.add({ name: 'ask' }).llm({ model: 'gpt-4o-mini', prompt: q.text });
  pipeline.add({ name: 'tokens' }).output({ outputType: 'string', value: call.usage.as<string>() });
  await pipeline.save();
  const err = await pipeline.run({ inputs: { q: 'count me' } }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineRunFailedError);
  expect(err).toMatchObject({ nodeId: 'tokens' });
  expect((err as PipelineRunFailedError).runError).toContain(
    "Output 'tokens' must be a string, got an object",
  );
});
