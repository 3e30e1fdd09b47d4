/**
 * The `api_call` kind: one HTTP request. `ApiCallParams` is what a step may write (the compiler's
 * check); `RenderedApiCallParams`, derived from the same fields, is what the worker parses once
 * templates are rendered.
 */
import { z } from 'zod';
import { boundedDuration } from '../definition/definition';
import { DURATION_LIMITS, durationToMs } from '../definition/duration';
import { PARAM_ROLES } from './paramRoles';
import { ACTIVITY_FAILURES, UPSTREAM_FAILURES, type KindSpec } from './kindSpec';
import { Scalar } from './renderedText';

export const HttpMethod = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);
export type HttpMethod = z.infer<typeof HttpMethod>;

/** The defaults the compiler writes into the plan: 1 MiB, since a node's output lands in history. */
const API_CALL_DEFAULTS = { method: 'GET', body_type: 'json', max_response_bytes: 1_048_576 } as const;

const API_CALL_FIELDS = {
  url: z.string().regex(/^https?:\/\/\S+$/i, 'an http:// or https:// URL'),
  /** @default 'GET' */
  method: HttpMethod.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** Appended to the URL's query; a list repeats the key; null is left out. */
  query: z.record(z.string(), z.union([Scalar, z.null(), z.array(Scalar)])).optional(),
  body: z.unknown().optional(),
  /**
   * `json` (default): an object/array/number/boolean is JSON-encoded, a string is sent verbatim
   * (it is taken to be JSON text already), content-type `application/json`.
   * `text`: a string as is, anything else as JSON text, content-type `text/plain`.
   * An explicit `content-type` header always wins.
   */
  body_type: z.enum(['json', 'text']).optional(),
  /** Timeout of the HTTP request itself, at most 1 day. @default none (the step's timeout still applies) */
  timeout: boundedDuration(DURATION_LIMITS.requestTimeout).optional(),
  /** @default 1048576 (1 MiB) */
  max_response_bytes: z.number().int().positive().optional(),
};

/** The params as written. */
export const ApiCallParams = z.strictObject(API_CALL_FIELDS);
export type ApiCallParams = z.infer<typeof ApiCallParams>;

/**
 * The params as the worker receives them: the written fields with their defaults; `url` any
 * text (the worker checks it is http(s) when it builds the request), `method` in any case,
 * header values a template rendered as numbers or booleans taken as text, `timeout` in ms.
 */
export const RenderedApiCallParams = z.object({
  ...API_CALL_FIELDS,
  url: z.string().min(1),
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(HttpMethod)
    .default(API_CALL_DEFAULTS.method),
  headers: z.record(z.string(), Scalar.transform(String)).default({}),
  query: API_CALL_FIELDS.query.default({}),
  body_type: API_CALL_FIELDS.body_type.default(API_CALL_DEFAULTS.body_type),
  timeout: API_CALL_FIELDS.timeout.transform((t) => (t === undefined ? undefined : durationToMs(t))),
  max_response_bytes: API_CALL_FIELDS.max_response_bytes.default(API_CALL_DEFAULTS.max_response_bytes),
});
export type RenderedApiCallParams = z.infer<typeof RenderedApiCallParams>;

/** The `api_call` node's output. */
export interface ApiCallOutput {
  status: number;
  ok: boolean;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON when the content-type is JSON (falls back to text if it does not parse), else text. */
  body: unknown;
}

/** The `api_call` kind. */
export const API_CALL_KIND: KindSpec = Object.freeze<KindSpec>({
  execution: 'activity',
  params: ApiCallParams,
  defaults: API_CALL_DEFAULTS,
  outputs: ['status', 'ok', 'headers', 'body'] satisfies (keyof ApiCallOutput)[],
  ...PARAM_ROLES.api_call,
  defaultTimeoutMs: 30_000,
  failures: [...UPSTREAM_FAILURES, ...ACTIVITY_FAILURES, 'ResponseTooLarge', 'EgressDenied'],
  description: 'Makes an HTTP request.',
});
