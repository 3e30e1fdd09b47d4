/**
 * The package (issue 7 item 6): `npm run build` and `npm pack` make a tarball with `dist/`, type
 * declarations, the prebuilt workflow bundle and an `exports` map; installed into a fresh project,
 * a small TypeScript program compiles against its types (which are real: a wrong call fails to
 * compile) and runs a pipeline against a local Temporal server. Slow (a build and an npm install),
 * so it lives with the chaos tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalServer, type LocalServer } from '../../src/dev/localServer';

const ROOT = path.join(__dirname, '..', '..');
const ownPackage = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

const PROGRAM = `
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { connect, defineAction, type RunSnapshot } from 'temporal-pipelines';
import { createPipelineWorker } from 'temporal-pipelines/worker';

const shout = defineAction({
  name: 'shout',
  params: z.object({ text: z.string() }),
  run: ({ text }) => Promise.resolve({ loud: text.toUpperCase() }),
});

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS!;
  const taskQueue = process.env.TASK_QUEUE!;
  const worker = await createPipelineWorker({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    activities: { actions: [shout] },
  });
  const client = await connect({ address, taskQueue, actions: [shout] });
  const snapshot: RunSnapshot | undefined = await worker.runUntil(async () => {
    const run = await client.start(
      {
        name: 'packaged',
        steps: [
          { id: 'who', action: 'input', params: { type: 'string' } },
          { id: 'greet', action: 'transform', params: { expression: '"hello " + steps.who.output.value' } },
          { id: 'loud', action: 'shout', params: { text: '{{ steps.greet.output }}' } },
          { id: 'out', action: 'output', params: { name: 'greeting', value: '{{ steps.loud.output.loud }}' } },
        ],
      },
      { inputs: { who: 'world' } },
    );
    await run.result();
    return (await run.runStatus()).snapshot;
  });
  console.log(JSON.stringify({ outputs: snapshot?.outputs, steps: Object.keys(snapshot?.nodes ?? {}) }));
  await client.close();
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
`;

/** Must not compile: proves the package's types are real, not \`any\`. */
const WRONG_USE = `
import { connect } from 'temporal-pipelines';
// @ts-expect-error address is a string
void connect({ address: 7233 });
`;

let server: LocalServer;
let dir: string;

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('the packed package installs, type-checks and runs a pipeline in a fresh project', async () => {
  server = await startLocalServer({ uiPort: false });
  dir = mkdtempSync(path.join(os.tmpdir(), 'pipelines-package-'));
  const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) => {
    try {
      return execFileSync(command, args, {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, ...env },
        stdio: 'pipe',
      });
    } catch (err) {
      const { stdout, stderr } = err as { stdout?: string; stderr?: string };
      throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`, {
        cause: err,
      });
    }
  };

  run('npm', ['run', 'build'], ROOT);
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], ROOT)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const files = packed!.files.map((f) => f.path);
  expect(files).toEqual(
    expect.arrayContaining([
      'package.json',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/worker.js',
      'dist/worker.d.ts',
      'dist/workflow-bundle.js',
      'dist/workflow-bundle-encoded-failures.js',
    ]),
  );
  expect(files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md')).toEqual(
    [],
  );

  const project = path.join(dir, 'app');
  execFileSync('mkdir', ['-p', path.join(project, 'src')]);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({
      name: 'packaged-app',
      private: true,
      dependencies: {
        [ownPackage.name]: `file:${path.join(dir, packed!.filename)}`,
        '@temporalio/worker': ownPackage.dependencies['@temporalio/worker'],
        zod: ownPackage.dependencies.zod,
      },
      devDependencies: {
        typescript: ownPackage.devDependencies.typescript,
        '@types/node': ownPackage.devDependencies['@types/node'],
      },
    }),
  );
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        // As \`tsc --init\` writes it: @temporalio/common's declarations import the untyped 'ms'.
        skipLibCheck: true,
        outDir: 'dist',
        rootDir: 'src',
        types: ['node'],
      },
      include: ['src'],
    }),
  );
  writeFileSync(path.join(project, 'src', 'app.ts'), PROGRAM);
  writeFileSync(path.join(project, 'src', 'wrongUse.ts'), WRONG_USE);
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project);

  const tsc = path.join(project, 'node_modules', 'typescript', 'bin', 'tsc');
  run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
  // Without its @ts-expect-error, the wrong call is a compile error naming the parameter.
  writeFileSync(
    path.join(project, 'src', 'wrongUse.ts'),
    WRONG_USE.replace('// @ts-expect-error address is a string\n', ''),
  );
  let compileErrors = '';
  try {
    run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], project);
  } catch (err) {
    compileErrors = (err as Error).message;
  }
  expect(compileErrors).toMatch(/wrongUse\.ts.*Type 'number' is not assignable to type 'string'/s);

  // The CLI comes with it, on the project's PATH as npm scripts see it.
  const help = run(path.join(project, 'node_modules', '.bin', 'tpipe'), ['--help'], project);
  expect(help).toMatch(/^Usage: tpipe /m);
  writeFileSync(
    path.join(project, 'pipeline.yaml'),
    'name: p\nsteps:\n  - id: a\n    action: transform\n    params: { expression: "1 + 1" }\n',
  );
  expect(
    run(path.join(project, 'node_modules', '.bin', 'tpipe'), ['validate', 'pipeline.yaml'], project),
  ).toContain('valid: p, 1 steps');

  const output = run(process.execPath, ['dist/app.js'], project, {
    TEMPORAL_ADDRESS: server.address,
    TASK_QUEUE: 'packaged',
  });
  expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({
    outputs: { greeting: 'HELLO WORLD' },
    steps: ['who', 'greet', 'loud', 'out'],
  });
}, 600_000);
