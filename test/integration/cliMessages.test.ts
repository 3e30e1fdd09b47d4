/**
 * `tpipe`'s not-found and already-exists messages as a user reads them: they name what was
 * looked for (a saved pipeline, a file) and the next command to try.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');

let h: PipelineHarness;
let dir: string;

beforeAll(async () => {
  h = await startPipelineHarness();
  mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  dir = mkdtempSync(path.join(ROOT, '.tmp', 'tpipe-messages-'));
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `tpipe <args>` against the shared server and this file's task queue. */
function tpipe(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = sharedTestEnv();
  const argv = ['--address', env.address, '--namespace', env.namespace, '--task-queue', h.taskQueue, ...args];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...argv],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

test('pipelines get of an unknown name: no saved pipeline, and how to list or create one', async () => {
  const result = await tpipe('pipelines', 'get', 'nosuch');
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(
    'error: No saved pipeline named nosuch in namespace default. List the saved pipelines with ' +
      '`tpipe pipelines list`, or save one with `tpipe pipelines create <file>`.\n',
  );
});

test('run of a name that is neither a file nor a saved pipeline says it looked for both', async () => {
  const result = await tpipe('run', 'nosuch');
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(
    'error: No file nosuch and no saved pipeline named nosuch in namespace default. Give the path of ' +
      'a pipeline file (.yaml or .json), or list the saved pipelines with `tpipe pipelines list`, or ' +
      'save one with `tpipe pipelines create <file>`.\n',
  );
});

test('pipelines create of a name already taken points to pipelines update', async () => {
  const name = `taken_${Date.now()}`;
  writeFileSync(
    path.join(dir, 'p.yaml'),
    `name: ${name}\nsteps:\n  - id: a\n    action: transform\n    params: { value: 1 }\n`,
  );
  expect((await tpipe('pipelines', 'create', 'p.yaml')).code).toBe(0);
  const again = await tpipe('pipelines', 'create', 'p.yaml');
  expect(again.code).toBe(1);
  expect(again.stderr).toBe(
    `error: A pipeline named ${name} exists already. To save p.yaml as its next version: ` +
      `\`tpipe pipelines update ${name} p.yaml\`\n`,
  );
  const deleted = await tpipe('pipelines', 'delete', name);
  expect(deleted.code).toBe(0);
});
