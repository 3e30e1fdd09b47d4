/**
 * `tpipe` (issue 7 item 2) as a user runs it: a child process against the shared server, with a
 * worker of this file's own on its task queue. Exit codes, positions of issues in files, JSON
 * output, the live view of a followed run, saved pipelines, executions, graphs.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defineAction } from '../../src/model';
import { eventually, waitUntil } from '../support/eventually';
import { freePort } from '../support/freePort';
import { startHttpRecorder } from '../support/httpRecorder';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';
import { replayTerminal } from '../support/terminalScreen';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');

const double = defineAction({
  name: 'double',
  params: z.object({ n: z.number() }),
  run: ({ n }) => Promise.resolve({ value: n * 2 }),
});

let h: PipelineHarness;
let dir: string;

beforeAll(async () => {
  h = await startPipelineHarness({ actions: [double] });
  // Inside the repository, so `--import tsx` resolves from the CLI's working directory.
  mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  dir = mkdtempSync(path.join(ROOT, '.tmp', 'tpipe-'));
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args` exactly as given; resolves with its exit code and output. */
function runCli(args: string[], env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: dir, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `tpipe <args>` against the shared server and this file's task queue. */
function tpipe(...args: string[]): Promise<CliRun> {
  const env = sharedTestEnv();
  return runCli([
    '--address',
    env.address,
    '--namespace',
    env.namespace,
    '--task-queue',
    h.taskQueue,
    '--action',
    'double',
    ...args,
  ]);
}

const write = (name: string, text: string) => {
  writeFileSync(path.join(dir, name), text);
  return name;
};

const GOOD = `name: cli_double
steps:
  - id: n
    action: input
    params: { type: integer }
  - id: twice
    action: double
    params: { n: "{{ steps.n.output.value }}" }
  - id: big
    action: condition
    params:
      condition: steps.twice.output.value > 10
      on_true: [shout]
  - id: shout
    action: log
    params: { message: "big: {{ steps.twice.output.value }}" }
  - id: out
    action: output
    params: { name: result, value: "{{ steps.twice.output.value }}" }
`;

test('validate: a good file passes; a bad one lists each issue at its line and column; exit codes 0 and 1', async () => {
  const ok = await tpipe('validate', write('good.yaml', GOOD));
  expect(ok).toMatchObject({ code: 0 });
  expect(ok.stdout).toContain('valid: cli_double, 5 steps');

  const bad = write(
    'bad.yaml',
    GOOD.replace('action: double', 'action: dubble').replace(
      'steps.twice.output.value > 10',
      'steps.nope.output > 10',
    ),
  );
  const result = await tpipe('validate', bad);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(
    /^bad\.yaml:7:13 {2}unknown_action {2}Unknown action 'dubble'\. Did you mean 'double'\?.*--action <name>/m,
  );
  expect(result.stdout).toMatch(/^bad\.yaml:\d+:\d+ {2}unknown_step {2}.*nope/m);

  const json = JSON.parse((await tpipe('--json', 'validate', bad)).stdout) as {
    valid: boolean;
    issues: unknown[];
  };
  expect(json.valid).toBe(false);
  expect(json.issues).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ code: 'unknown_action', line: 7, column: 13, stepId: 'twice' }),
    ]),
  );

  const broken = await tpipe('validate', write('broken.json', '{ "name": "x", "steps": [ }'));
  expect(broken.code).toBe(1);
  expect(broken.stdout).toMatch(/^broken\.json:1:\d+ {2}syntax/m);
});

test('pipelines create and update refuse a bad file with each issue at its file:line:col, as validate does', async () => {
  const name = `cli_bad_${Date.now().toString(36)}`;
  const good = GOOD.replace('name: cli_double', `name: ${name}`);
  const bad = write('bad-save.yaml', good.replace('action: double', 'action: dubble'));
  const created = await tpipe('pipelines', 'create', bad);
  expect(created.code).toBe(1);
  expect(created.stderr).toMatch(/^bad-save\.yaml:7:13 {2}unknown_action {2}Unknown action 'dubble'/m);
  expect(created.stderr).not.toMatch(/steps\.1\.action/);
  expect((await tpipe('pipelines', 'get', name)).code).toBe(1); // nothing was saved

  expect((await tpipe('pipelines', 'create', write('good-save.yaml', good))).code).toBe(0);
  try {
    const updated = await tpipe('pipelines', 'update', name, bad);
    expect(updated.code).toBe(1);
    expect(updated.stderr).toMatch(/^bad-save\.yaml:7:13 {2}unknown_action /m);
    expect((await tpipe('--json', 'pipelines', 'get', name)).stdout).toMatch(/"currentVersion": 1/);
  } finally {
    await tpipe('pipelines', 'delete', name);
  }
});

