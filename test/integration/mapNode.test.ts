/**
 * Map steps (issue 9 item 4) on a real Temporal server: a `map` step runs a per-item step or a
 * saved pipeline for each item of a list with bounded concurrency, collects the outputs in order,
 * and continues as new through long lists so no history grows near Temporal's limits.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { queryRunSnapshot } from '../../src/client/runs/runSnapshot';
import { mapProgressQuery } from '../../src/protocol/messages/mapMessages';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';
import { eventually } from '../support/eventually';
import { startOfflineModel, type OfflineModel } from '../../src/dev/offlineModel';
import { MAX_INLINE_PAYLOAD_BYTES } from '../../src/model/definition/limits';
import {
  MAX_MAP_ERROR_BYTES,
  MAX_MAP_ERROR_MESSAGE_BYTES,
  MAX_MAP_ERRORS,
} from '../../src/model/plan/mapItems';

/**
 * An HTTP service for the items: `POST /item` with `{ n }` answers `{ n, square }` after
 * `delayMs`, counting requests in flight; `n` listed in `fail` gets a 400 at once; `hang` never answers.
 */
interface ItemService {
  url: string;
  inFlight: number;
  maxInFlight: number;
  received: number[];
  /** Requests whose client went away before the answer (cancelled items). */
  aborted: number;
  delayMs: number;
  /** Adds `pad: 'x' × padBytes` to every answer. */
  padBytes: number;
  /** When > 0, every request gets a 500 whose body is `'e' × failBodyBytes`. */
  failBodyBytes: number;
  fail: Set<number>;
  hang: boolean;
  reset(): void;
  close(): Promise<void>;
}

