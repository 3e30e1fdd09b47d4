/**
 * What the Temporal Web UI shows (issue 18 item 8), asserted through the Temporal API the UI
 * reads: a run's static summary (`<pipeline> · <version>`, `unsaved · <hash>` for a document)
 * and details (inputs and params first), its current details counting skipped and failed steps,
 * the registry entity's summary and details, and the runs-only list query the printed links use.
 */
import { randomBytes } from 'node:crypto';
import { defineSearchAttributeKey } from '@temporalio/common';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { RUNS_QUERY, runsListUrl } from '../../src/client/webUi';
import { SEARCH_ATTRIBUTES } from '../../src/protocol/searchAttributes';
import { registryWorkflowId } from '../../src/protocol/messages/registryMessages';
import { eventually } from '../support/eventually';
import { sharedTestEnv, startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

let h: PipelineHarness;
let client: PipelinesClient;

beforeAll(async () => {
  h = await startPipelineHarness();
  client = await connect({ address: sharedTestEnv().address, taskQueue: h.taskQueue });
});
afterAll(async () => {
  await client?.close();
  await h?.close();
});

/** Seven steps; `urgent` is false, so its two `on_true` steps are skipped. */
const triage = (name: string, pause = '1ms') => ({
  name,
  params: { tone: { type: 'string', default: 'friendly' } },
  steps: [
    { id: 'ticket', action: 'input', params: { name: 'ticket', type: 'string' } },
    { id: 'classify', action: 'transform', params: { value: '{{ inputs.ticket }}' }, depends_on: ['ticket'] },
    {
      id: 'urgent',
      action: 'condition',
      params: { condition: 'false', on_true: ['page_oncall', 'escalate'], on_false: ['reply'] },
      depends_on: ['classify'],
    },
    { id: 'page_oncall', action: 'transform', params: { value: 'page' }, depends_on: ['urgent'] },
    { id: 'escalate', action: 'transform', params: { value: 'escalate' }, depends_on: ['urgent'] },
    {
      id: 'reply',
      action: 'transform',
      params: { value: 'a {{ params.tone }} reply' },
      depends_on: ['urgent'],
    },
    { id: 'pause', action: 'delay', params: { duration: pause }, depends_on: ['reply'] },
  ],
});

const currentDetails = async (taskId: string) =>
  (await client.temporal.workflow.getHandle(taskId).query(workflowMetadataQuery)).currentDetails;

test('an unsaved run: summary `<name> · unsaved · <hash>`, details with its inputs and params first, skipped steps counted', async () => {
  const name = `ui_unsaved_${randomBytes(3).toString('hex')}`;
  const run = await client.start(triage(name), {
    inputs: { ticket: 'Checkout is down ```for everyone```' },
    params: { tone: 'calm' },
  });
  await run.result();
  const description = await client.temporal.workflow.getHandle(run.taskId).describe();

  const summary = await description.staticSummary();
  expect(summary).toMatch(new RegExp(`^${name} · unsaved · [0-9a-f]{12}$`));
  // The search attribute keeps the bare hash, to query by.
  const hash = summary!.split(' · ').pop();
  const version = description.typedSearchAttributes.get(
    defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineVersion.name, 'KEYWORD'),
  );
  expect(version).toBe(hash);

  const details = (await description.staticDetails())!;
  expect(details.startsWith(`**Pipeline run** \` ${name} \` · version unsaved · ${hash}`)).toBe(true);
  const inputsAt = details.indexOf('**Inputs**');
  const paramsAt = details.indexOf('**Params**');
  expect(inputsAt).toBeGreaterThan(0);
  expect(paramsAt).toBeGreaterThan(inputsAt);
  // The input's backticks cannot close the fence around it.
  expect(details).toContain('````json\n{\n  "ticket": "Checkout is down ```for everyone```"\n}\n````');
  expect(details.slice(paramsAt)).toContain('"tone": "calm"');

  expect(await currentDetails(run.taskId)).toBe('100% · 5 of 7 done · 2 skipped');

  // The recorded input (the run page's Input) opens on the user's values, then the plan.
  const history = await client.temporal.workflow.getHandle(run.taskId).fetchHistory();
  const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  const recorded = JSON.parse(Buffer.from(payload.data!).toString('utf8')) as Record<string, unknown>;
  expect(Object.keys(recorded).slice(0, 3)).toEqual(['inputs', 'params', 'plan']);
  expect(recorded.inputs).toEqual({ ticket: 'Checkout is down ```for everyone```' });
});

