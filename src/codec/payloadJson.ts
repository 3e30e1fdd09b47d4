/**
 * Payloads in the codec-server protocol's JSON (proto3 JSON: every metadata value and the data
 * are base64), read from a request body and written back.
 */
import type { Payload } from '@temporalio/common';

/** A request body that is not `{ "payloads": [ … ] }` (the codec server answers 400). */
export class PayloadJsonError extends Error {}

export function parsePayloads(text: string): Payload[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PayloadJsonError('Body must be JSON: { "payloads": [ … ] }');
  }
  const list = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new PayloadJsonError('Body must be JSON: { "payloads": [ … ] }');
  return list.map((item, i) => {
    const payload = fromJsonPayload(item);
    if (!payload)
      throw new PayloadJsonError(`payloads[${i}] is not a payload (metadata values and data are base64)`);
    return payload;
  });
}

/** A payload in proto3 JSON: every metadata value and the data are base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Proto3 JSON → payload. (Written out rather than `JSONToPayload` from `@temporalio/common`,
 * whose protobufjs copy rejects `@temporalio/proto`'s types when npm installs two copies.)
 */
function fromJsonPayload(value: unknown): Payload | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { metadata = {}, data = '' } = value as JsonPayload;
  if (typeof metadata !== 'object' || metadata === null || typeof data !== 'string' || !BASE64.test(data)) {
    return undefined;
  }
  const decoded: Record<string, Uint8Array> = {};
  for (const [key, text] of Object.entries(metadata)) {
    if (typeof text !== 'string' || !BASE64.test(text)) return undefined;
    decoded[key] = Buffer.from(text, 'base64');
  }
  return { metadata: decoded, data: Buffer.from(data, 'base64') };
}

/** Payload → proto3 JSON. */
export function toJsonPayload(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, bytes] of Object.entries(payload.metadata ?? {})) {
    metadata[key] = Buffer.from(bytes ?? new Uint8Array()).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}
