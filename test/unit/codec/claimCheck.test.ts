import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { ClaimCheckCodec, LocalDirectoryStorage, PayloadDecodeError } from '../../../src/codec';

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const payloadOf = (size: number, fill = 'a'): Payload => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(fill.repeat(size))),
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'claim-unit-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const files = async () =>
  (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);

test('payloads under the threshold stay inline; larger ones become a reference and come back', async () => {
  const codec = new ClaimCheckCodec({ storage: new LocalDirectoryStorage(dir), thresholdBytes: 1000 });
  const small = payloadOf(10);
  const big = payloadOf(5000);
  const [keptSmall, reference] = await codec.encode([small, big]);
  expect(keptSmall).toBe(small);
  expect(text(reference!.metadata!.encoding)).toBe('claim-check/v1');
  const ref = JSON.parse(text(reference!.data)) as { key: string; size: number };
  expect(ref.key).toMatch(/^[0-9a-f]{64}$/);
  expect(ref.size).toBeGreaterThan(5000);
  expect(reference!.data!.length).toBeLessThan(200);
  expect(await files()).toEqual([ref.key]);
  const [back] = await codec.decode([reference!]);
  expect(text(back!.data)).toBe(text(big.data));
});

test('the same payload stored twice is one file (content-addressed)', async () => {
  const codec = new ClaimCheckCodec({ storage: new LocalDirectoryStorage(dir), thresholdBytes: 100 });
  const [a] = await codec.encode([payloadOf(1000, 'z')]);
  const [b] = await codec.encode([payloadOf(1000, 'z')]);
  expect(text(a!.data)).toBe(text(b!.data));
  expect(await files()).toHaveLength(1);
});

test('a missing or corrupted blob is a PayloadDecodeError naming the key', async () => {
  const storage = new LocalDirectoryStorage(dir);
  const codec = new ClaimCheckCodec({ storage, thresholdBytes: 100 });
  const [reference] = await codec.encode([payloadOf(1000)]);
  const { key } = JSON.parse(text(reference!.data)) as { key: string };
  await writeFile(storage.pathOf(key), 'garbage');
  await expect(codec.decode([reference!])).rejects.toThrow(/does not match its key/);
  await rm(storage.pathOf(key));
  await expect(codec.decode([reference!])).rejects.toThrow(PayloadDecodeError);
  await expect(codec.decode([reference!])).rejects.toThrow(`${key} is not in storage`);
});

test('LocalDirectoryStorage refuses keys that are not content hashes (no path traversal)', () => {
  expect(() => new LocalDirectoryStorage(dir).pathOf('../../etc/passwd')).toThrow(RangeError);
});
