/**
 * Payload encryption (issue 6 item 7): with `payloads.encryption` on client and worker, nothing a
 * run carries (inputs, params, node outputs, the result) is readable in its history without the
 * key; the client with the key reads results as usual; key rotation keeps old runs readable; the
 * codec server decodes history payloads for the Web UI and answers its CORS preflight; with a
 * claim check too, the blobs on disk are ciphertext.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import {
  createCodecServer,
  LocalDirectoryStorage,
  PayloadDecodeError,
  type EncryptionOptions,
  type PayloadOptions,
} from '../../src/codec';
import { connect } from '../../src/client/connect';
import { defineAction } from '../../src/model';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';
import { historyText } from '../support/historyText';

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');
const withKeyA: EncryptionOptions = { currentKeyId: 'key-a', keys: { 'key-a': KEY_A } };
const rotatedToB: EncryptionOptions = { currentKeyId: 'key-b', keys: { 'key-b': KEY_B, 'key-a': KEY_A } };

/** Reverses its input, so the output text appears nowhere in the run's inputs. */
const reverse = defineAction({
  name: 'reverse_text',
  params: z.object({ text: z.string() }),
  run: ({ text }) => Promise.resolve({ reversed: [...text].reverse().join('') }),
});

const document = {
  name: 'encrypted-run',
  params: { greeting: { type: 'string' } },
  steps: [
    { id: 'note', action: 'input', params: { type: 'string' } },
    { id: 'flip', action: 'reverse_text', params: { text: '{{ inputs.note }} {{ params.greeting }}' } },
  ],
};
const runOptions = (note: string, greeting: string) => ({
  inputs: { note },
  params: { greeting },
  actions: { reverse_text: reverse },
});
const reversed = (text: string) => [...text].reverse().join('');

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const metadataOf = (payload: Payload) =>
  Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, text(v)]));

/**
 * Every payload of a raw history (start input, memo, activity inputs and results, the run's
 * result) except search attributes, which Temporal must be able to read to index them.
 */
function historyPayloads(history: unknown): Payload[] {
  const found: Payload[] = [];
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
    const record = value as Record<string, unknown>;
    if (record.metadata && typeof record.metadata === 'object' && 'data' in record) found.push(record);
    for (const [key, child] of Object.entries(record)) if (key !== 'searchAttributes') walk(child);
  };
  walk(history);
  return found;
}

async function plainClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const env = sharedTestEnv();
  const connection = await Connection.connect({ address: env.address });
  return { client: new Client({ connection, namespace: env.namespace }), close: () => connection.close() };
}

