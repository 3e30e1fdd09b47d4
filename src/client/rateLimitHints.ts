/**
 * What a RESOURCE_EXHAUSTED says about itself. Temporal puts a `google.rpc.Status` in the
 * `grpc-status-details-bin` trailer whose details hold a `temporal.api.errordetails.v1.
 * ResourceExhaustedFailure { cause, scope }`; a server or proxy may add a standard
 * `google.rpc.RetryInfo { retry_delay }` or `grpc-retry-pushback-ms`. These few protobuf messages
 * are decoded here from the wire format so the client needs no protobuf runtime of its own.
 */
import { GrpcStatus } from './grpcStatus';

export interface RateLimitHints {
  serverMessage?: string;
  reason?: string;
  scope?: string;
  retryAfterMs?: number;
}

/** `temporal.api.enums.v1.ResourceExhaustedCause`, without its `RESOURCE_EXHAUSTED_CAUSE_` prefix. */
const RESOURCE_EXHAUSTED_CAUSES: Record<number, string> = {
  1: 'RPS_LIMIT',
  2: 'CONCURRENT_LIMIT',
  3: 'SYSTEM_OVERLOADED',
  4: 'PERSISTENCE_LIMIT',
  5: 'BUSY_WORKFLOW',
  6: 'APS_LIMIT',
  7: 'PERSISTENCE_STORAGE_LIMIT',
  8: 'CIRCUIT_BREAKER_OPEN',
  9: 'OPS_LIMIT',
  10: 'WORKER_DEPLOYMENT_LIMITS',
};
/** `temporal.api.enums.v1.ResourceExhaustedScope`, without its prefix. */
const RESOURCE_EXHAUSTED_SCOPES: Record<number, string> = { 1: 'NAMESPACE', 2: 'SYSTEM' };

interface GrpcErrorLike {
  details?: unknown;
  metadata?: { get(key: string): unknown[] };
}

/** What a RESOURCE_EXHAUSTED error says about itself: the server's message, the limit, its scope and any retry delay. */
export function rateLimitHints(grpc: unknown): RateLimitHints {
  const hints: RateLimitHints = {};
  const { details, metadata } = (grpc ?? {}) as GrpcErrorLike;
  if (typeof metadata?.get === 'function') {
    const pushback = metadata.get('grpc-retry-pushback-ms')[0];
    if (typeof pushback === 'string' && /^\d+$/.test(pushback)) hints.retryAfterMs = Number(pushback);
    const status = metadata.get('grpc-status-details-bin')[0];
    try {
      if (status instanceof Uint8Array) readStatus(status, hints);
    } catch {
      // Details we cannot read are no hints.
    }
  }
  // Without a readable status, the gRPC error's own text (the SDK may have replaced it with bytes
  // for Update-with-Start, hence the check for control characters).
  // eslint-disable-next-line no-control-regex
  if (hints.serverMessage === undefined && typeof details === 'string' && !/[\x00-\x08]/.test(details)) {
    hints.serverMessage = details || undefined;
  }
  return hints;
}

/**
 * Reads a `google.rpc.Status` { code, message, details: Any[] } into `hints`. Temporal's
 * `MultiOperationExecutionFailure` (Update-with-Start, as `pipelines.save` uses) wraps one such
 * status per operation: the one that was RESOURCE_EXHAUSTED is read the same way.
 */
function readStatus(bytes: Uint8Array, hints: RateLimitHints): void {
  const status = fieldsOf(bytes);
  const message = textOf(status.find((f) => f.field === 2));
  if (message) hints.serverMessage = message;
  for (const any of status.filter((f) => f.field === 3)) {
    const parts = fieldsOf(bytesOf(any));
    const typeUrl = textOf(parts.find((f) => f.field === 1));
    const value = bytesOf(parts.find((f) => f.field === 2));
    const type = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    if (type === 'temporal.api.errordetails.v1.ResourceExhaustedFailure') {
      const failure = fieldsOf(value);
      const cause = numberOf(failure.find((f) => f.field === 1));
      const scope = numberOf(failure.find((f) => f.field === 2));
      if (cause) hints.reason = RESOURCE_EXHAUSTED_CAUSES[cause] ?? `CAUSE_${cause}`;
      if (scope) hints.scope = RESOURCE_EXHAUSTED_SCOPES[scope] ?? `SCOPE_${scope}`;
    } else if (type === 'google.rpc.RetryInfo') {
      const delay = fieldsOf(bytesOf(fieldsOf(value).find((f) => f.field === 1)));
      const seconds = numberOf(delay.find((f) => f.field === 1)) ?? 0;
      const nanos = numberOf(delay.find((f) => f.field === 2)) ?? 0;
      // A negative or absurd delay (a 10-byte varint) is no hint.
      if (seconds < 1e9 && nanos < 1e9) hints.retryAfterMs = Math.ceil(seconds * 1000 + nanos / 1e6);
    } else if (type === 'temporal.api.errordetails.v1.MultiOperationExecutionFailure') {
      for (const operation of fieldsOf(value).filter((f) => f.field === 1)) {
        const code = numberOf(fieldsOf(bytesOf(operation)).find((f) => f.field === 1));
        if (code === GrpcStatus.RESOURCE_EXHAUSTED) readStatus(bytesOf(operation), hints);
      }
    }
  }
}

/** One field of a protobuf message: a varint (wire type 0) or length-delimited bytes (2). */
interface WireField {
  field: number;
  value: number | Uint8Array;
}

const bytesOf = (f: WireField | undefined): Uint8Array =>
  f?.value instanceof Uint8Array ? f.value : new Uint8Array();
const numberOf = (f: WireField | undefined): number | undefined =>
  typeof f?.value === 'number' ? f.value : undefined;
const textOf = (f: WireField | undefined): string => new TextDecoder().decode(bytesOf(f));

/** The top-level fields of a protobuf message (fixed-width fields are skipped). */
function fieldsOf(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 1; ; shift *= 128) {
      if (at >= bytes.length) throw new RangeError('truncated varint');
      const byte = bytes[at++] as number;
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) fields.push({ field, value: varint() });
    else if (wireType === 2) {
      const length = varint();
      if (at + length > bytes.length) throw new RangeError('truncated field');
      fields.push({ field, value: bytes.subarray(at, at + length) });
      at += length;
    } else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else throw new RangeError(`unsupported wire type ${wireType}`);
  }
  return fields;
}
