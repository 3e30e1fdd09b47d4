/**
 * The codec server as an attacker meets it (issue 17 item 6), over real HTTP against real
 * listening servers: without the bearer token or a valid JWT (RS256/ES256 keys served by a local
 * JWKS server) nothing is decoded; forged, expired, mis-addressed, unsigned and re-keyed tokens
 * get 401; a foreign `Host` (DNS rebinding) is refused; a foreign `Origin` gets 403 on the
 * preflight and the POST; `*` with credentials and a non-loopback listen without auth never start.
 */
import { createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CodecConfigError,
  createCodecServer,
  EncryptionCodec,
  type CodecServerOptions,
} from '../../src/codec';
import { serveCodecFromEnv } from '../../src/codec/serve';

const keyring = { currentKeyId: 'k1', keys: { k1: randomBytes(32).toString('base64') } };
const TOKEN = randomBytes(24).toString('hex');
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'temporal-codec';

// ---- real HTTP (node:http, so the Host header can be set as a rebinding page would make it) ----

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(
  url: string,
  path: string,
  {
    method = 'POST',
    headers = {},
    body,
  }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const listen = async (server: Server, host = '127.0.0.1'): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

let sealedJson: { metadata: Record<string, string>; data: string };
const PLAINTEXT = '"top secret"';
const decodeBody = () => JSON.stringify({ payloads: [sealedJson] });
const decoded = (reply: Reply) =>
  Buffer.from(
    (JSON.parse(reply.body) as { payloads: { data: string }[] }).payloads[0]!.data,
    'base64',
  ).toString();

beforeAll(async () => {
  const [sealed] = await new EncryptionCodec(keyring).encode([
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(PLAINTEXT) },
  ]);
  sealedJson = {
    metadata: Object.fromEntries(
      Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(sealed!.data!).toString('base64'),
  };
  expect(Buffer.from(sealedJson.data, 'base64').toString()).not.toContain('top secret');
});

const servers: Server[] = [];
afterAll(async () => Promise.all(servers.map(close)));
const start = async (options: Omit<CodecServerOptions, 'payloads'>, host?: string) => {
  const server = createCodecServer({ payloads: { encryption: keyring }, ...options });
  servers.push(server);
  return { server, url: await listen(server, host) };
};

// ---- JWT signing and a JWKS server ----

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(
  alg: string,
  key: KeyObject | string | undefined,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64url({ alg, typ: 'JWT', ...header })}.${b64url(claims)}`;
  let signature: Buffer;
  if (alg === 'none') signature = Buffer.alloc(0);
  else if (alg.startsWith('HS'))
    signature = createHmac('sha256', key as string)
      .update(input)
      .digest();
  else if (alg.startsWith('ES'))
    signature = sign('sha256', Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else signature = sign('sha256', Buffer.from(input), key as KeyObject);
  return `${input}.${signature.toString('base64url')}`;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rotated = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = (key: KeyObject, kid: string, alg: string) => ({
  ...key.export({ format: 'jwk' }),
  kid,
  alg,
  use: 'sig',
});

const jwks = { keys: [jwk(rsa.publicKey, 'rsa-1', 'RS256'), jwk(ec.publicKey, 'ec-1', 'ES256')] };
let jwksFetches = 0;
const jwksServer = createServer((req, res) => {
  jwksFetches += 1;
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jwks));
});
let jwksUrl: string;
beforeAll(async () => {
  servers.push(jwksServer);
  jwksUrl = `${await listen(jwksServer)}/.well-known/jwks.json`;
});

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'alice@example.com',
  exp: now() + 300,
  ...extra,
});
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('bearer token (CODEC_AUTH_TOKEN)', () => {
  let url: string;
  beforeAll(async () => ({ url } = await start({ authToken: TOKEN })));

  test('no token and a wrong token get 401; the right token decrypts', async () => {
    const none = await send(url, '/decode', { body: decodeBody() });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.body).not.toContain('top secret');
    for (const wrong of [
      randomBytes(24).toString('hex'),
      TOKEN.slice(0, -1),
      `${TOKEN}x`,
      TOKEN.toUpperCase(),
    ]) {
      const reply = await send(url, '/decode', { headers: bearer(wrong), body: decodeBody() });
      expect(reply.status).toBe(401);
    }
    // The token as a Basic password or a bare header value is not a bearer token.
    expect(
      (await send(url, '/decode', { headers: { Authorization: TOKEN }, body: decodeBody() })).status,
    ).toBe(401);
    const ok = await send(url, '/default/decode', { headers: bearer(TOKEN), body: decodeBody() });
    expect(ok.status).toBe(200);
    expect(decoded(ok)).toBe(PLAINTEXT);
  });

  test('/encode is guarded the same way', async () => {
    const body = JSON.stringify({ payloads: [{ metadata: {}, data: Buffer.from('x').toString('base64') }] });
    expect((await send(url, '/encode', { body })).status).toBe(401);
    expect((await send(url, '/encode', { headers: bearer(TOKEN), body })).status).toBe(200);
  });

  test('a token shorter than 16 characters is refused at start', () => {
    expect(() => createCodecServer({ payloads: { encryption: keyring }, authToken: 'short' })).toThrow(
      /shorter than 16/,
    );
  });
});

describe("the Web UI's forwarded access token (JWT checked against a JWKS)", () => {
  let url: string;
  beforeAll(async () => ({ url } = await start({ jwt: { jwksUrl, issuer: ISSUER, audience: AUDIENCE } })));
  const decodeWith = (token: string) => send(url, '/decode', { headers: bearer(token), body: decodeBody() });

  test('valid RS256 and ES256 tokens signed by keys in the JWKS decrypt', async () => {
    for (const token of [
      jwt('RS256', rsa.privateKey, claims(), { kid: 'rsa-1' }),
      jwt('ES256', ec.privateKey, claims(), { kid: 'ec-1' }),
      // within the 30 s leeway, and aud as a list
      jwt('RS256', rsa.privateKey, claims({ exp: now() - 5, aud: ['other', AUDIENCE] }), { kid: 'rsa-1' }),
    ]) {
      const reply = await decodeWith(token);
      expect({ status: reply.status, body: reply.status === 200 ? decoded(reply) : reply.body }).toEqual({
        status: 200,
        body: PLAINTEXT,
      });
    }
  });

  test.each([
    [
      'expired',
      () => jwt('RS256', rsa.privateKey, claims({ exp: now() - 120 }), { kid: 'rsa-1' }),
      /expired/,
    ],
    [
      'not yet valid',
      () => jwt('RS256', rsa.privateKey, claims({ nbf: now() + 120 }), { kid: 'rsa-1' }),
      /nbf/,
    ],
    ['without exp', () => jwt('RS256', rsa.privateKey, claims({ exp: undefined }), { kid: 'rsa-1' }), /exp/],
    [
      'wrong issuer',
      () => jwt('RS256', rsa.privateKey, claims({ iss: 'https://evil.example' }), { kid: 'rsa-1' }),
      /iss/,
    ],
    [
      'wrong audience',
      () => jwt('ES256', ec.privateKey, claims({ aud: 'someone-else' }), { kid: 'ec-1' }),
      /aud/,
    ],
    [
      'signed by another key',
      () => jwt('RS256', stranger.privateKey, claims(), { kid: 'rsa-1' }),
      /signature/,
    ],
    [
      'alg none',
      () => jwt('none', undefined, claims(), { kid: 'rsa-1' }),
      /algorithm .*none.* is not accepted/,
    ],
    [
      'HS256 with the public key as the secret',
      () =>
        jwt('HS256', rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string, claims(), {
          kid: 'rsa-1',
        }),
      /algorithm .*HS256.* is not accepted/,
    ],
    [
      'tampered payload',
      () => {
        const [h, , s] = jwt('RS256', rsa.privateKey, claims(), { kid: 'rsa-1' }).split('.');
        return `${h}.${b64url(claims({ sub: 'admin' }))}.${s}`;
      },
      /signature/,
    ],
    ['RS256 header on the EC key', () => jwt('RS256', rsa.privateKey, claims(), { kid: 'ec-1' }), /no key/],
    ['unknown kid', () => jwt('RS256', rsa.privateKey, claims(), { kid: 'nobody' }), /no key/],
    ['not a JWT', () => 'a.b', /not a JWS/],
  ])('%s → 401', async (_name, token, reason) => {
    const reply = await decodeWith(token());
    expect(reply.status).toBe(401);
    expect(reply.body).toMatch(reason);
    expect(reply.body).not.toContain('top secret');
  });

  test('unknown key ids do not make it fetch the JWKS over and over', async () => {
    expect((await decodeWith(jwt('ES256', ec.privateKey, claims(), { kid: 'ec-1' }))).status).toBe(200);
    const before = jwksFetches;
    for (let i = 0; i < 10; i += 1) {
      expect((await decodeWith(jwt('RS256', rsa.privateKey, claims(), { kid: `guess-${i}` }))).status).toBe(
        401,
      );
    }
    // The default refresh interval (30 s) has not passed since the first fetch: no new fetch at all.
    expect(jwksFetches - before).toBe(0);
  });

  test('a key added to the JWKS (rotation) is fetched on its first unknown kid', async () => {
    const { url: rotatingUrl } = await start({ jwt: { jwksUrl, issuer: ISSUER, jwksRefreshIntervalMs: 0 } });
    const token = (kid: string, key: KeyObject) => jwt('ES256', key, claims(), { kid });
    const call = (t: string) => send(rotatingUrl, '/decode', { headers: bearer(t), body: decodeBody() });
    expect((await call(token('ec-1', ec.privateKey))).status).toBe(200);
    expect((await call(token('ec-2', rotated.privateKey))).status).toBe(401);
    jwks.keys.push(jwk(rotated.publicKey, 'ec-2', 'ES256'));
    const before = jwksFetches;
    expect((await call(token('ec-2', rotated.privateKey))).status).toBe(200);
    expect(jwksFetches - before).toBe(1);
  });
});

describe('Host and Origin', () => {
  let url: string;
  let port: number;
  beforeAll(async () => {
    ({ url } = await start({
      authToken: TOKEN,
      allowedOrigins: ['http://localhost:8233'],
      allowedHosts: ['codec.internal:8888', 'codec-server'],
    }));
    port = Number(new URL(url).port);
  });
  const decodeAs = (headers: Record<string, string>, method = 'POST') =>
    send(url, '/decode', { method, headers: { ...bearer(TOKEN), ...headers }, body: decodeBody() });

  test('a foreign Host (DNS rebinding) is refused even with the token; its own names and allowed ones are served', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `codec.internal:9999`,
    ]) {
      const reply = await decodeAs({ Host: host });
      expect({ host, status: reply.status }).toEqual({ host, status: 421 });
      expect(reply.body).not.toContain('top secret');
    }
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `LOCALHOST:${port}`,
      'codec.internal:8888',
      'codec-server:1234',
    ]) {
      expect({ host, status: (await decodeAs({ Host: host })).status }).toEqual({ host, status: 200 });
    }
  });

  test('an origin not allowed gets 403 on the preflight and on the POST, with no CORS headers', async () => {
    const preflight = await send(url, '/decode', {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const post = await decodeAs({ Origin: 'https://evil.example' });
    expect(post.status).toBe(403);
    expect(post.body).not.toContain('top secret');
    expect((await decodeAs({ Origin: 'null' })).status).toBe(403);
    expect((await decodeAs({ Origin: 'http://localhost:8234' })).status).toBe(403);
  });

  test('the allowed origin gets its preflight and its answer', async () => {
    const preflight = await send(url, '/decode', {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8233' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:8233');
    expect(preflight.headers['access-control-allow-headers']).toContain('Authorization');
    const post = await decodeAs({ Origin: 'http://localhost:8233' });
    expect(post.status).toBe(200);
    expect(post.headers['access-control-allow-credentials']).toBe('true');
  });
});

describe('configurations that never start', () => {
  test('origin * together with credentials', () => {
    expect(() => createCodecServer({ payloads: { encryption: keyring }, allowedOrigins: ['*'] })).toThrow(
      CodecConfigError,
    );
    expect(() => createCodecServer({ payloads: { encryption: keyring }, allowedOrigins: ['*'] })).toThrow(
      /"\*" cannot be combined with credentials/,
    );
  });

  test('origin * without credentials is answered with a literal *', async () => {
    const { url } = await start({ allowedOrigins: ['*'], allowCredentials: false });
    const reply = await send(url, '/decode', {
      headers: { Origin: 'https://anywhere.example' },
      body: decodeBody(),
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['access-control-allow-origin']).toBe('*');
    expect(reply.headers['access-control-allow-credentials']).toBeUndefined();
  });

  test('a non-loopback listen without authentication, in code and from the environment', async () => {
    const server = createCodecServer({ payloads: { encryption: keyring } });
    expect(() => server.listen(0, '0.0.0.0')).toThrow(
      /refuses to listen on 0\.0\.0\.0 without authentication.*CODEC_AUTH_TOKEN/,
    );
    expect(() => server.listen(0)).toThrow(/every interface/);
    expect(() => server.listen({ port: 0, host: '::' })).toThrow(CodecConfigError);
    expect(server.listening).toBe(false);

    const env = {
      PIPELINE_ENCRYPTION_KEYS: `k1:${keyring.keys.k1}`,
      CODEC_SERVER_HOST: '0.0.0.0',
      CODEC_SERVER_PORT: '0',
    };
    await expect(serveCodecFromEnv(env)).rejects.toThrow(/0\.0\.0\.0 without authentication.*CODEC_JWKS_URL/);
    await expect(serveCodecFromEnv({ ...env, CODEC_AUTH_TOKEN: '' })).rejects.toThrow(CodecConfigError);
  });

  test('a non-loopback listen with a token starts, and still wants the token', async () => {
    const env = {
      PIPELINE_ENCRYPTION_KEYS: `k1:${keyring.keys.k1}`,
      CODEC_SERVER_HOST: '0.0.0.0',
      CODEC_SERVER_PORT: '0',
      CODEC_AUTH_TOKEN: TOKEN,
    };
    const { server } = await serveCodecFromEnv(env);
    servers.push(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await send(url, '/decode', { body: decodeBody() })).status).toBe(401);
    const ok = await send(url, '/decode', { headers: bearer(TOKEN), body: decodeBody() });
    expect(decoded(ok)).toBe(PLAINTEXT);
  });

  test('loopback without authentication stays available for local development', async () => {
    const { url } = await start({});
    const ok = await send(url, '/decode', {
      headers: { Origin: 'http://localhost:8233' },
      body: decodeBody(),
    });
    expect(ok.status).toBe(200);
    expect(decoded(ok)).toBe(PLAINTEXT);
  });
});
