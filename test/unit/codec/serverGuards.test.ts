import {
  bearerToken,
  hostMatcher,
  isLoopbackAddress,
  normalizeOrigin,
  tokensEqual,
} from '../../../src/codec/serverGuards';

test('loopback addresses, in every spelling a listen or socket address takes', () => {
  for (const a of [
    '127.0.0.1',
    '127.8.9.10',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    'localhost',
    'LOCALHOST',
  ]) {
    expect({ a, loopback: isLoopbackAddress(a) }).toEqual({ a, loopback: true });
  }
  for (const a of [
    undefined,
    '',
    '0.0.0.0',
    '::',
    '10.0.0.5',
    '192.168.1.2',
    '::ffff:10.0.0.1',
    'codec.internal',
    'localhost.evil.example',
  ]) {
    expect({ a, loopback: isLoopbackAddress(a) }).toEqual({ a, loopback: false });
  }
});

test('Host: own names with the port, the bound address, and allowed entries (with or without port)', () => {
  const allowed = hostMatcher(['Codec.Example.com', 'proxy.internal:443']);
  expect(allowed('localhost:8888', '127.0.0.1', 8888)).toBe(true);
  expect(allowed('[::1]:8888', '::1', 8888)).toBe(true);
  expect(allowed('10.1.2.3:8888', '10.1.2.3', 8888)).toBe(true);
  expect(allowed('codec.example.com', '0.0.0.0', 8888)).toBe(true);
  expect(allowed('codec.example.com:9999', '0.0.0.0', 8888)).toBe(true);
  expect(allowed('proxy.internal:443', '0.0.0.0', 8888)).toBe(true);
  expect(allowed('localhost', '127.0.0.1', 80)).toBe(true);

  expect(allowed('localhost', '127.0.0.1', 8888)).toBe(false); // the port is part of the name
  expect(allowed('localhost:8889', '127.0.0.1', 8888)).toBe(false);
  expect(allowed('0.0.0.0:8888', '0.0.0.0', 8888)).toBe(false);
  expect(allowed('proxy.internal:8443', '0.0.0.0', 8888)).toBe(false);
  expect(allowed('evil.example:8888', '127.0.0.1', 8888)).toBe(false);
  expect(allowed(undefined, '127.0.0.1', 8888)).toBe(false);
});

test('origins are compared in their canonical form; opaque and malformed ones are refused', () => {
  expect(normalizeOrigin('http://LocalHost:8233/')).toBe('http://localhost:8233');
  expect(normalizeOrigin('https://ui.example:443')).toBe('https://ui.example');
  expect(normalizeOrigin('*')).toBe('*');
  expect(() => normalizeOrigin('ui.example')).toThrow(/not an origin/);
  expect(() => normalizeOrigin('null')).toThrow(/not an origin/);
});

test('bearer tokens: only the Bearer scheme; compared by value and length', () => {
  expect(bearerToken('Bearer abc.def')).toBe('abc.def');
  expect(bearerToken('bearer  abc')).toBe('abc');
  expect(bearerToken('Basic abc')).toBeUndefined();
  expect(bearerToken('abc')).toBeUndefined();
  expect(bearerToken(undefined)).toBeUndefined();
  expect(tokensEqual('a'.repeat(20), 'a'.repeat(20))).toBe(true);
  expect(tokensEqual('a'.repeat(20), 'a'.repeat(21))).toBe(false);
  expect(tokensEqual('a'.repeat(20), `${'a'.repeat(19)}b`)).toBe(false);
});
