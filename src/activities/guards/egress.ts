/**
 * The egress policy: which hosts a request a definition causes (api_call, a notification's url,
 * an end-of-run callback, every redirect hop of them) may reach. Public addresses are allowed;
 * loopback, private, link-local, cloud metadata, unspecified, multicast, broadcast and reserved
 * addresses are refused unless the worker's allow list names them. The check is on the addresses
 * a name resolves to, and returns the address the connection must use (see `egressFetch.ts`).
 */
import { lookup } from 'node:dns/promises';
import {
  ADDRESS_CATEGORIES,
  cidrContains,
  classifyIp,
  embeddedIpv4,
  formatCidr,
  formatIp,
  parseCidr,
  parseIp,
  type AddressCategory,
  type Cidr,
  type Classification,
  type IpAddress,
} from './addresses';
import { NodeActivityError } from '../nodes/nodeFailures';

/** The environment variable holding extra allow-list entries, comma-separated. */
export const EGRESS_ALLOW_ENV = 'PIPELINE_EGRESS_ALLOW';

/** The worker's `egress` option. */
export interface EgressOptions {
  /**
   * Destinations allowed besides public addresses, added to those in `PIPELINE_EGRESS_ALLOW`:
   * a host name (`api.internal`: whatever it resolves to), `*.domain` (any name under it, not
   * the domain itself), an IP address or CIDR range (`10.1.2.3`, `10.0.0.0/8`, `fd00::/8`), or a
   * group: `loopback`, `private`, `link-local`, `metadata`, `unspecified`, `multicast`,
   * `broadcast`, `reserved`. Cloud metadata addresses (169.254.169.254, fd00:ec2::254, …) are
   * allowed only by naming the address itself or the `metadata` group, never by a wider range.
   * @example ['loopback'] // local development: services on 127.0.0.1 / ::1
   * @example ['*.corp.example', '10.20.0.0/16']
   */
  allow?: readonly string[];
  /**
   * Resolves a host name to its addresses.
   * @default every address `dns.lookup` gives
   */
  resolve?: (hostname: string) => Promise<readonly string[]>;
}

type Rule =
  | { kind: 'host'; name: string }
  | { kind: 'suffix'; suffix: string }
  | { kind: 'range'; cidr: Cidr; exact: boolean }
  | { kind: 'group'; category: AddressCategory };

/** An address a request may connect to: one that was checked. */
export interface EgressAddress {
  address: string;
  family: 4 | 6;
}

/** Where a request may connect: the addresses the host had when it was checked, in DNS order. */
export interface EgressTarget {
  addresses: EgressAddress[];
}

export interface EgressPolicy {
  /**
   * Checks the host of `url` (an http(s) URL) and returns the addresses to connect to.
   * @param where names the request in the refusal, e.g. `api_call GET https://host/path`
   * @throws NodeActivityError EgressDenied when an address the host has is not allowed
   * @throws the resolver's error when the name does not resolve (retried as a network error)
   */
  check(url: URL, where: string): Promise<EgressTarget>;
  /** The allow list, normalised, for the worker's start-up log. */
  readonly allowed: readonly string[];
}

const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function normaliseHost(host: string): string {
  const lower = host.toLowerCase();
  const unbracketed = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}

function parseRule(entry: string): Rule | undefined {
  const text = normaliseHost(entry.trim());
  if ((ADDRESS_CATEGORIES as readonly string[]).includes(text)) {
    return { kind: 'group', category: text as AddressCategory };
  }
  const cidr = parseCidr(text);
  if (cidr) return { kind: 'range', cidr, exact: cidr.bits === (cidr.family === 4 ? 32 : 128) };
  if (text.startsWith('*.') && HOST_NAME.test(text.slice(2)))
    return { kind: 'suffix', suffix: text.slice(1) };
  if (HOST_NAME.test(text)) return { kind: 'host', name: text };
  return undefined;
}