test('validate --json lists the secrets the pipeline needs (names only)', async () => {
  const file = write(
    'secretive.json',
    JSON.stringify({
      name: 'secretive',
      steps: [
        {
          id: 'call',
          action: 'api_call',
          params: {
            url: 'https://api.example.com/x',
            headers: { authorization: 'Bearer {{ secrets.API_TOKEN }}', 'x-db': '{{ secrets.DB_PASSWORD }}' },
          },
        },
      ],
    }),
  );
  const json = JSON.parse((await tpipe('--json', 'validate', file)).stdout) as {
    valid: boolean;
    secrets: string[];
  };
  expect(json).toMatchObject({ valid: true, secrets: ['API_TOKEN', 'DB_PASSWORD'] });
  expect((await tpipe('validate', file)).stdout).toContain('secrets needed: API_TOKEN, DB_PASSWORD');
});

test('run --wait follows a file run with a live view and exits 0 with the outputs; typed --input values', async () => {
  const result = await tpipe('run', write('run.yaml', GOOD), '--input', 'n=21', '--wait');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^Started cli-double-[0-9a-f]+ \(5 steps\)$/m);
  expect(result.stdout).toMatch(/^ {2}completed +twice$/m);
  expect(result.stdout).toMatch(/^ {2}completed +shout$/m);
  expect(result.stdout).toMatch(/^completed\n\{\n {2}"result": 42\n\}$/m);
});

