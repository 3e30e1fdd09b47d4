/**
 * The `api_call` node: one HTTP request. Output `{ status, ok, headers, body }`; a non-2xx status
 * fails the node with a classified failure (429 → RateLimited, 5xx → UpstreamUnavailable, …).
 */
import { z } from 'zod';
import { NodeError } from './nodeFailures';
import type { EgressPolicy } from '../guards/egress';
import { redactUrl, sendHttp, type HttpResponse } from './httpRequest';
import type { NodeFn } from './wrapNodeActivity';
import { Duration } from '../../model';
import { durationToMs } from '../../model';
import { parseParams } from './params';

/** Default `max_response_bytes`: 1 MiB, as in the node catalog (a node's output lands in workflow history). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const ApiCallParams = z.object({
  url: z.string().min(1),
  /** @default 'GET' */
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']))
    .default('GET'),
  headers: z.record(z.string(), Scalar.transform(String)).default({}),
  /** Appended to the URL's query; an array repeats the key; null is left out. */
  query: z.record(z.string(), z.union([Scalar, z.null(), z.array(Scalar)])).default({}),
  body: z.unknown().optional(),
  /**
   * `json` (default): an object/array/number/boolean is JSON-encoded, a string is sent verbatim
   * (it is taken to be JSON text already), content-type `application/json`.
   * `text`: a string as is, anything else as JSON text, content-type `text/plain`.
   * An explicit `content-type` header always wins.
   */
  body_type: z.enum(['json', 'text']).default('json'),
  /** Per-request timeout: seconds or `"30s"`. @default none (the step's timeout still applies) */
  timeout: Duration.transform(durationToMs).optional(),
  /** @default 1 MiB */
  max_response_bytes: z.number().int().positive().default(DEFAULT_MAX_RESPONSE_BYTES),
});
export type ApiCallParams = z.infer<typeof ApiCallParams>;

/** The `api_call` node's output. */
export type ApiCallOutput = HttpResponse;

/** Parses `url` and appends `query`. @throws NodeError NodeConfigError for a malformed or non-http(s) URL */
export function buildUrl(url: string, query: ApiCallParams['query'], what = 'api_call'): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new NodeError('NodeConfigError', `${what}: invalid url "${url}"`, { cause: err });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new NodeError('NodeConfigError', `${what}: url must be http or https, got ${parsed.protocol}`);
  }
  for (const [key, value] of Object.entries(query)) {
    if (value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) parsed.searchParams.append(key, String(v));
  }
  return parsed;
}

function encodeBody(params: ApiCallParams): { body?: string; contentType?: string } {
  if (params.body === undefined || params.body === null) return {};
  const text = typeof params.body === 'string' ? params.body : JSON.stringify(params.body);
  switch (params.body_type) {
    case 'json':
      return { body: text, contentType: 'application/json' };
    case 'text':
      return { body: text, contentType: 'text/plain; charset=utf-8' };
  }
}

/** The `api_call` node implementation (wrap it with `wrapNodeActivity`). */
export function createApiCallNode(options: { egress: EgressPolicy }): NodeFn {
  return async (input, ctx) => {
    const params = parseParams('api_call', ApiCallParams, input.params);
    const url = buildUrl(params.url, params.query);
    const { body, contentType } = encodeBody(params);
    if (body !== undefined && (params.method === 'GET' || params.method === 'HEAD')) {
      throw new NodeError('NodeConfigError', `api_call: a ${params.method} request cannot have a body`);
    }
    const headers = { ...params.headers };
    const hasContentType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
    if (contentType && !hasContentType) headers['content-type'] = contentType;
    const output: ApiCallOutput = await sendHttp(
      {
        url,
        label: `api_call ${params.method} ${redactUrl(url)}`,
        method: params.method,
        headers,
        body,
        timeoutMs: params.timeout,
        maxResponseBytes: params.max_response_bytes,
        egress: options.egress,
      },
      ctx,
    );
    return { output };
  };
}
