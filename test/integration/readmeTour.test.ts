/**
 * The README's tour script, copied out of the README literally and run as a user runs it
 * (`npx tsx tour.mts` from the repository root, no build) against the test run's Temporal server
 * and a worker whose `openai` provider is the offline model server: it saves a pipeline, starts
 * a run, streams its tokens, reads its status and result, cancels a second run and deletes what it
 * saved.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';
import { startOfflineModel, type OfflineModel } from '../../src/dev/offlineModel';

const ROOT = path.join(__dirname, '..', '..');

/** The README's ```ts block whose first line is `// <file>`. */
function readmeScript(file: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((b) => b.startsWith(`// ${file}\n`));
  if (!block) throw new Error(`README has no \`\`\`ts block starting with "// ${file}"`);
  return block;
}

let h: PipelineHarness;
let llm: OfflineModel;

beforeAll(async () => {
  llm = await startOfflineModel();
  h = await startPipelineHarness({ providers: { openai: { baseURL: llm.baseURL, apiKey: 'sk-offline' } } });
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
});

test('the tour script in the README runs as written: save, start, stream, status, result, cancel, delete', async () => {
  const dir = path.join(ROOT, '.tmp', 'readme-tour');
  mkdirSync(dir, { recursive: true });
  const script = path.join(dir, 'tour.mts');
  writeFileSync(script, readmeScript('tour.mts'));
  const env = sharedTestEnv();
  // Asynchronously: the worker runs in this process and must keep serving while the script runs.
  const run = await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 90_000,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
    },
  });
  expect(run.stderr).toBe('');
  const out = run.stdout;
  expect(out).toMatch(/^saved tour v\d+$/m);
  expect(out).toMatch(/^task tour-\S+ trace [0-9a-f]{32}$/m);
  expect(out).toContain('[summary] running');
  expect(out).toContain('[summary] completed');
  // The offline model echoes the prompt; its tokens arrive as the `tokens` output streams.
  expect(out).toContain('Summarise in one line: Temporal keeps workflow state durable across crashes.');
  expect(out).toContain('result: completed');
  expect(out).toMatch(/^completed 100% \[.*'summary'.*\]$/m);
  expect(out).toMatch(/chars: \d+/);
  expect(out).toMatch(/^slow run: .*cancel/im);
  // It deleted what it saved.
  const saved = await h.client.workflow.getHandle('pipeline:tour').describe();
  expect(saved.status.name).not.toBe('RUNNING');
  expect(llm.chatRequests()).toHaveLength(1);
}, 120_000);
