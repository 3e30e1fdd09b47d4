import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { CodecConfigError, EncryptionCodec, PayloadDecodeError } from '../../../src/codec';

const key = () => randomBytes(32).toString('base64');
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const plain = (value: string): Payload => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(value)),
});

test('encrypts with the current key id in metadata and decrypts back to the same payload', async () => {
  const codec = new EncryptionCodec({ currentKeyId: 'k1', keys: { k1: key() } });
  const [encrypted] = await codec.encode([plain('top secret')]);
  expect(text(encrypted!.metadata!.encoding)).toBe('binary/encrypted');
  expect(text(encrypted!.metadata!['encryption-key-id'])).toBe('k1');
  expect(text(encrypted!.data)).not.toContain('top secret');
  const [decoded] = await codec.decode([encrypted!]);
  expect(text(decoded!.data)).toBe('"top secret"');
  expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
});

test('two encodings of one payload differ (random IV)', async () => {
  const codec = new EncryptionCodec({ currentKeyId: 'k1', keys: { k1: key() } });
  const [a, b] = await codec.encode([plain('x'), plain('x')]);
  expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
});

test('rotation: a keyring with the old key decrypts old payloads and encrypts new ones with the new key', async () => {
  const k1 = key();
  const k2 = key();
  const [old] = await new EncryptionCodec({ currentKeyId: 'k1', keys: { k1 } }).encode([plain('old')]);
  const rotated = new EncryptionCodec({ currentKeyId: 'k2', keys: { k2, k1 } });
  expect(text((await rotated.decode([old!]))[0]!.data)).toBe('"old"');
  const [fresh] = await rotated.encode([plain('new')]);
  expect(text(fresh!.metadata!['encryption-key-id'])).toBe('k2');
});

test('a payload under an unknown key id, or tampered with, is a PayloadDecodeError; plaintext passes through', async () => {
  const [sealed] = await new EncryptionCodec({ currentKeyId: 'gone', keys: { gone: key() } }).encode([
    plain('x'),
  ]);
  const codec = new EncryptionCodec({ currentKeyId: 'k1', keys: { k1: key() } });
  await expect(codec.decode([sealed!])).rejects.toThrow(PayloadDecodeError);
  await expect(codec.decode([sealed!])).rejects.toThrow(/key id "gone"/);

  const [mine] = await codec.encode([plain('x')]);
  const tampered = Buffer.from(mine!.data!);
  tampered[20] = tampered[20]! ^ 1;
  await expect(codec.decode([{ ...mine!, data: tampered }])).rejects.toThrow(/failed authentication/);
  // The key id is authenticated: relabelling a payload with another id fails too.
  const both = new EncryptionCodec({ currentKeyId: 'k1', keys: { k1: key(), k2: key() } });
  const [labelled] = await both.encode([plain('x')]);
  const relabelled = {
    ...labelled!,
    metadata: { ...labelled!.metadata, 'encryption-key-id': Buffer.from('k2') },
  };
  await expect(both.decode([relabelled])).rejects.toThrow(/failed authentication/);

  expect(await codec.decode([plain('clear')])).toEqual([plain('clear')]);
});

test('bad configuration is a CodecConfigError', () => {
  expect(() => new EncryptionCodec({ currentKeyId: 'k1', keys: { k1: 'c2hvcnQ=' } })).toThrow(
    /"k1" must be 32 bytes.*got 5/,
  );
  expect(() => new EncryptionCodec({ currentKeyId: 'k9', keys: { k1: key() } })).toThrow(CodecConfigError);
  expect(() => new EncryptionCodec({ currentKeyId: 'k1', keys: {} })).toThrow(/at least one key/);
  expect(() => new EncryptionCodec({ currentKeyId: 'k1', keys: { k1: randomBytes(32) } })).not.toThrow();
});
