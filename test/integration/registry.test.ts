/**
 * The pipeline registry in Temporal: validated saves, immutable versions, deploy, pinned runs,
 * delete leaving runs untouched.
 */
import { connect, type PipelinesClient } from '../../src/client/connect';
import { AlreadyExistsError, NotFoundError, PipelineValidationError } from '../../src/client/errors';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { eventually } from '../support/eventually';

let h: PipelineHarness;
let http: HttpRecorder;
let client: PipelinesClient;

beforeAll(async () => {
  http = await startHttpRecorder();
  h = await startPipelineHarness();
  client = await connect({ address: sharedTestEnv().address, taskQueue: h.taskQueue });
});
afterAll(async () => {
  await client?.close();
  await h?.close();
  await http?.close();
});

const greeter = (greeting: string, url?: string) => ({
  name: 'greeter',
  steps: [
    ...(url ? [{ id: 'gate', action: 'api_call', params: { url } }] : []),
    { id: 'say', action: 'transform', params: { value: greeting }, ...(url ? { depends_on: ['gate'] } : {}) },
  ],
});

test('saves make immutable versions with content hashes; an identical save makes none; deploy picks the version runs use', async () => {
  const name = `greeter-${Date.now()}`;
  const v1 = await client.pipelines.save({ name, definition: greeter('hello'), deploy: true });
  expect(v1).toMatchObject({ version: 1, created: true });
  expect(v1.hash).toMatch(/^[0-9a-f]{64}$/);
  expect(await client.pipelines.save({ name, definition: greeter('hello') })).toMatchObject({
    version: 1,
    created: false,
  });
  const v2 = await client.pipelines.save({ name, definition: greeter('bonjour') });
  expect(v2).toMatchObject({ version: 2, created: true });

  const state = await client.pipelines.get(name);
  expect(state.versions.map((v) => v.version)).toEqual([1, 2]);
  expect(state.deployedVersion).toBe(1);
  expect(await (await client.startSaved(name)).result()).toMatchObject({ outputs: { say: 'hello' } });

  await client.pipelines.deploy(name, 2);
  expect(await (await client.startSaved(name)).result()).toMatchObject({ outputs: { say: 'bonjour' } });
  expect(await (await client.startSaved(name, { version: 1 })).result()).toMatchObject({
    outputs: { say: 'hello' },
  });
  await expect(client.pipelines.deploy(name, 9)).rejects.toBeInstanceOf(NotFoundError);
});

test('an invalid definition is rejected before it is stored', async () => {
  const name = `invalid-${Date.now()}`;
  await client.pipelines.save({ name, definition: greeter('ok') });
  const bad = { steps: [{ id: 'a', action: 'log', params: { message: '{{ steps.nope.output }}' } }] };
  const err = await client.pipelines.save({ name, definition: bad }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineValidationError);
  expect((err as PipelineValidationError).issues).toEqual(
    expect.arrayContaining([expect.objectContaining({ code: 'unknown_step' })]),
  );
  expect((await client.pipelines.get(name)).versions).toHaveLength(1);
});

test('a run keeps the version it started with while the pipeline is edited and redeployed', async () => {
  const name = `pinned-${Date.now()}`;
  http.route('/gate', { delayMs: 1000, json: {} });
  await client.pipelines.save({ name, definition: greeter('first', http.url('/gate')), deploy: true });
  const run = await client.startSaved(name);
  await http.waitForRequests('/gate', 1);
  await client.pipelines.save({ name, definition: greeter('second', http.url('/gate')), deploy: true });
  expect(await run.result()).toMatchObject({ outputs: { say: 'first' } });
  expect((await run.runStatus()).snapshot?.pipelineVersion).toBe('1');
});

test('delete ends the pipeline and leaves its runs readable', async () => {
  const name = `doomed-${Date.now()}`;
  await client.pipelines.save({ name, definition: greeter('bye'), deploy: true });
  const run = await client.startSaved(name);
  await run.result();
  await client.pipelines.delete(name);
  await expect(client.pipelines.get(name)).rejects.toBeInstanceOf(NotFoundError);
  await expect(client.startSaved(name)).rejects.toBeInstanceOf(NotFoundError);
  expect((await run.runStatus()).status).toBe('completed');
  await expect(client.pipelines.get('never-saved-pipeline')).rejects.toBeInstanceOf(NotFoundError);
  // Its registry workflow has ended (nothing left running), and the name is free again.
  const entity = await client.temporal.workflow.getHandle(`pipeline:${name}`).describe();
  expect(entity.status.name).toBe('COMPLETED');
  const again = await client.pipelines.create({ name, definition: greeter('hello again') });
  expect(again.currentVersion).toBe(1);
  await client.pipelines.delete(name);
});