async function startItemService(): Promise<ItemService> {
  const sockets = new Set<Socket>();
  const service: ItemService = {
    url: '',
    inFlight: 0,
    maxInFlight: 0,
    received: [],
    aborted: 0,
    delayMs: 5,
    padBytes: 0,
    failBodyBytes: 0,
    fail: new Set(),
    hang: false,
    reset() {
      Object.assign(service, {
        inFlight: 0,
        maxInFlight: 0,
        received: [],
        aborted: 0,
        delayMs: 5,
        padBytes: 0,
        failBodyBytes: 0,
        hang: false,
      });
      service.fail = new Set();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const n = (JSON.parse(raw || '{}') as { n: number }).n;
      service.received.push(n);
      service.inFlight++;
      service.maxInFlight = Math.max(service.maxInFlight, service.inFlight);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        service.inFlight--;
      };
      res.on('close', () => {
        if (!res.writableFinished) service.aborted++;
        finish();
      });
      if (service.hang) return;
      if (service.failBodyBytes > 0) {
        finish();
        res.writeHead(500, { 'content-type': 'text/plain' }).end('e'.repeat(service.failBodyBytes));
        return;
      }
      if (service.fail.has(n)) {
        finish();
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no ${n}` }));
        return;
      }
      setTimeout(() => {
        finish();
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            n,
            square: n * n,
            ...(service.padBytes > 0 && { pad: 'x'.repeat(service.padBytes) }),
          }),
        );
      }, service.delayMs);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/item`;
  return service;
}

let h: PipelineHarness;
let client: PipelinesClient;
let service: ItemService;
let llm: OfflineModel;
let counter = 0;
const unique = (base: string) => `${base}-${Date.now()}-${++counter}`;

beforeAll(async () => {
  service = await startItemService();
  llm = await startOfflineModel();
  h = await startPipelineHarness(
    { providers: { openai: { baseURL: llm.baseURL, apiKey: 'test-key' } } },
    { maxConcurrentActivityTaskExecutions: 100 },
  );
  client = await connect({ address: sharedTestEnv().address, taskQueue: h.taskQueue });
});
afterEach(() => service.reset());
afterAll(async () => {
  await client?.close();
  await h?.close();
  await service?.close();
  await llm?.close();
});

/** numbers (a list input) → squares (a map of api_call items) → the results. */
const squares = (map: Record<string, unknown> = {}) => ({
  name: unique('squares'),
  steps: [
    { id: 'numbers', action: 'input', params: { type: 'array' } },
    {
      id: 'squares',
      action: 'map',
      params: {
        items: '{{ steps.numbers.output.value }}',
        concurrency: 25,
        step: {
          action: 'api_call',
          params: { url: service.url, method: 'POST', body: { n: '{{ item }}', index: '{{ index }}' } },
          retry: { max_attempts: 2, initial_interval: '100ms' },
        },
        ...map,
      },
    },
  ],
});

/** The map workflow's runs (one per history), newest first, with their history lengths. */
async function mapRuns(mapId: string): Promise<Array<{ status: string; historyLength: number }>> {
  const runs: Array<{ status: string; historyLength: number }> = [];
  for await (const info of h.client.workflow.list({ query: `WorkflowId = '${mapId}'` })) {
    runs.push({ status: info.status.name, historyLength: info.historyLength });
  }
  return runs;
}

test('1,000 items, 25 at a time: outputs in order, never more than 25 in flight, the map continues as new', async () => {
  const numbers = Array.from({ length: 1000 }, (_, i) => i);
  const started = Date.now();
  // 1,000 activity items cost the map about 3,300 events: under its default threshold (4,000), so
  // the run's threshold is lowered (map workflows take it too) to make the map continue as new.
  const { handle, snapshot, outputs, failure } = await h.run(squares(), {
    inputs: { numbers },
    continueAsNewAfterEvents: 1_200,
  });
  const seconds = (Date.now() - started) / 1000;
  expect(failure).toBeUndefined();
  const output = outputs!.squares as {
    results: Array<{ body: { n: number; square: number } }>;
    errors: unknown[];
    executionId: string;
  };
  expect(output.results).toHaveLength(1000);
  output.results.forEach((result, i) => expect(result.body).toEqual({ n: i, square: i * i }));
  expect(output.errors).toEqual([]);
  expect(output.executionId).toBe(`${handle.workflowId}/squares`);
  expect(service.received).toHaveLength(1000);
  expect(service.maxInFlight).toBeLessThanOrEqual(25);
  expect(service.maxInFlight).toBeGreaterThan(1);
  expect(snapshot.nodes.squares!.map).toEqual({ executionId: output.executionId, total: 1000 });

  // Every history stays far under Temporal's 10,240-event warning: the run's own is a few dozen
  // events; the map's continued as new at 1,200 (plus what was in flight).
  const parent = await h.client.workflow.getHandle(handle.workflowId).describe();
  expect(parent.historyLength).toBeLessThan(60);
  const runs = await mapRuns(output.executionId);
  expect(runs.length).toBeGreaterThanOrEqual(3);
  expect(runs.filter((run) => run.status === 'CONTINUED_AS_NEW')).toHaveLength(runs.length - 1);
  for (const run of runs) expect(run.historyLength).toBeLessThan(1_400);
  console.log(
    `1,000-item map: ${seconds.toFixed(1)} s, max ${service.maxInFlight} in flight, ` +
      `${runs.length} map histories of ${runs.map((r) => r.historyLength).join(', ')} events, parent ${parent.historyLength} events`,
  );
});

test('continue: failed items leave null and an error each; the others complete', async () => {
  service.fail = new Set([2, 5]);
  const { outputs, failure, snapshot } = await h.run(
    squares({ on_item_failure: 'continue', concurrency: 3 }),
    {
      inputs: { numbers: [0, 1, 2, 3, 4, 5, 6] },
    },
  );
  expect(failure).toBeUndefined();
  const output = outputs!.squares as {
    results: Array<{ body: { square: number } } | null>;
    errors: unknown[];
  };
  expect(output.results.map((r) => r?.body.square ?? null)).toEqual([0, 1, null, 9, 16, null, 36]);
  expect(output.errors).toEqual([
    expect.objectContaining({ index: 2, code: 'BadRequest', attempts: 1 }),
    expect.objectContaining({ index: 5, code: 'BadRequest', attempts: 1 }),
  ]);
  expect(snapshot.nodes.squares!.status).toBe('completed');
});

test('2,000 items failing with long messages: errors bounded and cut, the rest counted, the result under one payload', async () => {
  // Each item's message names its URL (a 1,500-character path) and quotes 500 characters of the
  // 20 KB body: about 2 KB an item, 4 MB for the list, twice what one payload holds.
  service.failBodyBytes = 20_000;
  const total = 2000;
  const longPath = `${service.url}/${'p'.repeat(1500)}`;
  const document = squares({ on_item_failure: 'continue', concurrency: 100 });
  const map = document.steps[1]!.params as { step: { params: { url: string }; retry: unknown } };
  map.step.params.url = longPath;
  map.step.retry = { max_attempts: 1 };
  const { outputs, failure, snapshot, handle } = await h.run(document, {
    inputs: { numbers: Array.from({ length: total }, (_, i) => i) },
    continueAsNewAfterEvents: 2_000,
  });
  expect(failure).toBeUndefined();
  expect(snapshot.nodes.squares!.status).toBe('completed');
  const output = outputs!.squares as {
    results: unknown[];
    errors: Array<{ index: number; code: string; message: string; attempts: number }>;
    droppedErrors: number;
    executionId: string;
  };
  expect(service.received).toHaveLength(total);
  expect(output.results).toHaveLength(total);
  expect(output.results.every((r) => r === null)).toBe(true);
  // Bounded: at most 1,000 errors and 256 KiB of them; every failed item listed or counted.
  expect(output.errors.length).toBeGreaterThan(0);
  expect(output.errors.length).toBeLessThanOrEqual(MAX_MAP_ERRORS);
  expect(Buffer.byteLength(JSON.stringify(output.errors))).toBeLessThanOrEqual(MAX_MAP_ERROR_BYTES);
  expect(output.errors.length + output.droppedErrors).toBe(total);
  for (const error of output.errors) {
    expect(error.code).toBe('UpstreamUnavailable');
    expect(Buffer.byteLength(error.message)).toBeLessThanOrEqual(MAX_MAP_ERROR_MESSAGE_BYTES);
    expect(error.message).toMatch(
      /^api_call POST http:\/\/127\.0\.0\.1:\d+\/item\/p+… \[truncated, \d+ bytes\]$/,
    );
  }
  // The map's result, the run's status and its result each stay under one payload.
  expect(Buffer.byteLength(JSON.stringify(output))).toBeLessThan(MAX_INLINE_PAYLOAD_BYTES);
  expect(Buffer.byteLength(JSON.stringify(snapshot))).toBeLessThan(MAX_INLINE_PAYLOAD_BYTES);
  const result = await h.client.workflow.getHandle(handle.workflowId).result();
  expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(MAX_INLINE_PAYLOAD_BYTES);
  // The errors went through continue-as-new: the carried errors are in the final result.
  const runs = await mapRuns(output.executionId);
  expect(runs.filter((run) => run.status === 'CONTINUED_AS_NEW').length).toBeGreaterThan(0);
  const progress = await h.client.workflow.getHandle(output.executionId).query(mapProgressQuery);
  expect(progress).toEqual(expect.objectContaining({ total, settled: total, failed: total }));
  console.log(
    `2,000 failing items: ${output.errors.length} errors kept (${JSON.stringify(output.errors).length} bytes), ` +
      `${output.droppedErrors} dropped, map result ${JSON.stringify(output).length} bytes, ${runs.length} map histories`,
  );
});

test('fail (the default): the first failed item fails the step and cancels the items in flight', async () => {
  service.fail = new Set([3]);
  service.delayMs = 1500;
  const numbers = Array.from({ length: 40 }, (_, i) => i);
  const { snapshot, failure } = await h.run(squares({ concurrency: 8 }), { inputs: { numbers } });
  expect(failure).toBeDefined();
  const step = snapshot.nodes.squares!;
  expect(step.status).toBe('failed');
  expect(step.error?.code).toBe('MapItemFailed');
  expect(step.error?.message).toMatch(/^item 3 of 40 failed: /);
  // The list stopped at the failure: the first 8 started, none after.
  expect(service.received.length).toBe(8);
  await eventually(
    () => Promise.resolve(service.aborted),
    (aborted) => aborted === 7,
  );
});

test('outputs past max_output_bytes fail the step with MapOutputTooLarge and start no more items', async () => {
  const numbers = Array.from({ length: 40 }, (_, i) => i);
  const { snapshot } = await h.run(squares({ concurrency: 2, max_output_bytes: 2000 }), {
    inputs: { numbers },
  });
  const step = snapshot.nodes.squares!;
  expect(step.status).toBe('failed');
  expect(step.error?.code).toBe('MapOutputTooLarge');
  expect(step.error?.message).toMatch(
    /over the step's max_output_bytes \(2000 bytes\): a map's results travel in one Temporal payload/,
  );
  expect(service.received.length).toBeLessThan(20);
});

test('the default max_output_bytes is one payload (2 MiB less 64 KiB): three 900 KB outputs fail at the third', async () => {
  service.padBytes = 900_000;
  const { snapshot } = await h.run(squares({ concurrency: 1 }), { inputs: { numbers: [0, 1, 2, 3] } });
  const step = snapshot.nodes.squares!;
  expect(step.error?.code).toBe('MapOutputTooLarge');
  expect(step.error?.message).toMatch(/by item 2, over the step's max_output_bytes \(2031616 bytes\)/);
  expect(service.received).toEqual([0, 1, 2]);
});

test('cancelling the run cancels the map and its items in flight; progress is queryable meanwhile', async () => {
  service.hang = true;
  const handle = await h.start(squares({ concurrency: 4 }), { inputs: { numbers: [1, 2, 3, 4, 5, 6] } });
  const snapshot = await eventually(
    () => queryRunSnapshot(handle).catch(() => undefined),
    (s) => s?.nodes.squares?.map !== undefined,
  );
  const mapId = snapshot!.nodes.squares!.map!.executionId;
  await eventually(
    () => Promise.resolve(service.inFlight),
    (n) => n === 4,
  );
  const progress = await h.client.workflow.getHandle(mapId).query(mapProgressQuery);
  expect(progress).toEqual({ total: 6, settled: 0, failed: 0, running: 4, retries: 0, continuations: 0 });

  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  const final = await queryRunSnapshot(handle);
  expect(final.status).toBe('cancelled');
  expect(final.nodes.squares!.status).toBe('cancelled');
  const map = await h.client.workflow.getHandle(mapId).describe();
  expect(map.status.name).toBe('CANCELLED');
  expect(service.aborted).toBe(4);
  expect(service.received).toHaveLength(4);
});

test('items that are not a list fail the step before any map starts', async () => {
  const document = squares();
  document.steps[0] = { id: 'numbers', action: 'input', params: { type: 'any' } };
  const { snapshot } = await h.run(document, { inputs: { numbers: 'seven' } });
  expect(snapshot.nodes.squares!.status).toBe('failed');
  expect(snapshot.nodes.squares!.error).toEqual({
    code: 'MapItemsNotAList',
    message: 'Step squares: items must be a list, got string.',
  });
  expect(snapshot.nodes.squares!.map).toBeUndefined();
});

test('an empty list completes with no results', async () => {
  const { outputs } = await h.run(squares(), { inputs: { numbers: [] } });
  expect(outputs!.squares).toEqual(expect.objectContaining({ results: [], errors: [] }));
  expect(service.received).toEqual([]);
});

test('llm items: each document summarised, usage summed into the run', async () => {
  const documents = ['alpha beta', 'gamma delta epsilon', 'zeta'];
  const { outputs, snapshot } = await h.run(
    {
      name: unique('summaries'),
      params: { audience: { type: 'string', default: 'engineers' } },
      steps: [
        { id: 'docs', action: 'input', params: { type: 'array' } },
        {
          id: 'summaries',
          action: 'map',
          params: {
            items: '{{ steps.docs.output.value }}',
            concurrency: 2,
            step: {
              action: 'llm',
              params: {
                model: 'fake',
                prompt: 'Summarise for {{ params.audience }} ({{ index + 1 }}): {{ item }}',
              },
            },
          },
        },
        {
          id: 'texts',
          action: 'output',
          params: { value: '{{ steps.summaries.output.results.map(r, r.response) }}' },
        },
      ],
    },
    { inputs: { docs: documents } },
  );
  const prompts = llm
    .chatRequests()
    .map((r) => (r.body as { messages: Array<{ content: string }> }).messages.at(-1)!.content);
  expect(prompts.sort()).toEqual([
    'Summarise for engineers (1): alpha beta',
    'Summarise for engineers (2): gamma delta epsilon',
    'Summarise for engineers (3): zeta',
  ]);
  const texts = outputs!.texts as string[];
  expect(texts).toHaveLength(3);
  texts.forEach((text, i) => expect(text).toContain(documents[i]));
  const results = (snapshot.nodes.summaries!.output as { results: Array<{ usage: { totalTokens: number } }> })
    .results;
  const summed = results.reduce((sum, r) => sum + r.usage.totalTokens, 0);
  expect(summed).toBeGreaterThan(0);
  expect(snapshot.nodes.summaries!.usage?.totalTokens).toBe(summed);
  expect(snapshot.usage.totalTokens).toBe(summed);
});

describe('a saved pipeline per item', () => {
  const greeter = (name: string) => ({
    name,
    params: { greeting: { type: 'string', default: 'Hello' } },
    steps: [
      { id: 'who', action: 'input', params: { type: 'string' } },
      {
        id: 'text',
        action: 'output',
        params: { value: '{{ params.greeting }}, {{ steps.who.output.value }}' },
      },
    ],
  });

  test('each item runs the child pipeline; outputs in order; child ids name the item', async () => {
    const child = unique('greeter');
    await client.pipelines.save({ name: child, definition: greeter(child), deploy: true });
    const { handle, outputs, failure } = await h.run(
      {
        name: unique('greet-all'),
        steps: [
          { id: 'people', action: 'input', params: { type: 'array' } },
          {
            id: 'greetings',
            action: 'map',
            params: {
              items: '{{ steps.people.output.value }}',
              concurrency: 2,
              pipeline: child,
              inputs: { who: '{{ item.name }}' },
              params: { greeting: '{{ index == 0 ? "Hi" : "Hello" }}' },
            },
          },
        ],
      },
      { inputs: { people: [{ name: 'Ada' }, { name: 'Grace' }, { name: 'Linus' }] } },
    );
    expect(failure).toBeUndefined();
    const output = outputs!.greetings as { results: Array<{ text: string }>; executionId: string };
    expect(output.results).toEqual([{ text: 'Hi, Ada' }, { text: 'Hello, Grace' }, { text: 'Hello, Linus' }]);
    const childRun = await h.client.workflow.getHandle(`${handle.workflowId}/greetings/1`).describe();
    expect(childRun.status.name).toBe('COMPLETED');
    expect(childRun.type).toBe('runPipeline');
  });

  test("an item the child's declarations refuse fails with InvalidChildInputs, naming the item", async () => {
    const child = unique('greeter');
    await client.pipelines.save({ name: child, definition: greeter(child), deploy: true });
    const { snapshot } = await h.run(
      {
        name: unique('greet-bad'),
        steps: [
          { id: 'people', action: 'input', params: { type: 'array' } },
          {
            id: 'greetings',
            action: 'map',
            params: {
              items: '{{ steps.people.output.value }}',
              on_item_failure: 'continue',
              pipeline: child,
              inputs: { who: '{{ item }}' },
            },
          },
        ],
      },
      { inputs: { people: ['Ada', 42] } },
    );
    const output = snapshot.nodes.greetings!.output as {
      results: unknown[];
      errors: Array<{ index: number; code: string; message: string }>;
    };
    expect(output.results).toEqual([{ text: 'Hello, Ada' }, null]);
    expect(output.errors).toEqual([
      expect.objectContaining({
        index: 1,
        code: 'InvalidChildInputs',
        message: expect.stringContaining("refuses item 1's mapping"),
      }),
    ]);
  });

  test('an unknown pipeline fails the step with PipelineNotFound', async () => {
    const { snapshot } = await h.run({
      name: unique('greet-none'),
      steps: [
        {
          id: 'greetings',
          action: 'map',
          params: { items: ['a'], pipeline: unique('nobody'), inputs: { who: '{{ item }}' } },
        },
      ],
    });
    expect(snapshot.nodes.greetings!.status).toBe('failed');
    expect(snapshot.nodes.greetings!.error?.code).toBe('PipelineNotFound');
  });
});