test('on a terminal, run --wait redraws one table in place: each step once, aligned columns, one progress line', async () => {
  // util-linux `script` gives the CLI a pseudo-terminal and copies what it draws to our stdout.
  const env = sharedTestEnv();
  const args = [
    process.execPath,
    '--import',
    'tsx',
    CLI,
    '--address',
    env.address,
    '--namespace',
    env.namespace,
  ];
  args.push(
    '--task-queue',
    h.taskQueue,
    '--action',
    'double',
    'run',
    write('live.yaml', GOOD),
    '-i',
    'n=1',
    '--wait',
  );
  const command = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.NO_COLOR;
  const result = await new Promise<CliRun>((resolve) => {
    execFile(
      'script',
      ['-qfec', command, '/dev/null'],
      { cwd: dir, env: childEnv, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
  expect(result.code).toBe(0);
  const bytes = result.stdout;
  // Redrawn in place: back up over the last frame and clear it, more than once.
  // eslint-disable-next-line no-control-regex -- the escape sequences are what is tested
  const redraws = bytes.match(/\u001b\[\d+F\u001b\[0J/g) ?? [];
  expect(redraws.length).toBeGreaterThan(1);
  expect(bytes).toContain('\u001b[32m'); // colours on a terminal

  const screen = replayTerminal(bytes);
  const header = screen.filter((l) => /^ {2}STEP +KIND +STATUS +DURATION$/.test(l));
  expect(header).toHaveLength(1);
  const steps = ['n', 'twice', 'big', 'shout', 'out'];
  for (const id of steps) expect(screen.filter((l) => l.startsWith(`  ${id} `))).toHaveLength(1);
  expect(screen.filter((l) => /\d+\/\d+ steps$/.test(l))).toEqual([expect.stringMatching(/ 5\/5 steps$/)]);
  const statusColumn = header[0]!.indexOf('STATUS');
  const durationColumn = header[0]!.indexOf('DURATION');
  for (const id of steps) {
    const row = screen.find((l) => l.startsWith(`  ${id} `))!;
    expect(row.slice(statusColumn)).toMatch(id === 'shout' ? /^skipped +$|^skipped$/ : /^completed /);
    expect(row.slice(durationColumn)).toMatch(id === 'shout' ? /^$/ : /^\d+\.\d s$/);
  }
  expect(screen.find((l) => l.startsWith('  twice '))).toMatch(/^ {2}twice +action +completed +\d+\.\d s$/);
  // The final status and the outputs follow the last frame.
  const end = screen.indexOf('completed');
  expect(end).toBeGreaterThan(screen.findIndex((l) => l.endsWith('5/5 steps')));
  expect(screen.slice(end).join('\n')).toContain('"result": 2');
});

test('run --wait exits 1 when the run fails, and --json gives the status and the error', async () => {
  const failing = write('failing.yaml', GOOD.replace('n: "{{ steps.n.output.value }}"', 'n: "not a number"'));
  const result = await tpipe('--json', 'run', failing, '--input', 'n=1', '--wait');
  expect(result.code).toBe(1);
  const out = JSON.parse(result.stdout) as { status: string; error: { message: string } };
  expect(out.status).toBe('failed');
  expect(out.error.message).toMatch(/twice/);
});

test('a bad --input is refused before anything starts, with the reason', async () => {
  const result = await tpipe('run', write('typed.yaml', GOOD), '--input', 'n=abc', '--wait');
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/invalid inputs \(1 issue\)/);
  expect(result.stderr).toMatch(/inputs\.n +invalid_type/);
});

test('run takes flow-control options: a concurrency limit runs the pipeline, a bad one is refused before start', async () => {
  const limited = await tpipe(
    'run',
    write('limited.yaml', GOOD),
    '--input',
    'n=21',
    '--concurrency-key',
    `cli-${Date.now().toString(36)}`,
    '--max-concurrent-runs',
    '1',
    '--max-tokens',
    '1000',
    '--wait',
  );
  expect(limited.code).toBe(0);
  expect(limited.stdout).toMatch(/^completed\n\{\n {2}"result": 42\n\}$/m);
  const refused = await tpipe('run', write('refused.yaml', GOOD), '--input', 'n=1', '--on-limit', 'drop');
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/onLimit/);
});

test('pipelines create, list, get, update, delete; run a saved pipeline by name; executions list, get, logs; graph', async () => {
  const name = `cli_saved_${Date.now().toString(36)}`;
  const file = write('saved.yaml', GOOD.replace('name: cli_double', `name: ${name}`));
  expect((await tpipe('pipelines', 'create', file)).stdout).toContain(`created ${name} version 1`);
  const listed = await tpipe('pipelines', 'list', '--name-contains', name);
  expect(listed.stdout).toMatch(new RegExp(`^${name} +1 +1 `, 'm'));
  const updated = await tpipe(
    'pipelines',
    'update',
    name,
    write('saved2.yaml', GOOD.replace('name: cli_double', `name: ${name}`).replace('> 10', '> 100')),
  );
  expect(updated.stdout).toContain(`updated ${name}: version 2, deployed 2`);
  const got = JSON.parse((await tpipe('--json', 'pipelines', 'get', name, '--version', '1')).stdout) as {
    version: number;
    definition: { steps: Array<{ params: { condition?: string } }> };
  };
  expect(got.version).toBe(1);
  expect(got.definition.steps[2]!.params.condition).toBe('steps.twice.output.value > 10');

  const run = JSON.parse(
    (await tpipe('--json', 'run', name, '--input', 'n=4', '--tag', 'cli', '--wait')).stdout,
  ) as {
    taskId: string;
    status: string;
    outputs: unknown;
  };
  expect(run).toMatchObject({ status: 'completed', outputs: { result: 8 } });

  const get = await tpipe('executions', 'get', run.taskId);
  expect(get.stdout).toMatch(/^twice +action +completed +1 /m);
  expect(get.stdout).toMatch(/^shout +log +skipped .*branch not taken: big/m);
  const logs = await tpipe('executions', 'logs', run.taskId, '--step', 'twice');
  expect(logs.stdout).toMatch(/info {2}twice: step twice completed in \d+ ms/);

  const graph = await tpipe('graph', name, '--execution', run.taskId);
  expect(graph.stdout).toMatch(/^flowchart TD$/m);
  expect(graph.stdout).toMatch(/s2 -- true --> s3/);
  expect(graph.stdout).toMatch(/^ {2}class s0,s1,s2,s4 completed$/m);
  expect(graph.stdout).toMatch(/^ {2}class s3 skipped$/m);

  // Visibility is eventually consistent: list until the run shows up.
  const list = await eventually(
    async () =>
      JSON.parse(
        (await tpipe('--json', 'executions', 'list', '--pipeline', name, '--tag', 'cli')).stdout,
      ) as {
        executions: Array<{ id: string }>;
      },
    (page) => page.executions.length > 0,
    20_000,
  );
  expect(list.executions.map((e) => e.id)).toEqual([run.taskId]);

  expect((await tpipe('pipelines', 'delete', name)).stdout).toContain(`deleted ${name}`);
  const gone = await tpipe('pipelines', 'get', name);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/error: .*not found|error: .*No pipeline/i);
});

test('a run cancelled from another tpipe exits 3 from its --wait; retry --from-failed-step runs it again', async () => {
  const slow = write(
    'slow.yaml',
    `name: cli_slow
steps:
  - id: first
    action: double
    params: { n: 1 }
  - id: wait
    action: delay
    params: { duration: 30s }
    depends_on: [first]
`,
  );
  const started = JSON.parse((await tpipe('--json', 'run', slow)).stdout) as { taskId: string };
  const following = tpipe('run', slow, '--wait'); // a second run, followed
  const cancelled = await tpipe('executions', 'cancel', started.taskId);
  expect(cancelled.stdout).toContain(`cancellation requested for ${started.taskId}`);
  const status = JSON.parse((await tpipe('--json', 'executions', 'get', started.taskId)).stdout) as {
    status: string;
  };
  expect(['cancelled', 'running']).toContain(status.status);

  // Cancel the followed run, found through visibility (eventually consistent: poll).
  const followedId = await eventually(
    async () => {
      const list = JSON.parse(
        (await tpipe('--json', 'executions', 'list', '--pipeline', 'cli_slow', '--status', 'running')).stdout,
      ) as { executions: Array<{ id: string }> };
      return list.executions.find((e) => e.id !== started.taskId)?.id;
    },
    (id) => id !== undefined,
    30_000,
  );
  expect(followedId).toBeDefined();
  await tpipe('executions', 'cancel', followedId!);
  const followed = await following;
  expect(followed.code).toBe(3);
  expect(followed.stdout).toMatch(/^cancelled/m);

  const retried = JSON.parse(
    (await tpipe('--json', 'executions', 'retry', started.taskId, '--from-failed-step')).stdout,
  ) as {
    id: string;
    retryOf?: string;
  };
  expect(retried.retryOf).toBe(started.taskId);
  await tpipe('executions', 'terminate', retried.id, '--reason', 'test over');
  const terminated = JSON.parse((await tpipe('--json', 'executions', 'get', retried.id)).stdout) as {
    status: string;
  };
  expect(terminated.status).toBe('terminated');
});

test('tpipe dev serves a local server with its Web UI and a worker (offline model without a key), says what to export and how to stop; runs complete on it; logs -f ends with the run', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const local = await startHttpRecorder();
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', WORKER_LOG_LEVEL: 'WARN' };
  for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_TASK_QUEUE', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) {
    delete env[name];
  }
  const dev = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'dev', '--port', String(port), '--ui-port', String(uiPort)],
    { cwd: dir, env },
  );
  let out = '';
  dev.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => dev.on('exit', resolve));
  try {
    await waitUntil(() => out.includes('offline model'), 60_000, 'tpipe dev to report it is ready', 100);
    // What to export, where the Web UI is, how to stop; and, with no key, the offline model.
    expect(out).toContain(`\n  export TEMPORAL_ADDRESS=127.0.0.1:${port}\n`);
    // The Web UI link opens the runs-only list (registry entities left out).
    expect(out).toContain(`\nWeb UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows?query=`);
    expect(out).toMatch(/\nWeb UI: \S+query=WorkflowType%20%3D%20%22runPipeline%22\S*\n/);
    expect(out).toContain('\nCtrl-C to stop (the worker, then the server).\n');
    expect(out).toContain('Egress: PIPELINE_EGRESS_ALLOW=loopback (tpipe dev allows loopback)');
    expect(out).toMatch(
      /No OPENAI_API_KEY or OPENAI_BASE_URL: llm steps use the offline model at http:\/\/127\.0\.0\.1:\d+\/v1/,
    );
    expect((await fetch(`http://127.0.0.1:${uiPort}`)).status).toBe(200);
    const cli = (...args: string[]) => runCli(['--address', `127.0.0.1:${port}`, ...args], env);
    const doc = write(
      'dev.yaml',
      'name: on_dev\nsteps:\n  - id: two\n    action: transform\n    params: { expression: "1 + 1" }\n' +
        `  - id: local\n    action: api_call\n    params: { url: "${local.url('/dev')}" }\n` +
        '  - id: ask\n    action: llm\n    params: { model: gpt-4o-mini, prompt: "Hi there" }\n',
    );
    const run = JSON.parse((await cli('--json', 'run', doc, '--wait')).stdout) as {
      taskId: string;
      outputs: unknown;
    };
    // The dev worker reaches a service on this machine: loopback is allowed there.
    expect(run.outputs).toMatchObject({
      two: 2,
      local: { status: 200 },
      ask: { response: 'echo: Hi there' },
    });
    expect(local.requestsTo('/dev')).toHaveLength(1);
    const followed = await cli('executions', 'logs', '-f', run.taskId);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/two: step two completed in 0 ms/);
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
  } finally {
    if (dev.exitCode === null) dev.kill('SIGKILL');
    await local.close();
  }
}, 120_000);

