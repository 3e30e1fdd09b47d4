import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createCodecServer, EncryptionCodec } from '../../../src/codec';

const keyA = randomBytes(32).toString('base64');
let server: Server;
let url: string;

beforeAll(async () => {
  server = createCodecServer({
    payloads: { encryption: { currentKeyId: 'a', keys: { a: keyA } } },
    allowedOrigins: ['https://ui.example'],
    authorize: (req) => req.headers.authorization === 'Bearer ok',
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

const b64 = (text: string) => Buffer.from(text).toString('base64');
const post = (path: string, body: unknown, auth = 'Bearer ok') =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: auth, Origin: 'https://ui.example' },
    body: JSON.stringify(body),
  });

test('authorize decides who may decode; other methods and bodies get 405 and 400', async () => {
  expect((await post('/decode', { payloads: [] }, 'Bearer nope')).status).toBe(401);
  expect((await fetch(`${url}/decode`)).status).toBe(405);
  expect((await post('/decode', { payloads: [{ data: '***' }] })).status).toBe(400);
  const ok = await post('/decode', { payloads: [] });
  expect(ok.status).toBe(200);
  expect(ok.headers.get('access-control-allow-origin')).toBe('https://ui.example');
  expect(await ok.json()).toEqual({ payloads: [] });
});

test('decodes what the codec encoded; a payload under an unknown key comes back unchanged', async () => {
  const [sealed] = await new EncryptionCodec({ currentKeyId: 'a', keys: { a: keyA } }).encode([
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hello"') },
  ]);
  const [foreign] = await new EncryptionCodec({
    currentKeyId: 'z',
    keys: { z: randomBytes(32).toString('base64') },
  }).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }]);
  const asJson = (p: typeof sealed) => ({
    metadata: Object.fromEntries(
      Object.entries(p!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p!.data!).toString('base64'),
  });
  const response = await post('/decode', { payloads: [asJson(sealed), asJson(foreign)] });
  const body = (await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
  expect(body.payloads[0]).toEqual({ metadata: { encoding: b64('json/plain') }, data: b64('"hello"') });
  expect(body.payloads[1]).toEqual(asJson(foreign));
});

test('authorize is an authentication mode: the server may listen beyond loopback, and still asks', async () => {
  const open = createCodecServer({
    payloads: { encryption: { currentKeyId: 'a', keys: { a: keyA } } },
    authorize: (req) => req.headers.authorization === 'Bearer ok',
  });
  await new Promise<void>((resolve) => open.listen(0, '0.0.0.0', resolve));
  try {
    const at = `http://127.0.0.1:${(open.address() as AddressInfo).port}/decode`;
    const body = JSON.stringify({ payloads: [] });
    expect((await fetch(at, { method: 'POST', body })).status).toBe(401);
    expect((await fetch(at, { method: 'POST', body, headers: { Authorization: 'Bearer ok' } })).status).toBe(
      200,
    );
  } finally {
    await new Promise<void>((resolve) => open.close(() => resolve()));
  }
});

test('a JWKS that cannot be fetched is 503, and a configured bearer token still works beside it', async () => {
  const token = randomBytes(16).toString('hex');
  const both = createCodecServer({
    payloads: { encryption: { currentKeyId: 'a', keys: { a: keyA } } },
    authToken: token,
    jwt: { jwksUrl: 'http://127.0.0.1:1/jwks.json' },
  });
  await new Promise<void>((resolve) => both.listen(0, '127.0.0.1', resolve));
  try {
    const at = `http://127.0.0.1:${(both.address() as AddressInfo).port}/decode`;
    const body = JSON.stringify({ payloads: [] });
    const call = (auth: string) => fetch(at, { method: 'POST', body, headers: { Authorization: auth } });
    const unavailable = await call('Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln');
    expect(unavailable.status).toBe(503);
    expect(await unavailable.text()).toContain('cannot fetch the JWKS at http://127.0.0.1:1/jwks.json');
    expect((await call(`Bearer ${token}`)).status).toBe(200);
  } finally {
    await new Promise<void>((resolve) => both.close(() => resolve()));
  }
});
