/**
 * The claim check: a {@link PayloadCodec} that stores each payload over a size threshold in a
 * {@link PayloadStorage} and puts a small reference in its place, and fetches it back on decode.
 * It runs after the encryption codec (`payloadCodecs: [encryption, claimCheck]`; the SDK encodes
 * in array order and decodes in reverse), so with encryption on the stored bytes are ciphertext.
 *
 * Reference payload: metadata `encoding: claim-check/v1`; data = JSON `{ "key": <sha256 hex of
 * the stored bytes>, "size": <bytes> }`. The stored bytes are the original payload (metadata
 * and data) in protobuf binary form.
 *
 * Why not the SDK's experimental `ExternalStorage` (1.24): it builds its reference payload with
 * the protobuf JSON codec of `@temporalio/common`'s own protobufjs copy, which rejects the
 * message types of `@temporalio/proto`'s copy whenever npm installs them as two copies (as it
 * does next to `@grpc/proto-loader`'s protobufjs 7): every offload fails with "type must be a Type".
 */
import { createHash } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PayloadDecodeError } from './errors';
import type { PayloadStorage } from './storage';

const PayloadProto = temporal.api.common.v1.Payload;

/** `encoding` of a claim-check reference payload. */
export const CLAIM_CHECK_ENCODING = 'claim-check/v1';

/** Payloads at or over this many bytes are claim-checked unless `thresholdBytes` says otherwise. */
export const DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES = 256 * 1024;

export interface ClaimCheckOptions {
  /** Where large payloads go, e.g. `new LocalDirectoryStorage('./payloads')`. */
  storage: PayloadStorage;
  /** Payloads of at least this size (encoded, bytes) are stored outside history. @default 262144 (256 KiB) */
  thresholdBytes?: number;
}

/** What a reference payload's data holds. */
interface ClaimReference {
  key: string;
  size: number;
}

/** The storage key of serialized bytes: their SHA-256, so storing the same bytes twice stores one blob. */
export function claimKey(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A payload's size: its data plus its metadata keys and values. */
function payloadSize(payload: Payload): number {
  let size = payload.data?.length ?? 0;
  for (const [key, value] of Object.entries(payload.metadata ?? {}))
    size += key.length + (value?.length ?? 0);
  return size;
}

/** Stores payloads over the threshold and references them (see the module comment). */
export class ClaimCheckCodec implements PayloadCodec {
  readonly thresholdBytes: number;
  readonly storage: PayloadStorage;

  constructor(options: ClaimCheckOptions) {
    this.storage = options.storage;
    this.thresholdBytes = options.thresholdBytes ?? DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if (payloadSize(payload) < this.thresholdBytes) return payload;
        const bytes = PayloadProto.encode(payload).finish();
        const reference: ClaimReference = { key: claimKey(bytes), size: bytes.length };
        await this.storage.put(reference.key, bytes);
        return {
          metadata: { encoding: encoder.encode(CLAIM_CHECK_ENCODING) },
          data: encoder.encode(JSON.stringify(reference)),
        };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map(async (payload) => this.decodeOne(payload)));
  }

  private async decodeOne(payload: Payload): Promise<Payload> {
    const encoding = payload.metadata?.encoding;
    if (!encoding || decoder.decode(encoding) !== CLAIM_CHECK_ENCODING) return payload;
    let key: unknown;
    try {
      key = (JSON.parse(decoder.decode(payload.data ?? new Uint8Array())) as Partial<ClaimReference>).key;
    } catch {
      key = undefined;
    }
    if (typeof key !== 'string') throw new PayloadDecodeError('Claim-check reference without a key');
    let bytes: Uint8Array;
    try {
      bytes = await this.storage.get(key);
    } catch (err) {
      throw new PayloadDecodeError(`Claim-checked payload ${key} is not in storage`, { cause: err });
    }
    if (claimKey(bytes) !== key) {
      throw new PayloadDecodeError(`Claim-checked payload ${key} does not match its key (corrupted storage)`);
    }
    return PayloadProto.decode(bytes);
  }
}