test('list() finds saved pipelines by name through visibility, with memo details and paging, and forgets deleted ones', async () => {
  const stamp = Date.now();
  await client.pipelines.save({ name: `listed-a-${stamp}`, definition: greeter('a') });
  await client.pipelines.save({ name: `listed-b-${stamp}`, definition: greeter('b'), deploy: true });
  const listed = () => client.pipelines.list({ nameContains: `-${stamp}` });
  const both = await eventually(listed, (found) => found.length === 2 && found[1]?.deployedVersion === 1);
  expect(both.map((p) => [p.id, p.name, p.currentVersion, p.deployedVersion])).toEqual([
    [`pipeline:listed-a-${stamp}`, `listed-a-${stamp}`, 1, undefined],
    [`pipeline:listed-b-${stamp}`, `listed-b-${stamp}`, 1, 1],
  ]);
  expect(
    (await client.pipelines.list({ nameContains: `-${stamp}`, offset: 1, limit: 1 })).map((p) => p.name),
  ).toEqual([`listed-b-${stamp}`]);
  await client.pipelines.delete(`listed-a-${stamp}`);
  const names = await eventually(listed, (found) => found.length === 1);
  expect(names.map((p) => p.name)).toEqual([`listed-b-${stamp}`]);
});

test('create / get / update / delete: metadata updates make no version, renames move the pipeline', async () => {
  const name = `crud-${Date.now()}`;
  const created = await client.pipelines.create({ name, description: 'Greets', definition: greeter('hi') });
  expect(created).toMatchObject({
    id: `pipeline:${name}`,
    name,
    description: 'Greets',
    currentVersion: 1,
    deployedVersion: 1,
    stepCount: 1,
    definition: greeter('hi'),
  });
  await expect(client.pipelines.create({ name, definition: greeter('hi') })).rejects.toBeInstanceOf(
    AlreadyExistsError,
  );
  expect((await client.pipelines.get(`pipeline:${name}`)).name).toBe(name);

  const described = await client.pipelines.update({ pipelineId: name, description: 'Greets politely' });
  expect(described).toMatchObject({ description: 'Greets politely', currentVersion: 1 });
  expect(Date.parse(described.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));

  const redefined = await client.pipelines.update({
    pipelineId: `pipeline:${name}`,
    definition: greeter('hello'),
  });
  expect(redefined).toMatchObject({ currentVersion: 2, deployedVersion: 2, definition: greeter('hello') });
  const run = await client.startSaved(name);
  expect((await run.result()).outputs).toEqual({ say: 'hello' });

  const renamed = await client.pipelines.update({ pipelineId: name, name: `${name}-v2` });
  expect(renamed).toMatchObject({
    id: `pipeline:${name}-v2`,
    name: `${name}-v2`,
    description: 'Greets politely',
    currentVersion: 2,
    deployedVersion: 2,
    createdAt: created.createdAt,
  });
  expect(renamed.versions.map((v) => v.version)).toEqual([1, 2]);
  await expect(client.pipelines.get(name)).rejects.toThrow(/renamed to/);
  // The old name is free again; renaming onto a taken name is refused.
  await client.pipelines.create({ name, definition: greeter('again') });
  await expect(client.pipelines.update({ pipelineId: name, name: `${name}-v2` })).rejects.toBeInstanceOf(
    AlreadyExistsError,
  );

  await client.pipelines.delete({ pipelineId: `${name}-v2` });
  await expect(client.pipelines.get(`${name}-v2`)).rejects.toBeInstanceOf(NotFoundError);
  expect((await client.runs.get(run.taskId).runStatus()).status).toBe('completed');
  await expect(client.pipelines.delete(`${name}-v2`)).rejects.toBeInstanceOf(NotFoundError);
});

test('a save that would take the stored versions over the size budget is refused; earlier versions stay', async () => {
  const name = `big-${Date.now()}`;
  const big = (i: number) => ({
    name,
    steps: [{ id: 'say', action: 'log', params: { message: `${i} ${'x'.repeat(300_000)}` } }],
  });
  const saved: number[] = [];
  let refused: unknown;
  for (let i = 0; i < 8 && refused === undefined; i++) {
    await client.pipelines.save({ name, definition: big(i) }).then(
      (r) => saved.push(r.version),
      (err: unknown) => (refused = err),
    );
  }
  expect(refused).toBeInstanceOf(PipelineValidationError);
  expect((refused as PipelineValidationError).issues[0]!.message).toMatch(/over the 1500000-byte budget/);
  expect(saved).toEqual([1, 2, 3, 4]);
  expect((await client.pipelines.get(name)).versions).toHaveLength(4);
});