/** Splits `PIPELINE_EGRESS_ALLOW` (comma- or space-separated) into entries. */
export function splitAllowList(value: string | undefined): string[] {
  return (value ?? '').split(/[,\s]+/).filter((entry) => entry !== '');
}

/**
 * Builds the policy from the worker's allow list (the option's entries plus the environment's).
 * @throws Error naming every entry that is not a host name, `*.domain`, IP, CIDR or group
 */
export function createEgressPolicy(options: EgressOptions = {}): EgressPolicy {
  const rules: Rule[] = [];
  const bad: string[] = [];
  for (const entry of options.allow ?? []) {
    const rule = parseRule(entry);
    if (rule) rules.push(rule);
    else bad.push(JSON.stringify(entry));
  }
  if (bad.length > 0) {
    throw new Error(
      `egress allow list: ${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not a host name, *.domain, ` +
        `IP address, CIDR range or group (${ADDRESS_CATEGORIES.join(', ')})`,
    );
  }
  const resolve = options.resolve ?? defaultResolve;
  const allowed = rules.map(describeRule);

  const nameAllowed = (host: string) =>
    rules.some(
      (r) => (r.kind === 'host' && r.name === host) || (r.kind === 'suffix' && host.endsWith(r.suffix)),
    );
  const addressAllowed = (ip: IpAddress, category: AddressCategory) => {
    const forms = [ip, embeddedIpv4(ip)?.ipv4].filter((x): x is IpAddress => x !== undefined);
    return rules.some((r) => {
      if (r.kind === 'group') return r.category === category;
      if (r.kind !== 'range') return false;
      // A range never opens a metadata address: only the address itself does.
      if (category === 'metadata' && !r.exact) return false;
      return forms.some((f) => cidrContains(r.cidr, f));
    });
  };

  return {
    allowed,
    async check(url, where) {
      const host = normaliseHost(url.hostname);
      const literal = parseIp(host);
      const byName = !literal && nameAllowed(host);
      const addresses = literal ? [formatIp(literal)] : await resolve(host);
      if (addresses.length === 0) {
        throw new NodeActivityError('UpstreamUnavailable', `${where} → ${host} has no addresses`);
      }
      const checked: EgressAddress[] = [];
      for (const address of addresses) {
        const ip = parseIp(address);
        if (!ip) {
          throw new NodeActivityError(
            'EgressDenied',
            `${where} → ${host} resolves to "${address}", not an IP address`,
          );
        }
        const kind = byName ? undefined : classifyIp(ip);
        if (kind && !addressAllowed(ip, kind.category)) {
          throw new NodeActivityError('EgressDenied', refusal(where, literal ? undefined : host, ip, kind));
        }
        checked.push({ address: formatIp(ip), family: ip.family });
      }
      return { addresses: checked };
    },
  };
}

/** `<where> → <host resolves to> <address> is <what> (<range>); allow it by adding "<entry>" …` */
function refusal(where: string, name: string | undefined, ip: IpAddress, kind: Classification): string {
  const shown = formatIp(ip);
  const subject = name === undefined ? shown : `${name} resolves to ${shown}, which`;
  const what = kind.embedded
    ? `${kind.embedded.form} ${kind.embedded.ipv4}, ${kind.category}`
    : kind.category === 'metadata'
      ? 'a cloud metadata address'
      : kind.category;
  const entries = kind.category === 'metadata' ? `"${shown}"` : `"${shown}" or "${kind.category}"`;
  return (
    `${where} → ${subject} is ${what} (${kind.range}); ` +
    `allow it by adding ${entries} to ${EGRESS_ALLOW_ENV} or the worker's egress.allow`
  );
}

function describeRule(rule: Rule): string {
  switch (rule.kind) {
    case 'host':
      return rule.name;
    case 'suffix':
      return `*${rule.suffix}`;
    case 'range':
      return formatCidr(rule.cidr);
    case 'group':
      return rule.category;
  }
}

async function defaultResolve(hostname: string): Promise<string[]> {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => a.address);
}
