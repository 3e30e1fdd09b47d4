/**
 * fetch under the egress policy: every hop's host is checked before a byte is sent, the
 * connection goes to the addresses that were checked (a dispatcher whose DNS lookup answers only
 * those, so a name cannot resolve to something else in between; TLS SNI and `Host` stay the host
 * name), and redirects are followed by hand — at most {@link MAX_REDIRECTS}, each target
 * checked again, with fetch's method rules and credentials dropped on a cross-origin hop.
 */
import type { LookupAddress, LookupOneOptions } from 'node:dns';
import { Agent, fetch, type Response } from 'undici';
import { NodeActivityError } from '../nodes/nodeFailures';
import type { EgressPolicy, EgressTarget } from './egress';

/** Redirects followed per request, as most clients do. */
export const MAX_REDIRECTS = 5;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Sent on to the same origin only. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
/** Dropped with the body when a redirect turns the request into a GET. */
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
];

export interface EgressFetchRequest {
  url: URL;
  method: string;
  headers: Headers;
  body?: string;
  signal: AbortSignal;
  /** Names the request in refusals, e.g. `api_call GET https://host/path`. */
  where: string;
  policy: EgressPolicy;
  /**
   * The first URL is the worker's own configuration (a notification channel's webhook): it is not
   * checked, its redirects are.
   */
  trustFirstHop?: boolean;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A dispatcher whose DNS lookup answers only the checked addresses (all of them when Node tries
 * several, happy-eyeballs style), whatever name it is asked for.
 */
function pinnedAgent(target: EgressTarget): Agent {
  const [first] = target.addresses;
  const lookup = (
    _hostname: string,
    options: LookupOneOptions & { all?: boolean },
    callback: LookupCallback,
  ) => {
    if (options.all) callback(null, target.addresses);
    else callback(null, first!.address, first!.family);
  };
  return new Agent({ connect: { lookup: lookup as never } });
}

/** Dispatchers kept for reuse (keep-alive connections), the least recently used dropped first. */
const MAX_AGENTS = 64;
const agents = new Map<string, Agent>();

/**
 * The dispatcher for `origin` at the checked addresses. It is reused only for the same origin and
 * the same checked addresses, so a kept-alive connection always goes to an address this check
 * allowed.
 */
function agentFor(origin: string, target: EgressTarget): Agent {
  const key = `${origin} ${target.addresses.map((a) => a.address).join(',')}`;
  let agent = agents.get(key);
  if (agent) agents.delete(key);
  else agent = pinnedAgent(target);
  agents.set(key, agent);
  if (agents.size > MAX_AGENTS) {
    const [oldestKey, oldest] = agents.entries().next().value!;
    agents.delete(oldestKey);
    void oldest.close().catch(() => undefined);
  }
  return agent;
}

/**
 * Sends the request, following redirects under the policy.
 * @returns the first response that is not a followed redirect
 * @throws NodeActivityError EgressDenied for a refused hop, a redirect to a non-http(s) URL or more than 5 redirects
 */
export async function fetchUnderPolicy(req: EgressFetchRequest): Promise<Response> {
  let url = req.url;
  let method = req.method;
  let body = req.body;
  const headers = new Headers(req.headers);
  let where = req.where;
  for (let hop = 0; ; hop++) {
    const dispatcher =
      hop === 0 && req.trustFirstHop ? undefined : agentFor(url.origin, await req.policy.check(url, where));
    const res = await fetch(url, {
      method,
      headers,
      body,
      signal: req.signal,
      redirect: 'manual',
      ...(dispatcher && { dispatcher }),
    });
    const location = res.headers.get('location');
    if (!REDIRECTS.has(res.status) || location === null) return res;
    await res.body?.cancel().catch(() => undefined);

    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new NodeActivityError('UpstreamUnavailable', `${where} → ${res.status} with an invalid location`);
    }
    where = `${req.where} → redirect ${hop + 1} to ${next.origin}${next.pathname}`;
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new NodeActivityError('EgressDenied', `${where}: only http and https redirects are followed`);
    }
    if (hop + 1 > MAX_REDIRECTS) {
      throw new NodeActivityError(
        'EgressDenied',
        `${where}: at most ${MAX_REDIRECTS} redirects are followed`,
      );
    }
    // fetch's rules: 303 turns anything but HEAD into GET; 301/302 turn POST into GET.
    if (
      (res.status === 303 && method !== 'HEAD') ||
      ((res.status === 301 || res.status === 302) && method === 'POST')
    ) {
      method = 'GET';
      body = undefined;
      for (const name of BODY_HEADERS) headers.delete(name);
    }
    if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    url = next;
  }
}