describe('encrypted payloads', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({ actions: [reverse] }, { payloads: { encryption: withKeyA } });
  });
  afterAll(async () => h?.close());

  test('history payloads are unreadable without the key; the client with the key reads the result', async () => {
    const note = `NOTE-${randomBytes(4).toString('hex')}`;
    const greeting = `HELLO-${randomBytes(4).toString('hex')}`;
    const { handle, snapshot, outputs } = await h.run(document, runOptions(note, greeting));
    expect(snapshot.status).toBe('completed');
    expect(outputs).toEqual({ flip: { reversed: reversed(`${note} ${greeting}`) } });

    const history = await handle.fetchHistory();
    const all = historyText(history);
    expect(all).toContain('encrypted-run'); // the scan reads history (search attributes stay plain)
    for (const secret of [note, greeting, reversed(`${note} ${greeting}`)]) {
      expect({ secret, found: all.includes(secret) }).toEqual({ secret, found: false });
    }
    const payloads = historyPayloads(history);
    expect(payloads.length).toBeGreaterThan(3);
    for (const payload of payloads) {
      expect(metadataOf(payload)).toMatchObject({
        encoding: 'binary/encrypted',
        'encryption-key-id': 'key-a',
      });
    }

    // connect() with the same option (here from the environment) starts and reads encrypted runs.
    const env = sharedTestEnv();
    const client = await connect({
      address: env.address,
      namespace: env.namespace,
      taskQueue: h.taskQueue,
      env: { PIPELINE_ENCRYPTION_KEYS: `key-a:${KEY_A}` },
      actions: [reverse],
    });
    try {
      const outputs = await client.run(document, runOptions('VIA-CONNECT', 'yo'));
      expect(outputs).toEqual({ flip: { reversed: reversed('VIA-CONNECT yo') } });
    } finally {
      await client.close();
    }

    // A client without the codec cannot read the result.
    const plain = await plainClient();
    try {
      await expect(plain.client.workflow.getHandle(handle.workflowId).result()).rejects.toThrow(
        /binary\/encrypted/,
      );
    } finally {
      await plain.close();
    }
  });

  test('key rotation: after rotating to key B (A kept), old runs decode and new payloads carry key B', async () => {
    const note = `OLD-${randomBytes(4).toString('hex')}`;
    const old = await h.run(document, runOptions(note, 'hi'));
    expect(old.snapshot.status).toBe('completed');

    const rotated = await startPipelineHarness(
      { actions: [reverse] },
      { payloads: { encryption: rotatedToB } },
    );
    try {
      // The old run, read by the rotated client.
      const oldResult = await rotated.client.workflow.getHandle(old.handle.workflowId).result();
      expect(oldResult.outputs).toEqual({ flip: { reversed: reversed(`${note} hi`) } });
      // A new run, encrypted with B.
      const fresh = await rotated.run(document, runOptions('NEW', 'hi'));
      expect(fresh.outputs).toEqual({ flip: { reversed: reversed('NEW hi') } });
      const ids = new Set(
        historyPayloads(await fresh.handle.fetchHistory()).map((p) => metadataOf(p)['encryption-key-id']),
      );
      expect([...ids]).toEqual(['key-b']);
    } finally {
      await rotated.close();
    }

    // Without key A, the old run's payloads cannot be decoded: the error names the key id.
    const onlyB = await startPipelineHarness(
      {},
      { payloads: { encryption: { currentKeyId: 'key-b', keys: { 'key-b': KEY_B } } } },
    );
    try {
      const err = await onlyB.client.workflow
        .getHandle(old.handle.workflowId)
        .result()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PayloadDecodeError);
      expect((err as Error).message).toContain('"key-a"');
    } finally {
      await onlyB.close();
    }
  });

  describe('the codec server', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createCodecServer({ payloads: { encryption: rotatedToB } });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

    const toJson = (p: Payload) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? []).toString('base64'),
    });

    test('POST /decode turns an encrypted history payload into the plaintext, as the Web UI asks', async () => {
      const note = `UI-${randomBytes(4).toString('hex')}`;
      const { handle } = await h.run(document, runOptions(note, 'hey'));
      const started = (await handle.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
      const encrypted = started.input!.payloads![0]!;
      expect(text(encrypted.data)).not.toContain(note);

      const response = await fetch(`${url}/default/decode`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Namespace': 'default',
          Origin: 'http://localhost:8233',
        },
        body: JSON.stringify({ payloads: [toJson(encrypted)] }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
      const body = (await response.json()) as {
        payloads: { metadata: Record<string, string>; data: string }[];
      };
      expect(body.payloads).toHaveLength(1);
      const decoded = body.payloads[0]!;
      expect(Buffer.from(decoded.metadata.encoding!, 'base64').toString()).toBe('json/plain');
      const input = JSON.parse(Buffer.from(decoded.data, 'base64').toString()) as { inputs: unknown };
      expect(input.inputs).toEqual({ note });

      // /encode then /decode is the identity.
      const plain = {
        metadata: { encoding: Buffer.from('json/plain').toString('base64') },
        data: Buffer.from('"x"').toString('base64'),
      };
      const encoded = (await (
        await fetch(`${url}/encode`, { method: 'POST', body: JSON.stringify({ payloads: [plain] }) })
      ).json()) as { payloads: unknown[] };
      expect(
        Buffer.from(
          (encoded.payloads[0] as { metadata: Record<string, string> }).metadata['encryption-key-id']!,
          'base64',
        ).toString(),
      ).toBe('key-b');
      const back = (await (
        await fetch(`${url}/decode`, { method: 'POST', body: JSON.stringify(encoded) })
      ).json()) as { payloads: unknown[] };
      expect(back.payloads).toEqual([plain]);
    });

    test('answers the CORS preflight for the Web UI origin, and not for others', async () => {
      const preflight = await fetch(`${url}/decode`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'http://localhost:8233',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,x-namespace',
        },
      });
      expect(preflight.status).toBe(204);
      expect(Object.fromEntries(preflight.headers)).toMatchObject({
        'access-control-allow-origin': 'http://localhost:8233',
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': 'Content-Type, X-Namespace, Authorization, Authorization-Extras',
        'access-control-allow-methods': 'POST, OPTIONS',
      });
      const other = await fetch(`${url}/decode`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://evil.example' },
      });
      expect(other.status).toBe(403);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expect((await fetch(`${url}/decode`, { method: 'POST', body: '{"nope":1}' })).status).toBe(400);
      expect((await fetch(`${url}/elsewhere`, { method: 'POST', body: '{}' })).status).toBe(404);
    });
  });
});

