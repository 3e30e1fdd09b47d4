import { createHash } from 'node:crypto';
import { canonicalJson, hashJson, sha256Hex, utf8Encode } from '../../../src/model/definition/hash';

const nodeSha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('sha256Hex', () => {
  test.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
  ])('matches the FIPS 180 test vector for %j', (input, digest) => {
    expect(sha256Hex(input)).toBe(digest);
  });

  test('matches node:crypto across block boundaries and multi-byte text', () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const text = 'x'.repeat(length);
      expect(sha256Hex(text)).toBe(nodeSha(text));
    }
    const unicode = 'héllo wörld — ☃ 𝄞 日本語';
    expect(sha256Hex(unicode)).toBe(nodeSha(unicode));
  });

  test('encodes UTF-8 like TextEncoder, including surrogate pairs and lone surrogates', () => {
    for (const text of ['a', 'é', '☃', '𝄞', '\ud800x', 'x\udc00']) {
      expect([...utf8Encode(text)]).toEqual([...new TextEncoder().encode(text)]);
    }
  });
});

describe('canonicalJson', () => {
  test('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  test('equal documents with different key order hash equal; different documents do not', () => {
    expect(hashJson({ x: 1, y: [1, 2] })).toBe(hashJson({ y: [1, 2], x: 1 }));
    expect(hashJson({ x: 1, y: [1, 2] })).not.toBe(hashJson({ x: 1, y: [2, 1] }));
  });

  test('rejects values JSON cannot represent', () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
    expect(() => canonicalJson(Number.NaN)).toThrow(/not representable/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/circular/);
  });
});
