/**
 * Large payloads (issue 6 item 8): with a claim check a node output over Temporal's 2 MiB payload
 * limit completes the run, history keeps only a small reference, downstream steps and the
 * result see the full value, and the blob sits in the local directory (encrypted when
 * encryption is on). Without one, the step fails with `OutputTooLarge`; oversize inputs are
 * refused before anything starts.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { LocalDirectoryStorage } from '../../src/codec';
import { defineAction, PipelineValidationError } from '../../src/model';
import { retryRun } from '../../src/client/runs/retryRun';
import { connect } from '../../src/client/connect';
import { sharedTestEnv, startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

const BLOB_BYTES = 3 * 1024 * 1024;
/**
 * A recognisable 3 MiB text: the marker reversed (so the text appears nowhere in the step's own
 * params), then filler.
 */
const bigText = (marker: string) => `${[...marker].reverse().join('')}:${'x'.repeat(BLOB_BYTES)}`;

const makeBlob = defineAction({
  name: 'make_blob',
  params: z.object({ marker: z.string() }),
  run: ({ marker }) => Promise.resolve({ text: bigText(marker) }),
});

const document = (marker: string) => ({
  name: 'big-output',
  steps: [
    { id: 'blob', action: 'make_blob', params: { marker } },
    {
      id: 'measure',
      action: 'transform',
      params: { expression: 'size(steps.blob.output.text)' },
    },
    { id: 'out', action: 'output', params: { name: 'blob', value: '{{ steps.blob.output.text }}' } },
    { id: 'len', action: 'output', params: { name: 'length', value: '{{ steps.measure.output }}' } },
  ],
});

const historyBytes = (history: unknown) =>
  temporal.api.history.v1.History.encode(history as temporal.api.history.v1.IHistory).finish().length;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('with a claim check', () => {
  let h: PipelineHarness;
  let dir: string;
  const claimCheck = () => ({ storage: new LocalDirectoryStorage(dir), thresholdBytes: 128 * 1024 });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'claim-check-'));
    h = await startPipelineHarness({ actions: [makeBlob] }, { payloads: { claimCheck: claimCheck() } });
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a 3 MiB node output completes the run; history holds references; the result has the full value', async () => {
    const marker = `BIG-${randomBytes(4).toString('hex')}`;
    const { handle, snapshot, outputs, failure } = await h.run(document(marker), {
      actions: { make_blob: makeBlob },
    });
    expect(failure).toBeUndefined();
    expect(snapshot.status).toBe('completed');
    expect(outputs!.length).toBe(marker.length + 1 + BLOB_BYTES);
    expect(outputs!.blob).toBe(bigText(marker));

    // The raw history (fetchHistory does not resolve references) is small and has no blob text.
    const history = await handle.fetchHistory();
    const size = historyBytes(history);
    expect(size).toBeLessThan(64 * 1024);
    const head = bigText(marker).slice(0, marker.length);
    expect(Buffer.from(temporal.api.history.v1.History.encode(history).finish()).includes(head)).toBe(false);
    console.log(`claim check: history of a run with a 3 MiB output is ${size} bytes`);

    // The blob is in the directory, keyed by its SHA-256: the activity's result and the run's
    // result (the same text inside another payload) at least.
    const files = await filesUnder(dir);
    const withMarker = [];
    for (const file of files) {
      const bytes = await readFile(file);
      expect(path.basename(file)).toMatch(/^[0-9a-f]{64}$/);
      if (bytes.includes(head)) withMarker.push(file);
    }
    expect(withMarker.length).toBeGreaterThanOrEqual(2);

    // A client from connect() with the same option reads the run as data, outputs in full.
    const env = sharedTestEnv();
    const client = await connect({
      address: env.address,
      namespace: env.namespace,
      taskQueue: h.taskQueue,
      payloads: { claimCheck: claimCheck() },
      env: {},
    });
    try {
      const execution = await client.executions.get(handle.workflowId);
      expect(execution.status).toBe('completed');
      expect(execution.outputs!.blob).toBe(bigText(marker));
    } finally {
      await client.close();
    }
  });

  test('an input over 2 MiB is stored outside history too, and a retry of the run reads it back', async () => {
    const big = `IN-${randomBytes(4).toString('hex')}:${'y'.repeat(BLOB_BYTES)}`;
    let first = true;
    const flaky = defineAction({
      name: 'flaky_len',
      params: z.object({ text: z.string() }),
      run: ({ text }) => {
        if (first) {
          first = false;
          return Promise.reject(ApplicationFailure.nonRetryable('first run fails', 'Flaky'));
        }
        return Promise.resolve({ length: text.length });
      },
    });
    const h2 = await startPipelineHarness(
      { actions: [flaky] },
      { payloads: { claimCheck: { storage: new LocalDirectoryStorage(dir) } } },
    );
    try {
      const doc = {
        name: 'big-input',
        steps: [
          { id: 'doc', action: 'input', params: { type: 'string' } },
          { id: 'len', action: 'flaky_len', params: { text: '{{ inputs.doc }}' } },
        ],
      };
      const run = await h2.run(doc, { inputs: { doc: big }, actions: { flaky_len: flaky } });
      expect(run.snapshot.status).toBe('failed');
      expect(historyBytes(await run.handle.fetchHistory())).toBeLessThan(64 * 1024);

      const retry = await retryRun(h2.client, run.handle.workflowId, { taskQueue: h2.taskQueue });
      const result = await retry.result();
      expect(result.outputs).toEqual({ len: { length: big.length } });
    } finally {
      await h2.close();
    }
  });
});

describe('without a claim check', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({ actions: [makeBlob] });
  });
  afterAll(async () => h?.close());

  test('a node output over the payload limit fails its step with OutputTooLarge, not retried', async () => {
    const { snapshot, failure } = await h.run(document('NOPE'), { actions: { make_blob: makeBlob } });
    expect(snapshot.status).toBe('failed');
    expect(snapshot.nodes.blob!.status).toBe('failed');
    expect(snapshot.nodes.blob!.attempts).toBe(1);
    expect(snapshot.nodes.blob!.error).toMatchObject({ code: 'OutputTooLarge' });
    expect(String(snapshot.nodes.blob!.error?.message)).toMatch(/3\.0 MiB .*at most 1\.9 MiB/);
    expect(failure).toBeDefined();
  });

  test('an input over the limit is refused before start, naming the input, its size and the limit; no run exists', async () => {
    const workflowId = `oversize-${randomBytes(4).toString('hex')}`;
    const doc = {
      name: 'big-input',
      steps: [
        { id: 'doc', action: 'input', params: { type: 'string' } },
        { id: 'note', action: 'input', params: { type: 'string' } },
      ],
    };
    const err = await h
      .start(doc, { workflowId, inputs: { doc: 'z'.repeat(BLOB_BYTES), note: 'small' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineValidationError);
    const issues = (err as PipelineValidationError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: ['inputs', 'doc'], code: 'too_large' });
    expect(issues[0]!.message).toContain(`Input 'doc' is 3.0 MiB (${BLOB_BYTES + 2} bytes)`);
    expect(issues[0]!.message).toContain('the limit is 1.9 MiB (2031616 bytes)');
    await expect(h.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);

    // A configurable limit: the same small input refused under a tiny limit.
    await expect(
      h.start(doc, { inputs: { doc: 'a'.repeat(5000), note: 'n' }, maxInputBytes: 4096 }),
    ).rejects.toThrow(/Input 'doc' is 4\.9 KiB/);
  });
});