describe('encryption with a claim check', () => {
  let h: PipelineHarness;
  let dir: string;
  let payloads: PayloadOptions;
  const BIG = 3 * 1024 * 1024;
  const bigText = defineAction({
    name: 'big_text',
    params: z.object({ seed: z.string() }),
    run: ({ seed }) => Promise.resolve({ text: `${reversed(seed)}:${'q'.repeat(BIG)}` }),
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'claim-check-enc-'));
    payloads = { encryption: withKeyA, claimCheck: { storage: new LocalDirectoryStorage(dir) } };
    h = await startPipelineHarness({ actions: [bigText] }, { payloads });
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a 3 MiB output is stored encrypted on disk; the result and the codec server read it', async () => {
    const seed = `SEED-${randomBytes(4).toString('hex')}`;
    const { handle, outputs } = await h.run(
      { name: 'big-encrypted', steps: [{ id: 'big', action: 'big_text', params: { seed } }] },
      { actions: { big_text: bigText } },
    );
    const head = reversed(seed);
    expect((outputs!.big as { text: string }).text.startsWith(`${head}:`)).toBe(true);
    expect((outputs!.big as { text: string }).text).toHaveLength(head.length + 1 + BIG);

    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const bytes = await readFile(file);
      expect(bytes.includes(head)).toBe(false);
      expect(bytes.includes('qqqqqqqqqqqqqqqq')).toBe(false);
      expect(bytes.includes('binary/encrypted')).toBe(true); // an encrypted payload, serialized
    }

    // The codec server, given the storage, resolves the reference in history and decrypts it.
    const server = createCodecServer({ payloads });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const history = await handle.fetchHistory();
      const completed = history.events!.find((e) => e.activityTaskCompletedEventAttributes)!;
      const reference = completed.activityTaskCompletedEventAttributes!.result!.payloads![0]!;
      expect(metadataOf(reference).encoding).toBe('claim-check/v1');
      const port = (server.address() as AddressInfo).port;
      const response = await fetch(`http://127.0.0.1:${port}/decode`, {
        method: 'POST',
        body: JSON.stringify({
          payloads: [
            {
              metadata: { encoding: Buffer.from('claim-check/v1').toString('base64') },
              data: Buffer.from(reference.data!).toString('base64'),
            },
          ],
        }),
      });
      const body = (await response.json()) as { payloads: { data: string }[] };
      const result = JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString()) as {
        output: { text: string };
      };
      expect(result.output.text.startsWith(`${head}:`)).toBe(true);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
