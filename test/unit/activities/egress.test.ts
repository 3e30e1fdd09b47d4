/**
 * Address classification and the egress policy's decisions: every spelling of an address a
 * definition could use, what WHATWG URL parsing turns them into, and the allow list's rules.
 */
import {
  classifyIp,
  formatIp,
  parseCidr,
  parseIp,
  parseIpv4,
  parseIpv6,
  type AddressCategory,
} from '../../../src/activities/guards/addresses';
import { createEgressPolicy, splitAllowList } from '../../../src/activities/guards/egress';
import { egressDenial } from './support';

const show = (text: string) => {
  const ip = parseIp(text);
  return ip && formatIp(ip);
};

describe('IPv4 spellings', () => {
  const loopbackSpellings = [
    '127.0.0.1',
    '2130706433',
    '0x7f000001',
    '0X7F000001',
    '0x7f.0x0.0x0.0x1',
    '0177.0.0.1',
    '0177.0000.0000.0001',
    '017700000001',
    '127.1',
    '127.0.1',
    '0x7f.1',
    '127.0.0.1.',
  ];
  test.each(loopbackSpellings)('%s is 127.0.0.1, and the URL parser agrees', (spelling) => {
    expect(show(spelling)).toBe('127.0.0.1');
    expect(new URL(`http://${spelling}:8080/x`).hostname).toBe('127.0.0.1');
  });

  test('other numeric forms', () => {
    expect(show('0')).toBe('0.0.0.0');
    expect(show('0x')).toBe('0.0.0.0');
    expect(show('4294967295')).toBe('255.255.255.255');
    expect(show('169.254.43518')).toBe('169.254.169.254');
    expect(show('2852039166')).toBe('169.254.169.254');
    expect(show('0xa9fea9fe')).toBe('169.254.169.254');
    expect(show('10.1')).toBe('10.0.0.1');
  });

  test.each([
    '256.0.0.1',
    '1.2.3.4.5',
    '4294967296',
    '08.0.0.1',
    '1..2',
    '',
    'a.b.c.d',
    '127.0.0.0x1g',
    '1.2.3.256',
  ])('%s is not an IPv4 address', (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });
});

describe('IPv6 spellings', () => {
  test.each([
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['::', '::'],
    ['::ffff:127.0.0.1', '::ffff:7f00:1'],
    ['::FFFF:7F00:1', '::ffff:7f00:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['64:ff9b::127.0.0.1', '64:ff9b::7f00:1'],
  ])('%s → %s', (text, canonical) => {
    expect(show(text)).toBe(canonical);
  });

  test('the URL parser keeps IPv6 hosts in brackets, compressed', () => {
    expect(new URL('http://[::ffff:127.0.0.1]/').hostname).toBe('[::ffff:7f00:1]');
    expect(new URL('http://[0:0:0:0:0:0:0:1]/').hostname).toBe('[::1]');
  });

  test.each([
    '1::2::3',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    '1:2:3:4:5:6:7::8:9',
    '::1.2.3',
    'g::1',
    '::256.0.0.1',
  ])('%s is not an IPv6 address', (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });
});

describe('classification', () => {
  const cases: Array<[string, AddressCategory, string, string]> = [
    ['127.0.0.1', 'loopback', '127.0.0.0/8', ''],
    ['127.255.255.254', 'loopback', '127.0.0.0/8', ''],
    ['::1', 'loopback', '::1/128', ''],
    ['0.0.0.0', 'unspecified', '0.0.0.0/8', ''],
    ['::', 'unspecified', '::/128', ''],
    ['10.1.2.3', 'private', '10.0.0.0/8', ''],
    ['172.16.0.1', 'private', '172.16.0.0/12', ''],
    ['172.31.255.255', 'private', '172.16.0.0/12', ''],
    ['192.168.1.1', 'private', '192.168.0.0/16', ''],
    ['100.64.0.1', 'private', '100.64.0.0/10', ''],
    ['fc00::1', 'private', 'fc00::/7', ''],
    ['fd12:3456::1', 'private', 'fc00::/7', ''],
    ['169.254.1.1', 'link-local', '169.254.0.0/16', ''],
    ['fe80::1', 'link-local', 'fe80::/10', ''],
    ['169.254.169.254', 'metadata', '169.254.169.254/32', ''],
    ['fd00:ec2::254', 'metadata', 'fd00:ec2::254/128', ''],
    ['100.100.100.200', 'metadata', '100.100.100.200/32', ''],
    ['224.0.0.1', 'multicast', '224.0.0.0/4', ''],
    ['ff02::1', 'multicast', 'ff00::/8', ''],
    ['255.255.255.255', 'broadcast', '255.255.255.255/32', ''],
    ['240.0.0.1', 'reserved', '240.0.0.0/4', ''],
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.0/8', 'IPv4-mapped'],
    ['::ffff:a9fe:a9fe', 'metadata', '169.254.169.254/32', 'IPv4-mapped'],
    ['::ffff:0:10.0.0.1', 'private', '10.0.0.0/8', 'IPv4-translated'],
    ['::127.0.0.1', 'loopback', '127.0.0.0/8', 'IPv4-compatible'],
    ['::10.0.0.1', 'private', '10.0.0.0/8', 'IPv4-compatible'],
    ['64:ff9b::127.0.0.1', 'loopback', '127.0.0.0/8', 'NAT64'],
    ['64:ff9b::169.254.169.254', 'metadata', '169.254.169.254/32', 'NAT64'],
    ['2002:7f00:1::', 'loopback', '127.0.0.0/8', '6to4'],
    ['64:ff9b:1::a00:1', 'private', '64:ff9b:1::/48', ''],
  ];
  test.each(cases)('%s is %s (%s)', (text, category, range, form) => {
    const c = classifyIp(parseIp(text)!);
    expect(c).toMatchObject({ category, range });
    expect(c?.embedded?.form ?? '').toBe(form);
  });

  test.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
  ])('%s is public', (text) => {
    expect(classifyIp(parseIp(text)!)).toBeUndefined();
  });
});

