/**
 * The codec server's checks before it touches a payload: which addresses count as loopback (a
 * server bound elsewhere must authenticate), which `Host` names it answers to (no DNS rebinding),
 * which browser origins it serves (others get 403, preflight and request alike), and the bearer
 * token compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

// 127.0.0.0/8 and ::1; BlockList also matches IPv4-mapped spellings (::ffff:127.0.0.1).
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether a listen or socket address only reaches this machine. A name other than `localhost`,
 * a wildcard (`0.0.0.0`, `::`) and no address at all (Node binds every interface) are not loopback.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  const family = isIP(bare);
  return family !== 0 && LOOPBACK.check(bare, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The `Host` values a server listening on `address:port` answers to: `localhost`, `127.0.0.1` and
 * `[::1]` with its port, its own address (unless a wildcard) with its port, and each allowed host
 * (`name:port` matches exactly; a bare `name` matches that name on any port). Lower case.
 */
export function hostMatcher(
  allowedHosts: readonly string[],
): (host: string | undefined, address: string, port: number) => boolean {
  const allowed = allowedHosts.map((h) => h.trim().toLowerCase()).filter(Boolean);
  return (host, address, port) => {
    if (!host) return false;
    const value = host.toLowerCase();
    const own = ['localhost', '127.0.0.1', '[::1]'];
    if (address !== '0.0.0.0' && address !== '::') own.push(isIP(address) === 6 ? `[${address}]` : address);
    const names = own.flatMap((name) => (port === 80 ? [`${name}:80`, name] : [`${name}:${port}`]));
    if (names.includes(value)) return true;
    const name = value.replace(/:\d+$/, '');
    return allowed.some((entry) => entry === value || (!/:\d+$/.test(entry) && entry === name));
  };
}

/** An origin as browsers send it: scheme, host and port only (`http://localhost:8233`). */
export function normalizeOrigin(origin: string): string {
  if (origin === '*') return origin;
  try {
    const url = new URL(origin);
    if (url.origin === 'null') throw new Error('opaque');
    return url.origin;
  } catch {
    throw new Error(`"${origin}" is not an origin (scheme://host[:port])`);
  }
}

/** The token from `Authorization: Bearer <token>`, if the header has that form. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer +(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Compares two tokens in time independent of where they differ (and of their lengths). */
export function tokensEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected)) && given.length === expected.length;
}
