/**
 * AES-256-GCM payload encryption. Each encoded payload carries the id of the key that encrypted
 * it (`encryption-key-id` metadata), so a keyring that still holds old keys decrypts what they
 * encrypted while new payloads use the current key (key rotation).
 *
 * Wire format of an encrypted payload: metadata `encoding: binary/encrypted`,
 * `encryption-key-id: <id>`, `encryption-cipher: AES256GCM`; data = 12-byte IV ‖ ciphertext ‖
 * 16-byte tag, where the plaintext is the original payload (metadata and data) in protobuf
 * binary form and the key id is authenticated as additional data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CodecConfigError, PayloadDecodeError } from './errors';

const PayloadProto = temporal.api.common.v1.Payload;

/** `encoding` of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key that encrypted a payload. */
export const KEY_ID_METADATA = 'encryption-key-id';
/** Metadata key naming the cipher. */
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES256GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/**
 * Encryption keys by id, and which one encrypts new payloads. Keys are 32 bytes (AES-256), given
 * as bytes or base64 (`openssl rand -base64 32`). Keep retired keys here as long as histories
 * (and claim-checked blobs) they encrypted must stay readable.
 * @example { currentKeyId: '2026-11', keys: { '2026-11': 'q3…=', '2026-05': 'Zx…=' } }
 */
export interface EncryptionOptions {
  currentKeyId: string;
  keys: Readonly<Record<string, string | Uint8Array>>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function keyBytes(id: string, key: string | Uint8Array): Buffer {
  const bytes =
    typeof key === 'string'
      ? /^[A-Za-z0-9+/_-]+={0,2}$/.test(key.trim())
        ? Buffer.from(key.trim(), 'base64')
        : Buffer.alloc(0)
      : Buffer.from(key);
  if (bytes.length !== KEY_BYTES) {
    throw new CodecConfigError(
      `Encryption key "${id}" must be ${KEY_BYTES} bytes (base64 of 32 random bytes, e.g. \`openssl rand -base64 32\`), got ${bytes.length}`,
    );
  }
  return bytes;
}

/**
 * A {@link PayloadCodec} that encrypts every payload with the current key and decrypts with
 * whichever key a payload names. Payloads that are not encrypted pass through decode unchanged,
 * so turning encryption on keeps older, plaintext histories readable.
 * @throws CodecConfigError when a key is not 32 bytes or `currentKeyId` is not among `keys`.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly currentKeyId: string;

  constructor(options: EncryptionOptions) {
    const entries = Object.entries(options.keys);
    if (entries.length === 0) throw new CodecConfigError('Encryption needs at least one key');
    this.keys = new Map(entries.map(([id, key]) => [id, keyBytes(id, key)]));
    if (!this.keys.has(options.currentKeyId)) {
      throw new CodecConfigError(
        `The current encryption key id "${options.currentKeyId}" is not among the keys (${[...this.keys.keys()].join(', ')})`,
      );
    }
    this.currentKeyId = options.currentKeyId;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- errors must reject, not throw
  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.currentKeyId;
    const key = this.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(encoder.encode(keyId));
      const plain = PayloadProto.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: encoder.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: encoder.encode(keyId),
          [CIPHER_METADATA]: encoder.encode(CIPHER),
        },
        data: sealed,
      };
    });
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- errors must reject, not throw
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    const keyId = idBytes ? decoder.decode(idBytes) : '';
    const key = this.keys.get(keyId);
    if (!key) {
      throw new PayloadDecodeError(
        `Payload is encrypted with key id "${keyId}", which this process does not hold (keys: ${[...this.keys.keys()].join(', ')}); keep retired keys in the keyring`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecodeError(`Encrypted payload (key id "${keyId}") is truncated`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(encoder.encode(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch (err) {
      throw new PayloadDecodeError(
        `Encrypted payload (key id "${keyId}") failed authentication: wrong key or tampered data`,
        { cause: err },
      );
    }
    return PayloadProto.decode(plain);
  }
}
