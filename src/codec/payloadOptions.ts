/**
 * The one option that turns payload encryption and the claim check on, shared by `connect()`,
 * the worker and the codec server, and its environment-variable form.
 */
import { setEnvValues } from '../shared';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { ClaimCheckCodec, type ClaimCheckOptions } from './claimCheck';
import { EncryptionCodec, type EncryptionOptions } from './encryption';
import { CodecConfigError } from './errors';
import { LocalDirectoryStorage } from './storage';

/**
 * How workflow payloads (run inputs, node outputs, results) are encoded. Give the same value to
 * `connect()`, the worker and the codec server. Both parts are off by default.
 * @example
 * const payloads = {
 *   encryption: { currentKeyId: 'k2', keys: { k2: process.env.KEY_K2!, k1: process.env.KEY_K1! } },
 *   claimCheck: { storage: new LocalDirectoryStorage('./payloads'), thresholdBytes: 256 * 1024 },
 * };
 */
export interface PayloadOptions {
  /** AES-256-GCM encryption of every payload; the Web UI then needs the codec server. */
  encryption?: EncryptionOptions;
  /** Payloads over a threshold go to storage; history keeps a reference. */
  claimCheck?: ClaimCheckOptions;
}

/**
 * The payload codecs for `options`, in the SDK's encode order: encryption first, then the claim
 * check (so stored blobs are encrypted too). Empty when both are off.
 * @throws CodecConfigError when the keys are malformed.
 */
export function createPayloadCodecs(options: PayloadOptions | undefined): PayloadCodec[] {
  return [
    ...(options?.encryption ? [new EncryptionCodec(options.encryption)] : []),
    ...(options?.claimCheck ? [new ClaimCheckCodec(options.claimCheck)] : []),
  ];
}

/**
 * The module exporting the failure converter that encodes failure messages and stack traces
 * (`failureConverter.ts`), for `DataConverter.failureConverterPath` and the workflow bundler.
 */
export const encodedFailureConverterPath = (): string => require.resolve('./failureConverter');

/**
 * The Temporal data converter for `options` (see {@link createPayloadCodecs}); `undefined` when
 * both are off (the SDK's default converter). With encryption, failure messages and stack traces
 * are encoded too (and so encrypted): see `failureConverter.ts`.
 * @throws CodecConfigError when the keys are malformed.
 */
export function createDataConverter(options: PayloadOptions | undefined): DataConverter | undefined {
  const payloadCodecs = createPayloadCodecs(options);
  if (payloadCodecs.length === 0) return undefined;
  return {
    payloadCodecs,
    ...(options?.encryption && { failureConverterPath: encodedFailureConverterPath() }),
  };
}

/** Whether a client or worker's codecs include a claim check (large payloads stored outside history). */
export function hasClaimCheck(codecs: readonly PayloadCodec[]): boolean {
  return codecs.some((codec) => codec instanceof ClaimCheckCodec);
}

/** The environment variables that configure {@link PayloadOptions} (worker, client, codec server). */
export const PayloadEnv = z.object({
  /** Encryption keys, `id:base64,id:base64` (32-byte keys). Encryption is off when unset. */
  PIPELINE_ENCRYPTION_KEYS: z.string().min(1).optional(),
  /** The key that encrypts new payloads. @default the first of PIPELINE_ENCRYPTION_KEYS */
  PIPELINE_ENCRYPTION_KEY_ID: z.string().min(1).optional(),
  /** A directory for claim-checked payloads (LocalDirectoryStorage). The claim check is off when unset. */
  PIPELINE_CLAIM_CHECK_DIR: z.string().min(1).optional(),
  /** Payloads of at least this many bytes are claim-checked. @default 262144 */
  PIPELINE_CLAIM_CHECK_THRESHOLD_BYTES: z.coerce.number().int().positive().optional(),
});
export type PayloadEnv = z.infer<typeof PayloadEnv>;

/** Parses `id:base64,id:base64`. @throws CodecConfigError */
export function parseKeyList(text: string): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon).trim();
    if (colon <= 0 || id === '') {
      throw new CodecConfigError(
        `PIPELINE_ENCRYPTION_KEYS: each entry is id:base64key, got "${entry.slice(0, 12)}…"`,
      );
    }
    if (Object.hasOwn(keys, id))
      throw new CodecConfigError(`PIPELINE_ENCRYPTION_KEYS: key id "${id}" appears twice`);
    keys[id] = entry.slice(colon + 1).trim();
  }
  return keys;
}

/**
 * {@link PayloadOptions} from environment variables (see {@link PayloadEnv}).
 * @throws CodecConfigError when a variable is malformed.
 */
export function payloadOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadOptions {
  const parsed = PayloadEnv.safeParse(setEnvValues(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new CodecConfigError(`Invalid payload configuration: ${lines.join('; ')}`);
  }
  const config = parsed.data;
  const options: PayloadOptions = {};
  if (config.PIPELINE_ENCRYPTION_KEYS !== undefined) {
    const keys = parseKeyList(config.PIPELINE_ENCRYPTION_KEYS);
    const currentKeyId = config.PIPELINE_ENCRYPTION_KEY_ID ?? Object.keys(keys)[0];
    if (currentKeyId === undefined) throw new CodecConfigError('PIPELINE_ENCRYPTION_KEYS lists no key');
    options.encryption = { currentKeyId, keys };
  } else if (config.PIPELINE_ENCRYPTION_KEY_ID !== undefined) {
    throw new CodecConfigError('PIPELINE_ENCRYPTION_KEY_ID is set but PIPELINE_ENCRYPTION_KEYS is not');
  }
  if (config.PIPELINE_CLAIM_CHECK_DIR !== undefined) {
    options.claimCheck = {
      storage: new LocalDirectoryStorage(config.PIPELINE_CLAIM_CHECK_DIR),
      thresholdBytes: config.PIPELINE_CLAIM_CHECK_THRESHOLD_BYTES,
    };
  }
  return options;
}
