/**
 * Shapes of data (issue 17 item 5), through the public API on the real server: keys named
 * `constructor`, `__proto__` and `prototype` are ordinary data from inputs and from an API reply
 * to the run's outputs; an output named `__proto__` is returned; hostile inputs (300 and 10,000
 * levels deep, cycles, BigInt, functions, symbols) are refused at start with
 * `PipelineValidationError` naming the path and nothing is started; a delay past its bound is
 * refused at compile time; a map whose items fail with crafted long messages keeps its result
 * within bounds; `tpipe -i` keeps every key and refuses integers it would round.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { PipelineValidationError } from '../../src/model';
import { MAX_MAP_ERROR_BYTES, MAX_MAP_ERROR_MESSAGE_BYTES } from '../../src/model/plan/mapItems';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { sharedTestEnv, startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');

let h: PipelineHarness;
let client: PipelinesClient;
let api: HttpRecorder;
let dir: string;

beforeAll(async () => {
  api = await startHttpRecorder();
  // The reply server is on loopback: allowed explicitly, as the egress policy requires.
  h = await startPipelineHarness({ env: { ...process.env, PIPELINE_EGRESS_ALLOW: '127.0.0.1' } });
  const env = sharedTestEnv();
  client = await connect({ address: env.address, namespace: env.namespace, taskQueue: h.taskQueue });
  mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  dir = mkdtempSync(path.join(ROOT, '.tmp', 'shapes-'));
});
afterAll(async () => {
  await client?.close();
  await h?.close();
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const REPLY = '{"constructor": "Ferrari", "__proto__": {"admin": true}, "prototype": {"wheels": 4}, "ok": 1}';

const SHAPES = {
  name: 'data_shapes',
  steps: [
    { id: 'car', action: 'input', params: { type: 'object' } },
    { id: 'fetch', action: 'api_call', params: { url: '{{ params.url }}' } },
    {
      id: 'shape',
      action: 'transform',
      params: {
        expression:
          "{'car': steps.car.output.value, 'reply': steps.fetch.output.body, 'keys': size(steps.fetch.output.body), 'isFerrari': 'constructor' in steps.fetch.output.body}",
      },
    },
    { id: 'proto', action: 'output', params: { name: '__proto__', value: '{{ steps.shape.output }}' } },
    { id: 'ctor', action: 'output', params: { name: 'constructor', value: '{{ steps.fetch.output.body }}' } },
    { id: 'plain', action: 'output', params: { name: 'plain', value: { copied: '{{ inputs.car }}' } } },
  ],
};

async function expectNothingStarted(workflowId: string): Promise<void> {
  await expect(client.temporal.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(
    WorkflowNotFoundError,
  );
}

test('constructor, __proto__ and prototype keys flow from an input and an API reply through a transform to the outputs', async () => {
  api.route('/car', {
    text: REPLY,
    headers: { 'content-type': 'application/json' },
  });
  const car = JSON.parse(
    '{"constructor": "Fiat", "__proto__": {"polluted": true}, "prototype": 1}',
  ) as unknown;
  const run = await client.start(SHAPES, { inputs: { car }, params: { url: api.url('/car') } });
  const { outputs } = await run.result();

  expect(Object.keys(outputs).sort()).toEqual(['__proto__', 'constructor', 'plain']);
  expect(Object.getPrototypeOf(outputs)).toBe(Object.prototype);
  const reply = JSON.parse(REPLY) as unknown;
  // Compared as JSON text: toEqual would not see an own `__proto__` key.
  expect(JSON.stringify(outputs.__proto__)).toBe(JSON.stringify({ car, reply, keys: 4, isFerrari: true }));
  expect(JSON.stringify(outputs.constructor)).toBe(JSON.stringify(reply));
  expect(JSON.stringify(outputs.plain)).toBe(JSON.stringify({ copied: car }));
  // executions.get() reads the same outputs from the run's state.
  const execution = await client.executions.get(run.taskId);
  expect(Object.keys(execution.outputs ?? {}).sort()).toEqual(['__proto__', 'constructor', 'plain']);
  expect(JSON.stringify(execution.outputs?.__proto__)).toBe(JSON.stringify(outputs.__proto__));
  // Nothing reached a prototype.
  expect(({} as Record<string, unknown>).admin).toBeUndefined();
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test('only a direct read of such a key is refused, at compile time, with the rule', async () => {
  const document = {
    name: 'direct_read',
    steps: [
      { id: 'car', action: 'input' },
      { id: 'read', action: 'transform', params: { expression: 'steps.car.output.value.constructor' } },
    ],
  };
  const error = await client
    .start(document, { inputs: { car: { constructor: 'x' } } })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PipelineValidationError);
  // A step cannot take such a name as its id either (expressions could not read it as steps.<id>).
  const named = await client
    .start({ name: 'reserved_id', steps: [{ id: '__proto__', action: 'log', params: { message: 'x' } }] })
    .catch((e: unknown) => e);
  expect((named as PipelineValidationError).issues).toEqual([
    expect.objectContaining({
      path: ['steps', 0, 'id'],
      message: expect.stringMatching(/cannot be __proto__/),
    }),
  ]);
  expect((error as PipelineValidationError).issues).toEqual([
    expect.objectContaining({
      code: 'invalid_expression',
      stepId: 'read',
      message: expect.stringMatching(/constructor/),
    }),
  ]);
});

function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

test.each([300, 10_000])(
  'inputs nested %i deep are refused at start, naming the path; nothing starts',
  async (levels) => {
    const workflowId = `deep-${levels}-${Date.now().toString(36)}`;
    const document = {
      name: 'deep',
      steps: [
        { id: 'doc', action: 'input' },
        { id: 'out', action: 'output', params: { value: '{{ inputs.doc }}' } },
      ],
    };
    const error = await client
      .start(document, { inputs: { doc: nested(levels) }, workflowId })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineValidationError);
    const [issue] = (error as PipelineValidationError).issues;
    expect(issue!.path.slice(0, 3)).toEqual(['inputs', 'doc', 'a']);
    expect(issue!.path.every((part, i) => i < 2 || part === 'a')).toBe(true);
    expect(issue!.message).toMatch(/nested more than 252 levels/);
    await expectNothingStarted(workflowId);

    // The same through executions.runEphemeral.
    const key = `deep-eph-${levels}-${Date.now().toString(36)}`;
    await expect(
      client.executions.runEphemeral({
        pipelineDefinition: document,
        inputs: { doc: nested(levels) },
        idempotencyKey: key,
      }),
    ).rejects.toBeInstanceOf(PipelineValidationError);
    await expectNothingStarted(`deep-${key}`);
  },
);

test('an input at the depth limit is accepted and read by expressions', async () => {
  const document = {
    name: 'at_limit',
    steps: [
      { id: 'doc', action: 'input' },
      { id: 'n', action: 'transform', params: { expression: "has(inputs.doc.a) ? 'deep' : 'flat'" } },
    ],
  };
  const run = await client.start(document, { inputs: { doc: nested(252) } });
  expect((await run.result()).outputs).toEqual({ n: 'deep' });
});

test('cycles, BigInt, functions and symbols in inputs, params and definitions are PipelineValidationErrors, never a bare TypeError or RangeError', async () => {
  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle.self = cycle;
  const document = { name: 'hostile', steps: [{ id: 'x', action: 'input' }] };
  const bad: Array<[string, unknown]> = [
    ['cycle', cycle],
    ['bigint', 10n],
    ['function', () => 1],
    ['symbol', Symbol('s')],
    ['nan', Number.NaN],
  ];
  for (const [label, value] of bad) {
    const workflowId = `hostile-${label}-${Date.now().toString(36)}`;
    for (const options of [
      { inputs: { x: { inner: [value] } } },
      { inputs: { x: 1 }, params: { p: value } },
    ]) {
      const error = await client.start(document, { ...options, workflowId }).catch((e: unknown) => e);
      expect({ label, error: (error as Error).name }).toEqual({ label, error: 'PipelineValidationError' });
      const [issue] = (error as PipelineValidationError).issues;
      expect(issue!.path[0]).toBe('inputs' in options && options.params === undefined ? 'inputs' : 'params');
    }
    await expectNothingStarted(workflowId);
    const inDefinition = {
      name: 'hostile_def',
      steps: [{ id: 't', action: 'transform', params: { value: { v: value } } }],
    };
    const saved = await client.pipelines
      .create({ name: `hostile_${label}`, definition: inDefinition })
      .catch((e: unknown) => e);
    expect({ label, error: (saved as Error).name }).toEqual({ label, error: 'PipelineValidationError' });
    expect((saved as PipelineValidationError).issues[0]!.path.slice(0, 4)).toEqual([
      'steps',
      0,
      'params',
      'value',
    ]);
  }
});

test('a delay past its bound is refused at compile time, naming the step and the field', async () => {
  const document = {
    name: 'long_delay',
    steps: [{ id: 'nap', action: 'delay', params: { duration: '99999999999999999d' } }],
  };
  const error = await client.start(document).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PipelineValidationError);
  expect((error as PipelineValidationError).issues).toEqual([
    expect.objectContaining({
      path: ['steps', 0, 'params', 'duration'],
      stepId: 'nap',
      message: expect.stringMatching(/at most 365d/),
    }),
  ]);
  // At the bound it compiles.
  const ok = await client.pipelines.create({
    name: 'year_delay',
    definition: { ...document, steps: [{ id: 'nap', action: 'delay', params: { duration: '365d' } }] },
  });
  expect(ok.name).toBe('year_delay');
});

test('a map whose items fail with crafted 8 KB messages cannot push its result past one payload: messages cut, errors bounded, the rest counted', async () => {
  // The definition makes every item's error long: api_call names its URL, and the URL's path is
  // 8,000 characters. 300 items × 8 KB is 2.4 MB of messages, more than one payload holds.
  const longPath = `/${'p'.repeat(8000)}`;
  api.route(longPath, { status: 500, text: 'no' });
  const { outputs, failure } = await h.run({
    name: 'long_map_errors',
    steps: [
      {
        id: 'calls',
        action: 'map',
        params: {
          items: Array.from({ length: 300 }, (_, i) => i),
          concurrency: 50,
          on_item_failure: 'continue',
          step: { action: 'api_call', params: { url: api.url(longPath) }, retry: { max_attempts: 1 } },
        },
      },
    ],
  });
  expect(failure).toBeUndefined();
  const output = outputs!.calls as {
    results: unknown[];
    errors: Array<{ message: string }>;
    droppedErrors: number;
  };
  expect(output.results).toHaveLength(300);
  expect(output.errors.length + output.droppedErrors).toBe(300);
  expect(output.droppedErrors).toBeGreaterThan(0);
  for (const error of output.errors) {
    expect(Buffer.byteLength(error.message)).toBeLessThanOrEqual(MAX_MAP_ERROR_MESSAGE_BYTES);
    expect(error.message).toMatch(/… \[truncated, \d+ bytes\]$/);
  }
  expect(Buffer.byteLength(JSON.stringify(output))).toBeLessThanOrEqual(MAX_MAP_ERROR_BYTES + 16 * 1024);
});

function tpipe(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = sharedTestEnv();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        '--address',
        env.address,
        '--namespace',
        env.namespace,
        '--task-queue',
        h.taskQueue,
        ...args,
      ],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

test('tpipe -i keeps every key (__proto__ too) and refuses integers beyond 2^53 instead of rounding them', async () => {
  const file = path.join(dir, 'echo.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'cli_echo',
      steps: [{ id: 'echo', action: 'transform', params: { expression: 'inputs' } }],
    }),
  );

  const kept = await tpipe(
    '--json',
    'run',
    file,
    '-i',
    '__proto__=x',
    '-i',
    'constructor={"prototype":1}',
    '-i',
    'n=9007199254740991',
    '--wait',
  );
  expect(kept.stderr).toBe('');
  expect(kept.code).toBe(0);
  const result = JSON.parse(kept.stdout) as { outputs: { echo: Record<string, unknown> } };
  expect(Object.keys(result.outputs.echo).sort()).toEqual(['__proto__', 'constructor', 'n']);
  expect(JSON.stringify(result.outputs.echo.__proto__)).toBe('"x"');
  expect(result.outputs.echo.n).toBe(9007199254740991);

  for (const value of ['9007199254740993', '{"id": 12345678901234567890}']) {
    const refused = await tpipe('run', file, '-i', `n=${value}`, '--wait');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--input n: the integer \d+ is beyond 2\^53/);
  }
  // As a string it stays exact.
  const exact = await tpipe('--json', 'run', file, '-i', 'n="9007199254740993"', '--wait');
  expect((JSON.parse(exact.stdout) as { outputs: { echo: { n: unknown } } }).outputs.echo.n).toBe(
    '9007199254740993',
  );
});
