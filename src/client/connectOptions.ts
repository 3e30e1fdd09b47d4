/**
 * What `connect()` takes: its options (`ConnectOptions`, `ConnectRetryOptions`) and the
 * environment it reads their defaults from (`ClientEnv`).
 */
import type { TLSConfig } from '@temporalio/client';
import { z } from 'zod';
import type { PayloadOptions } from '../codec';
import type { ActionDefinition } from '../model';
import type { RateLimitRetryOptions } from './runs/rateLimitRetry';

/** The environment `connect()` reads its defaults from. */
export const ClientEnv = z.object({
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('pipelines'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
});

export interface ConnectOptions {
  /** @default env TEMPORAL_ADDRESS, else 'localhost:7233' */
  address?: string;
  /** @default env TEMPORAL_NAMESPACE, else 'default' */
  namespace?: string;
  /** Task queue the workers poll. @default env TEMPORAL_TASK_QUEUE, else 'pipelines' */
  taskQueue?: string;
  /** Temporal Cloud API key (turns TLS on). @default env TEMPORAL_API_KEY */
  apiKey?: string;
  /** TLS on, or mTLS settings. @default env TEMPORAL_TLS === 'true', or on with an API key */
  tls?: boolean | TLSConfig;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * How each Temporal call is retried on transient gRPC errors (UNAVAILABLE, RESOURCE_EXHAUSTED,
   * …) before its error reaches you. The Temporal SDK's default makes 10 attempts; on a rate
   * limit it waits about 1.7 s, 2.9 s, 4.9 s, then 5 s between them, so a call that stays rate
   * limited throws `RateLimitError` only after about 40 s. Run starts refused for load are
   * retried by this client instead, with jittered backoff (see `rateLimited`).
   * `{ rateLimited: false }` throws `RateLimitError` at once (other transient errors are still
   * retried); `{ maxAttempts: 1 }` retries nothing.
   * @default { maxAttempts: 10, rateLimited: true }
   */
  retry?: ConnectRetryOptions;
  /**
   * At most this many run starts in flight from this client (`start`, `startSaved`, `run`,
   * `executions.create`, `runEphemeral`, `createMany`); further starts wait inside the client and
   * go in the order they were called, so `Promise.all(items.map(() => client.start(…)))` never
   * sends more than this many at once. A start keeps its slot while it backs off from a rate
   * limit, so a limited server is not hit by the whole queue. An integer ≥ 1 (else `RangeError`).
   * @default 16
   */
  maxConcurrentStarts?: number;
  /**
   * OpenTelemetry: each run's start is a span of the run's trace (its `traceId`), which the
   * workflow and its node activities continue on a worker with `tracing` set. Spans go to the
   * tracer provider your process registered. A run started inside an active span joins that trace.
   * @default false
   */
  tracing?: boolean;
  /**
   * The users' own actions your workers register, so that definitions using them validate here
   * before anything is saved or started: `defineAction()` values (their params are checked too)
   * or just names (params unchecked).
   */
  actions?: ReadonlyArray<ActionDefinition | string>;
  /**
   * Payload encryption and the claim check for large payloads; give the worker the same value.
   * See docs/payloads.md.
   * @default from env PIPELINE_ENCRYPTION_KEYS, PIPELINE_ENCRYPTION_KEY_ID, PIPELINE_CLAIM_CHECK_DIR,
   * PIPELINE_CLAIM_CHECK_THRESHOLD_BYTES; off when they are unset
   */
  payloads?: PayloadOptions;
  /**
   * Largest run start (the run's inputs, params and plan, encoded) this client sends; a bigger
   * one is refused with `PipelineValidationError` before anything starts.
   * @default 1.94 MiB (fits Temporal's 2 MiB payload limit); 64 MiB with a claim check
   */
  maxInputBytes?: number;
  /**
   * How long `connect()` waits for the server to answer before it throws `ConnectionError`.
   * @default 4000
   */
  connectTimeoutMs?: number;
}

/** See `ConnectOptions.retry`. */
export interface ConnectRetryOptions {
  /** Attempts per call, the first included. @default 10 */
  maxAttempts?: number;
  /**
   * Whether a call refused for load (RESOURCE_EXHAUSTED: rate limits, concurrency limits) is
   * retried. Run starts are retried by the client: a random wait up to a ceiling that doubles
   * from `initialDelayMs` to `maxDelayMs` ("full jitter", so refused starts do not come back
   * together), at least the refusal's `retryAfterMs` when it has one, up to `maxAttempts`
   * (default: the `maxAttempts` above); pass an object to tune that or to watch retries
   * (`onRetry`). A single start does not retry a refusal by the engine's own concurrency limit
   * (`reason: 'CONCURRENCY_LIMIT'`, a pipeline with `onLimit: 'reject'`); `createMany` does. Other
   * calls are retried inside the call with the SDK's backoff. `false` throws `RateLimitError` at
   * once.
   * @default true: starts `{ maxAttempts: 10, initialDelayMs: 250, maxDelayMs: 10000 }` (at most
   * about 46 s of waiting in all)
   */
  rateLimited?: boolean | RateLimitRetryOptions;
}