test('CIDR ranges', () => {
  expect(parseCidr('10.0.0.0/8')).toEqual({ family: 4, base: 0x0a000000n, bits: 8 });
  expect(parseCidr('10.9.8.7/8')).toEqual({ family: 4, base: 0x0a000000n, bits: 8 });
  expect(parseCidr('fd00::/8')?.bits).toBe(8);
  expect(parseCidr('1.2.3.4')?.bits).toBe(32);
  expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  expect(parseCidr('::/129')).toBeUndefined();
  expect(parseCidr('10.0.0.0/x')).toBeUndefined();
});

describe('the policy', () => {
  const where = 'api_call GET http://x/';
  /** A resolver that knows a few names and counts its calls. */
  const fakeDns = (table: Record<string, string[]>) => {
    const calls: string[] = [];
    return {
      calls,
      resolve: (host: string): Promise<string[]> => {
        calls.push(host);
        const found = table[host];
        if (!found) {
          return Promise.reject(
            Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }),
          );
        }
        return Promise.resolve(found);
      },
    };
  };
  const denial = egressDenial;

  test('by default: public allowed, every non-public address refused with the rule and how to allow it', async () => {
    const dns = fakeDns({ 'api.example.com': ['93.184.216.34'], 'sneaky.example.com': ['127.0.0.1'] });
    const policy = createEgressPolicy({ resolve: dns.resolve });
    await expect(policy.check(new URL('https://api.example.com/x'), where)).resolves.toEqual({
      addresses: [{ address: '93.184.216.34', family: 4 }],
    });
    await expect(policy.check(new URL('http://8.8.8.8/'), where)).resolves.toEqual({
      addresses: [{ address: '8.8.8.8', family: 4 }],
    });

    const literal = await denial(policy.check(new URL('http://2130706433:8080/x'), where));
    expect(literal.message).toBe(
      `${where} → 127.0.0.1 is loopback (127.0.0.0/8); allow it by adding "127.0.0.1" or "loopback" to PIPELINE_EGRESS_ALLOW or the worker's egress.allow`,
    );
    const named = await denial(policy.check(new URL('http://sneaky.example.com/'), where));
    expect(named.message).toContain(
      'sneaky.example.com resolves to 127.0.0.1, which is loopback (127.0.0.0/8)',
    );
    const mapped = await denial(policy.check(new URL('http://[::ffff:169.254.169.254]/'), where));
    expect(mapped.message).toContain(
      '::ffff:a9fe:a9fe is IPv4-mapped 169.254.169.254, metadata (169.254.169.254/32)',
    );
    const metadata = await denial(policy.check(new URL('http://169.254.169.254/latest/meta-data/'), where));
    expect(metadata.message).toContain('169.254.169.254 is a cloud metadata address (169.254.169.254/32)');
    expect(metadata.message).toContain('adding "169.254.169.254" to');
  });

  test('every address a name has is checked and returned, in DNS order', async () => {
    const dns = fakeDns({ 'two.example.com': ['2606:2800:220:1::1', '93.184.216.34'] });
    const policy = createEgressPolicy({ resolve: dns.resolve });
    await expect(policy.check(new URL('http://two.example.com/'), where)).resolves.toEqual({
      addresses: [
        { address: '2606:2800:220:1::1', family: 6 },
        { address: '93.184.216.34', family: 4 },
      ],
    });
  });

  test('a name with any refused address is refused, whatever else it has', async () => {
    const dns = fakeDns({ 'mixed.example.com': ['93.184.216.34', '10.0.0.5'] });
    const policy = createEgressPolicy({ resolve: dns.resolve });
    const err = await denial(policy.check(new URL('http://mixed.example.com/'), where));
    expect(err.message).toContain('mixed.example.com resolves to 10.0.0.5, which is private (10.0.0.0/8)');
  });

  test('resolved once per check; IP literals are not resolved', async () => {
    const dns = fakeDns({ 'api.example.com': ['93.184.216.34'] });
    const policy = createEgressPolicy({ resolve: dns.resolve });
    await policy.check(new URL('http://api.example.com/'), where);
    await denial(policy.check(new URL('http://127.0.0.1/'), where));
    expect(dns.calls).toEqual(['api.example.com']);
  });

  test('a name that does not resolve fails as a network error (retried), not a refusal', async () => {
    const policy = createEgressPolicy({ resolve: fakeDns({}).resolve });
    await expect(policy.check(new URL('http://nowhere.invalid/'), where)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  test('allow entries: a host name, *.domain, an IP, a CIDR range, a group', async () => {
    const dns = fakeDns({
      'api.internal': ['10.1.1.1'],
      'svc.corp.example': ['10.2.2.2'],
      'deep.svc.corp.example': ['10.2.2.3'],
      'corp.example': ['10.2.2.4'],
      'other.internal': ['10.1.1.2'],
    });
    const policy = createEgressPolicy({
      allow: ['api.internal', '*.corp.example', '192.168.1.10', '172.20.0.0/16', 'loopback'],
      resolve: dns.resolve,
    });
    const ok = (url: string) => policy.check(new URL(url), where);
    await expect(ok('http://api.internal/')).resolves.toEqual({
      addresses: [{ address: '10.1.1.1', family: 4 }],
    });
    await expect(ok('http://svc.corp.example/')).resolves.toMatchObject({
      addresses: [{ address: '10.2.2.2' }],
    });
    await expect(ok('http://deep.svc.corp.example/')).resolves.toMatchObject({
      addresses: [{ address: '10.2.2.3' }],
    });
    await expect(ok('http://192.168.1.10/')).resolves.toMatchObject({
      addresses: [{ address: '192.168.1.10' }],
    });
    await expect(ok('http://172.20.9.9/')).resolves.toMatchObject({ addresses: [{ address: '172.20.9.9' }] });
    await expect(ok('http://[::1]/')).resolves.toEqual({ addresses: [{ address: '::1', family: 6 }] });
    await expect(ok('http://0x7f000001/')).resolves.toMatchObject({ addresses: [{ address: '127.0.0.1' }] });
    await expect(ok('http://[::ffff:127.0.0.1]/')).resolves.toMatchObject({
      addresses: [{ address: '::ffff:7f00:1' }],
    });
    await expect(ok('http://[::ffff:172.20.1.1]/')).resolves.toMatchObject({
      addresses: [{ address: '::ffff:ac14:101' }],
    });

    await denial(ok('http://corp.example/')); // *.domain is the names under it, not the domain
    await denial(ok('http://other.internal/'));
    await denial(ok('http://192.168.1.11/'));
    await denial(ok('http://172.21.0.1/'));
    await denial(ok('http://169.254.169.254/'));
  });

  test('a metadata address is opened only by naming it, never by a range or the link-local group', async () => {
    const wide = createEgressPolicy({ allow: ['169.254.0.0/16', 'link-local', '0.0.0.0/0'] });
    await expect(wide.check(new URL('http://169.254.1.1/'), where)).resolves.toBeDefined();
    await denial(wide.check(new URL('http://169.254.169.254/'), where));
    const exact = createEgressPolicy({ allow: ['169.254.169.254'] });
    await expect(exact.check(new URL('http://169.254.169.254/'), where)).resolves.toBeDefined();
    const group = createEgressPolicy({ allow: ['metadata'] });
    await expect(group.check(new URL('http://[fd00:ec2::254]/'), where)).resolves.toBeDefined();
  });

  test('malformed entries are refused when the worker starts, all named', () => {
    expect(() => createEgressPolicy({ allow: ['10.0.0.0/33', 'loopback', 'http://x', '*.'] })).toThrow(
      'egress allow list: "10.0.0.0/33", "http://x", "*." are not a host name, *.domain, IP address, CIDR range or group (loopback, private, link-local, metadata, unspecified, multicast, broadcast, reserved)',
    );
  });

  test('PIPELINE_EGRESS_ALLOW splits on commas and spaces; entries are normalised for the log', () => {
    expect(splitAllowList(' loopback, 10.0.0.0/8 ,API.Internal  *.corp.example,')).toEqual([
      'loopback',
      '10.0.0.0/8',
      'API.Internal',
      '*.corp.example',
    ]);
    expect(splitAllowList(undefined)).toEqual([]);
    expect(
      createEgressPolicy({ allow: ['loopback', '10.9.9.9/8', 'API.Internal', '*.corp.example', '[::1]'] })
        .allowed,
    ).toEqual(['loopback', '10.0.0.0/8', 'api.internal', '*.corp.example', '::1/128']);
  });
});
