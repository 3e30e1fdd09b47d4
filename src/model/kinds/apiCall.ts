/**
 * The `api_call` kind: one HTTP request.
 */
import { z } from 'zod';
import { boundedDuration } from '../definition/definition';
import { DURATION_LIMITS } from '../definition/duration';
import { PARAM_ROLES } from './paramRoles';
import type { KindSpec } from './kindSpec';

export const HttpMethod = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);
export type HttpMethod = z.infer<typeof HttpMethod>;

export const ApiCallParams = z.strictObject({
  url: z.string().regex(/^https?:\/\/\S+$/i, 'an http:// or https:// URL'),
  /** @default 'GET' */
  method: HttpMethod.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  body: z.unknown().optional(),
  /** @default 'json' */
  body_type: z.enum(['json', 'text']).optional(),
  /** Timeout of the HTTP request itself, at most 1 day. */
  timeout: boundedDuration(DURATION_LIMITS.requestTimeout).optional(),
  /** @default 1048576 (1 MiB) */
  max_response_bytes: z.number().int().positive().optional(),
});
export type ApiCallParams = z.infer<typeof ApiCallParams>;

/** The `api_call` kind. */
export const API_CALL_KIND: KindSpec = Object.freeze({
  execution: 'activity',
  params: ApiCallParams,
  defaults: { method: 'GET', body_type: 'json', max_response_bytes: 1_048_576 },
  outputs: ['status', 'ok', 'headers', 'body'],
  ...PARAM_ROLES.api_call,
  defaultTimeoutMs: 30_000,
  description: 'Makes an HTTP request.',
});
