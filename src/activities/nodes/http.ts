/**
 * The `api_call` node: one HTTP request. Output `{ status, ok, headers, body }`; a non-2xx status
 * fails the node with a classified failure (429 → RateLimited, 5xx → UpstreamUnavailable, …).
 */
import { NodeActivityError } from './nodeFailures';
import type { EgressPolicy } from '../guards/egress';
import { redactUrl, sendHttp } from './httpRequest';
import type { NodeFn } from './wrapNodeActivity';
import { RenderedApiCallParams, type ApiCallOutput } from '../../model';
import { parseParams } from './params';

export type { ApiCallOutput } from '../../model';

/** Parses `url` and appends `query`. @throws NodeActivityError NodeConfigError for a malformed or non-http(s) URL */
export function buildUrl(url: string, query: RenderedApiCallParams['query'], what = 'api_call'): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new NodeActivityError('NodeConfigError', `${what}: invalid url "${url}"`, { cause: err });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new NodeActivityError(
      'NodeConfigError',
      `${what}: url must be http or https, got ${parsed.protocol}`,
    );
  }
  for (const [key, value] of Object.entries(query)) {
    if (value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) parsed.searchParams.append(key, String(v));
  }
  return parsed;
}

function encodeBody(params: RenderedApiCallParams): { body?: string; contentType?: string } {
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
    const params = parseParams('api_call', RenderedApiCallParams, input.params);
    const url = buildUrl(params.url, params.query);
    const { body, contentType } = encodeBody(params);
    if (body !== undefined && (params.method === 'GET' || params.method === 'HEAD')) {
      throw new NodeActivityError(
        'NodeConfigError',
        `api_call: a ${params.method} request cannot have a body`,
      );
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
