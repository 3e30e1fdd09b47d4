import { randomBytes } from 'node:crypto';
import {
  ClaimCheckCodec,
  CodecConfigError,
  EncryptionCodec,
  LocalDirectoryStorage,
  createPayloadCodecs,
  payloadOptionsFromEnv,
} from '../../../src/codec';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');

test('off when no variable is set', () => {
  expect(payloadOptionsFromEnv({})).toEqual({});
  // An empty variable is unset (docker-compose passes `${PIPELINE_ENCRYPTION_KEYS:-}` through).
  expect(payloadOptionsFromEnv({ PIPELINE_ENCRYPTION_KEYS: '', PIPELINE_ENCRYPTION_KEY_ID: '' })).toEqual({});
  expect(createPayloadCodecs({})).toEqual([]);
});

test('keys from PIPELINE_ENCRYPTION_KEYS, the current one from PIPELINE_ENCRYPTION_KEY_ID or the first', () => {
  expect(payloadOptionsFromEnv({ PIPELINE_ENCRYPTION_KEYS: `new:${k2}, old:${k1}` }).encryption).toEqual({
    currentKeyId: 'new',
    keys: { new: k2, old: k1 },
  });
  expect(
    payloadOptionsFromEnv({
      PIPELINE_ENCRYPTION_KEYS: `new:${k2},old:${k1}`,
      PIPELINE_ENCRYPTION_KEY_ID: 'old',
    }).encryption?.currentKeyId,
  ).toBe('old');
});

test('a claim check from PIPELINE_CLAIM_CHECK_DIR; codecs in encode order encryption → claim check', () => {
  const options = payloadOptionsFromEnv({
    PIPELINE_ENCRYPTION_KEYS: `a:${k1}`,
    PIPELINE_CLAIM_CHECK_DIR: '/tmp/payloads',
    PIPELINE_CLAIM_CHECK_THRESHOLD_BYTES: '4096',
  });
  expect(options.claimCheck?.storage).toBeInstanceOf(LocalDirectoryStorage);
  expect(options.claimCheck?.thresholdBytes).toBe(4096);
  const codecs = createPayloadCodecs(options);
  expect(codecs.map((c) => c.constructor)).toEqual([EncryptionCodec, ClaimCheckCodec]);
});

test('malformed variables are CodecConfigErrors that say which', () => {
  expect(() => payloadOptionsFromEnv({ PIPELINE_ENCRYPTION_KEYS: 'nokey' })).toThrow(
    /each entry is id:base64key/,
  );
  expect(() => payloadOptionsFromEnv({ PIPELINE_ENCRYPTION_KEYS: `a:${k1},a:${k2}` })).toThrow(
    /"a" appears twice/,
  );
  expect(() => payloadOptionsFromEnv({ PIPELINE_ENCRYPTION_KEY_ID: 'a' })).toThrow(CodecConfigError);
  expect(() =>
    payloadOptionsFromEnv({ PIPELINE_CLAIM_CHECK_THRESHOLD_BYTES: '-1', PIPELINE_CLAIM_CHECK_DIR: '/x' }),
  ).toThrow(/PIPELINE_CLAIM_CHECK_THRESHOLD_BYTES/);
  expect(() =>
    createPayloadCodecs(payloadOptionsFromEnv({ PIPELINE_ENCRYPTION_KEYS: 'a:c2hvcnQ=' })),
  ).toThrow(/"a" must be 32 bytes/);
});