test('executions signal sends an event to a waiting step; a refused one exits 1 with the reason; get shows the wait', async () => {
  const waits = write(
    'waits.yaml',
    `name: cli_waits
steps:
  - id: approve
    action: wait_for_event
    params:
      prompt: Ship it?
      schema:
        type: object
        properties: { approved: { type: boolean } }
        required: [approved]
`,
  );
  const started = JSON.parse((await tpipe('--json', 'run', waits)).stdout) as { taskId: string };
  const shown = await eventually(
    async () => (await tpipe('executions', 'get', started.taskId)).stdout,
    (text) => text.includes('waiting for event'),
    30_000,
  );
  expect(shown).toMatch(/approve +wait_for_event +running .*waiting for event 'approve'/);
  expect(shown).toContain('approve asks: Ship it?');

  const refused = await tpipe(
    'executions',
    'signal',
    started.taskId,
    '--node',
    'approve',
    '--payload',
    '{"approved":"yes"}',
  );
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('payload.approved must be a boolean, got a string');

  const accepted = await tpipe(
    'executions',
    'signal',
    started.taskId,
    '--node',
    'approve',
    '--payload',
    '{"approved":true}',
    '--by',
    'cli',
  );
  expect(accepted).toMatchObject({ code: 0, stderr: '' });
  expect(accepted.stdout).toContain(`${started.taskId}: step approve accepted event 'approve'`);
  await h.client.workflow.getHandle(started.taskId).result();
  const done = JSON.parse((await tpipe('--json', 'executions', 'get', started.taskId)).stdout) as {
    status: string;
    steps: Record<string, { output?: unknown }>;
  };
  expect(done.status).toBe('completed');
  expect(done.steps.approve!.output).toMatchObject({ payload: { approved: true }, by: 'cli' });
});

