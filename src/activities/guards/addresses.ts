/**
 * IP addresses for the egress policy: parsing every spelling of an address (IPv4 in all the
 * numeric forms `inet_aton` and URL parsers accept — `2130706433`, `0x7f000001`, `0177.0.0.1`,
 * `127.1` — and IPv6 with an embedded IPv4 tail or a zone id), CIDR ranges, and the
 * special-purpose ranges a definition may not reach by default. Pure: no DNS, no I/O.
 */

export interface IpAddress {
  family: 4 | 6;
  /** The address as an unsigned 32- or 128-bit integer. */
  value: bigint;
}

/** What a non-public address is; each is also the name of an allow-list group. */
export const ADDRESS_CATEGORIES = [
  'loopback',
  'private',
  'link-local',
  'metadata',
  'unspecified',
  'multicast',
  'broadcast',
  'reserved',
] as const;
export type AddressCategory = (typeof ADDRESS_CATEGORIES)[number];

export interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
}

export interface Classification {
  category: AddressCategory;
  /** The range that matched, e.g. `127.0.0.0/8`. */
  range: string;
  /** For an IPv6 spelling of an IPv4 address: the form and the IPv4 address it carries. */
  embedded?: { form: string; ipv4: string };
}

const width = (family: 4 | 6): number => (family === 4 ? 32 : 128);

function parseIpv4Part(part: string): bigint | undefined {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0n : BigInt(part);
  if (/^0[0-7]+$/.test(part)) return BigInt(`0o${part.slice(1)}`);
  if (/^(0|[1-9][0-9]*)$/.test(part)) return BigInt(part);
  return undefined;
}

/**
 * An IPv4 address in any numeric spelling: 1 to 4 dot-separated parts, each decimal, octal
 * (leading 0) or hex (0x); the last part fills the remaining bytes (`127.1` = 127.0.0.1,
 * `2130706433` = 127.0.0.1). One trailing dot is allowed. `undefined` when it is not one.
 */
export function parseIpv4(text: string): IpAddress | undefined {
  const parts = text.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length < 1 || parts.length > 4) return undefined;
  const numbers: bigint[] = [];
  for (const part of parts) {
    const n = parseIpv4Part(part);
    if (n === undefined) return undefined;
    numbers.push(n);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255n)) return undefined;
  if (last >= 1n << BigInt(8 * (4 - numbers.length))) return undefined;
  let value = 0n;
  numbers.forEach((n, i) => (value |= n << BigInt(24 - 8 * i)));
  return { family: 4, value: value | last };
}

const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv6 address, with or without brackets, an embedded dotted-quad tail or a `%zone`. */
export function parseIpv6(text: string): IpAddress | undefined {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':')) return undefined;
  const groups: number[] = [];
  const tail = s.lastIndexOf(':');
  const last = s.slice(tail + 1);
  if (last.includes('.')) {
    if (!DOTTED_QUAD.test(last)) return undefined;
    const v4 = Number(parseIpv4(last)!.value);
    s = `${s.slice(0, tail + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    for (const g of half.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  if (halves.length === 2) {
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return undefined;
    groups.push(...head, ...new Array<number>(missing).fill(0), ...rest);
  } else {
    if (head.length !== 8) return undefined;
    groups.push(...head);
  }
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n) };
}

/** Any spelling of an IP address (IPv6 when it holds a `:`), else `undefined` (a host name). */
export function parseIp(text: string): IpAddress | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

/** The canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  }
  const groups = [...Array(8).keys()].map((i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** `10.0.0.0/8`, `fc00::/7`, or a single address (a /32 or /128). `undefined` when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = width(ip.family);
  let bits = max;
  if (slash >= 0) {
    const suffix = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(suffix) || Number(suffix) > max) return undefined;
    bits = Number(suffix);
  }
  return { family: ip.family, base: mask(ip.value, bits, max), bits };
}

function mask(value: bigint, bits: number, max: number): bigint {
  const hostBits = BigInt(max - bits);
  return (value >> hostBits) << hostBits;
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.family === ip.family && mask(ip.value, cidr.bits, width(ip.family)) === cidr.base;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ family: cidr.family, value: cidr.base })}/${cidr.bits}`;
}

const range = (text: string, category: AddressCategory) => ({ cidr: parseCidr(text)!, text, category });

/** Cloud metadata services: allowed only by naming the address itself (or the `metadata` group). */
const METADATA = [
  '169.254.169.254/32', // AWS, GCP, Azure, OpenStack, DigitalOcean, …
  '169.254.170.2/32', // AWS ECS task metadata
  '168.63.129.16/32', // Azure wire server
  '100.100.100.200/32', // Alibaba Cloud
  'fd00:ec2::254/128', // AWS over IPv6
].map((text) => range(text, 'metadata'));

/** Most specific first: the first range that contains an address names it. */
const SPECIAL_RANGES = [
  ...METADATA,
  range('0.0.0.0/8', 'unspecified'),
  range('127.0.0.0/8', 'loopback'),
  range('10.0.0.0/8', 'private'),
  range('172.16.0.0/12', 'private'),
  range('192.168.0.0/16', 'private'),
  range('100.64.0.0/10', 'private'), // carrier-grade NAT, shared address space
  range('169.254.0.0/16', 'link-local'),
  range('224.0.0.0/4', 'multicast'),
  range('255.255.255.255/32', 'broadcast'),
  range('240.0.0.0/4', 'reserved'),
  range('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  range('198.18.0.0/15', 'reserved'), // benchmarking, often used inside networks
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'private'), // deprecated site-local
  range('fc00::/7', 'private'), // unique local
  range('ff00::/8', 'multicast'),
  range('64:ff9b:1::/48', 'private'), // local-use NAT64 (RFC 8215)
  range('100::/64', 'reserved'), // discard-only
];

/** IPv6 ranges whose low 32 bits (or, for 6to4, bits 16–47) are an IPv4 address. */
const EMBEDDING = [
  { cidr: parseCidr('::ffff:0:0/96')!, form: 'IPv4-mapped', shift: 0n },
  { cidr: parseCidr('::ffff:0:0:0/96')!, form: 'IPv4-translated', shift: 0n },
  { cidr: parseCidr('64:ff9b::/96')!, form: 'NAT64', shift: 0n },
  { cidr: parseCidr('::/96')!, form: 'IPv4-compatible', shift: 0n },
  { cidr: parseCidr('2002::/16')!, form: '6to4', shift: 80n },
];

/** The IPv4 address an IPv6 address carries (mapped, translated, NAT64, compatible, 6to4). */
export function embeddedIpv4(ip: IpAddress): { form: string; ipv4: IpAddress } | undefined {
  if (ip.family !== 6) return undefined;
  for (const e of EMBEDDING) {
    if (cidrContains(e.cidr, ip)) {
      return { form: e.form, ipv4: { family: 4, value: (ip.value >> e.shift) & 0xffffffffn } };
    }
  }
  return undefined;
}

/**
 * What `ip` is when it is not a public unicast address, `undefined` when it is. An IPv6 address
 * carrying an IPv4 address is classified by the IPv4 address it carries.
 */
export function classifyIp(ip: IpAddress): Classification | undefined {
  const special = SPECIAL_RANGES.find((r) => cidrContains(r.cidr, ip));
  if (special) return { category: special.category, range: special.text };
  const embedded = embeddedIpv4(ip);
  if (!embedded) return undefined;
  const inner = classifyIp(embedded.ipv4);
  return inner && { ...inner, embedded: { form: embedded.form, ipv4: formatIp(embedded.ipv4) } };
}
