/**
 * Payload sizes. Temporal refuses any single payload over 2 MiB (server default
 * `limit.blobSize.error`); a run's inputs, a node's output and the run's result are each one
 * payload unless a claim check stores them outside history.
 */

/** Temporal's default limit on one payload, bytes. */
export const TEMPORAL_PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024;

/**
 * The largest value this library sends inline (without a claim check): Temporal's limit less
 * 64 KiB for what wraps the value (the run's plan, a node result's attempt and logs, codec
 * metadata and encryption overhead).
 */
export const MAX_INLINE_PAYLOAD_BYTES = TEMPORAL_PAYLOAD_LIMIT_BYTES - 64 * 1024;

/**
 * The default limit on a run's inputs and params when a claim check is configured: they are
 * stored outside history, but the run still holds them in the worker's memory.
 */
export const MAX_CLAIM_CHECKED_INPUT_BYTES = 64 * 1024 * 1024;

/** `3.0 MiB`, `512.0 KiB`, `900 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/**
 * Most steps a pipeline may have. A plan this big fits in one start payload when its params are
 * small (about 130 bytes a step packed); runs continue as new before their history grows past
 * Temporal's event warning.
 */
export const MAX_STEPS = 10_000;