test('schedules create, list, get, trigger, update, pause, delete; executions list --schedule', async () => {
  const name = `cli_sched_${Date.now().toString(36)}`;
  const id = `${name}_nightly`;
  await tpipe('pipelines', 'create', write('sched.yaml', GOOD.replace('name: cli_double', `name: ${name}`)));

  const missing = await tpipe('schedules', 'create', name, '-i', 'n=3');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/cron .*A schedule needs cron/);

  const created = await tpipe(
    '--json',
    'schedules',
    'create',
    name,
    '--id',
    id,
    '--every',
    '2s',
    '-i',
    'n=3',
    '-t',
    'cli',
    '--paused',
    '--note',
    'from the cli',
  );
  expect(created.stderr).toBe('');
  expect(JSON.parse(created.stdout)).toMatchObject({
    id,
    pipelineId: name,
    version: 1,
    paused: true,
    note: 'from the cli',
    inputs: { n: 3 },
    tags: ['cli'],
    spec: { text: 'every 2s' },
  });

  const listed = await eventually(
    async () => (await tpipe('schedules', 'list', '--pipeline', name)).stdout,
    (text) => text.includes(id),
    30_000,
  );
  expect(listed).toMatch(new RegExp(`^${id} +${name} +1 +every 2s +paused `, 'm'));

  expect((await tpipe('schedules', 'trigger', id)).stdout).toContain(`triggered ${id}`);
  const runs = await eventually(
    async () =>
      (
        JSON.parse((await tpipe('--json', 'executions', 'list', '--schedule', id)).stdout) as {
          executions: Array<{ id: string; status: string; tags: string[] }>;
        }
      ).executions,
    (found) => found.some((r) => r.status === 'completed'),
    30_000,
  );
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatchObject({
    status: 'completed',
    tags: expect.arrayContaining(['cli', `schedule:${id}`]),
  });
  expect(runs[0]!.id.startsWith(`${id}-`)).toBe(true);

  const got = await tpipe('schedules', 'get', id);
  expect(got.stdout).toContain(`${id}  ${name} v1  every 2s  paused (from the cli)`);
  expect(got.stdout).toMatch(new RegExp(`^${runs[0]!.id} +\\S+ +completed$`, 'm'));

  const updated = await tpipe(
    'schedules',
    'update',
    id,
    '-i',
    'n=5',
    '--every',
    '1h',
    '--overlap',
    'buffer_one',
  );
  expect(updated.stdout).toContain(`updated ${id}: ${name} v1, every 1h`);
  await tpipe('schedules', 'pause', id, '--note', 'quiet');
  const after = JSON.parse((await tpipe('--json', 'schedules', 'get', id)).stdout) as Record<string, unknown>;
  expect(after).toMatchObject({ inputs: { n: 5 }, overlap: 'buffer_one', paused: true, note: 'quiet' });

  expect((await tpipe('schedules', 'delete', id)).stdout).toContain(`deleted ${id}`);
  const gone = await tpipe('schedules', 'get', id);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/error: No schedule/);
}, 180_000);