test('a failed step is counted in the current details', async () => {
  const run = await client.start({
    name: `ui_failed_${randomBytes(3).toString('hex')}`,
    steps: [
      { id: 'ok', action: 'transform', params: { value: 1 } },
      {
        id: 'bad',
        action: 'api_call',
        params: { url: 'http://127.0.0.1:1/refused' },
        retry: { max_attempts: 1 },
        allow_failure: true,
      },
    ],
  });
  await run.result().catch(() => undefined);
  expect(await currentDetails(run.taskId)).toBe('100% · 1 of 2 done · 1 failed');
});

test("a saved pipeline's run shows its version number; its registry entity says what it is; the runs query lists runs only", async () => {
  const name = `ui_saved_${randomBytes(3).toString('hex')}`;
  await client.pipelines.save({ name, definition: triage(name, '60s'), deploy: true });
  const run = await client.startSaved(name, { inputs: { ticket: 'slow mail' } });
  try {
    const runDescription = await client.temporal.workflow.getHandle(run.taskId).describe();
    expect(await runDescription.staticSummary()).toBe(`${name} · 1`);
    expect(await runDescription.staticDetails()).toContain('version 1');
    const waiting = await eventually(
      () => currentDetails(run.taskId),
      (d) => d?.includes('running: pause') === true,
    );
    expect(waiting).toBe('85% · 4 of 7 done · 2 skipped · running: pause');

    const registry = await client.temporal.workflow.getHandle(registryWorkflowId(name)).describe();
    expect(registry.type).toBe('pipelineRegistry');
    expect(registry.status.name).toBe('RUNNING');
    expect(await registry.staticSummary()).toBe(`pipeline registry · ${name} (saved versions; not a run)`);
    const registryDetails = await registry.staticDetails();
    expect(registryDetails).toContain('is not a run');
    expect(registryDetails).toContain(`${RUNS_QUERY} AND PipelineName = "${name}"`);

    // Both are Running on this task queue; the runs-only query (the printed links' query) shows the run alone.
    const running = `TaskQueue = "${h.taskQueue}" AND ExecutionStatus = "Running"`;
    const ids = async (query: string) => {
      const found: string[] = [];
      for await (const w of client.temporal.workflow.list({ query })) found.push(w.workflowId);
      return found.sort();
    };
    const everything = await eventually(
      () => ids(running),
      (found) => found.length >= 2,
    );
    expect(everything).toEqual([registryWorkflowId(name), run.taskId].sort());
    expect(await ids(`${RUNS_QUERY} AND ${running}`)).toEqual([run.taskId]);
  } finally {
    await run.terminate('web UI test done').catch(() => undefined);
    await client.pipelines.delete(name);
  }
});

test('the printed list link carries the runs-only query, URL-encoded', () => {
  const url = new URL(runsListUrl('http://localhost:8233/', 'my ns', 'a"b'));
  expect(url.pathname).toBe('/namespaces/my%20ns/workflows');
  expect(url.searchParams.get('query')).toBe('WorkflowType = "runPipeline" AND PipelineName = "a\\"b"');
  expect(runsListUrl('http://localhost:8233', 'default')).toBe(
    'http://localhost:8233/namespaces/default/workflows?query=WorkflowType%20%3D%20%22runPipeline%22',
  );
});
