/**
 * The codec server: lets the Temporal Web UI (and `temporal workflow show --codec-endpoint`)
 * show encrypted and claim-checked payloads decoded, to callers it authenticates. It speaks
 * Temporal's codec-server protocol: `POST /decode` and `POST /encode` (also under
 * `/<namespace>/…`) with a JSON body `{ "payloads": [ { "metadata": { k: base64 }, "data": base64 } ] }`
 * (proto3 JSON) and the same shape back. Before any payload it checks, in order: the `Host`
 * (its own names or allowed ones: 421), the browser `Origin` (allow-listed ones: 403 otherwise,
 * preflight included), then the caller (a bearer token, a JWT from a JWKS, or `authorize`: 401).
 * Without an authentication mode it serves loopback only, and refuses to listen anywhere else.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { CodecConfigError } from './errors';
import { createJwtVerifier, JwksUnavailable, JwtRejected, type JwtOptions } from './jwt';
import { parsePayloads, PayloadJsonError, toJsonPayload } from './payloadJson';
import { createPayloadCodecs, type PayloadOptions } from './payloadOptions';
import { bearerToken, hostMatcher, isLoopbackAddress, normalizeOrigin, tokensEqual } from './serverGuards';

export interface CodecServerOptions {
  /** The same payload options as the client and workers (the keys; the claim check's storage to resolve references). */
  payloads: PayloadOptions;
  /**
   * Origins whose browsers may call the server (the Web UI's URL, e.g. `http://localhost:8233`);
   * a request from any other origin gets 403. `'*'` allows any origin, and only with
   * `allowCredentials: false`. @default ['http://localhost:8233', 'http://127.0.0.1:8233']
   */
  allowedOrigins?: readonly string[];
  /**
   * Send `Access-Control-Allow-Credentials: true` (the Web UI's "include cross-origin
   * credentials"). Cannot be combined with the origin `'*'`. @default true
   */
  allowCredentials?: boolean;
  /**
   * `Host` values the server answers to besides its own (`localhost`, `127.0.0.1`, `[::1]` and the
   * address it listens on, each with its port): `name:port`, or `name` for any port — the name a
   * proxy or container network reaches it by. Any other `Host` gets 421. @default []
   */
  allowedHosts?: readonly string[];
  /** Authentication: callers send `Authorization: Bearer <authToken>` (at least 16 characters). */
  authToken?: string;
  /** Authentication: the Web UI's forwarded access token, a JWT verified against a JWKS. */
  jwt?: JwtOptions;
  /** Authentication: your own check of each request (passes when it resolves `true`). */
  authorize?: (request: IncomingMessage) => boolean | Promise<boolean>;
  /** Largest request body, bytes. @default 16 MiB */
  maxBodyBytes?: number;
}

/** Request headers the Web UI sends to a codec server (`Authorization-Extras`: the ID token, with "pass access token"). */
export const CODEC_ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';
const DEFAULT_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];
const MIN_TOKEN_LENGTH = 16;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Creates the codec server (not yet listening: call `listen(port, host)`). Its `listen` throws
 * `CodecConfigError` for an address other than loopback when no authentication mode is set.
 * @throws CodecConfigError for `'*'` with credentials, a short token, a JWKS URL that is not http(s)
 * @example
 * createCodecServer({ payloads: payloadOptionsFromEnv(), authToken: process.env.CODEC_AUTH_TOKEN }).listen(8888, '127.0.0.1');
 * // then: temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888
 */
export function createCodecServer(options: CodecServerOptions): Server {
  const codecs: PayloadCodec[] = createPayloadCodecs(options.payloads);
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const credentials = options.allowCredentials ?? true;
  const origins = new Set(
    (options.allowedOrigins ?? DEFAULT_ORIGINS).map((origin) => {
      try {
        return normalizeOrigin(origin);
      } catch (err) {
        throw new CodecConfigError(`Codec server allowed origin: ${(err as Error).message}`);
      }
    }),
  );
  if (origins.has('*') && credentials) {
    throw new CodecConfigError(
      'Codec server: the origin "*" cannot be combined with credentials (any web page could call it with the ' +
        "user's cookies); list the Web UI's origins, or set allowCredentials: false (CODEC_SERVER_ALLOW_CREDENTIALS=false)",
    );
  }
  if (options.authToken !== undefined && options.authToken.length < MIN_TOKEN_LENGTH) {
    throw new CodecConfigError(
      `Codec server auth token is shorter than ${MIN_TOKEN_LENGTH} characters (make one with \`openssl rand -hex 32\`)`,
    );
  }
  if (options.jwt && !/^https?:\/\//.test(options.jwt.jwksUrl)) {
    throw new CodecConfigError(`Codec server JWKS URL "${options.jwt.jwksUrl}" is not an http(s) URL`);
  }
  const verifyJwt = options.jwt ? createJwtVerifier(options.jwt) : undefined;
  const authenticated =
    options.authToken !== undefined || verifyJwt !== undefined || options.authorize !== undefined;
  const hostAllowed = hostMatcher(options.allowedHosts ?? []);

  const checkCaller = async (req: IncomingMessage): Promise<void> => {
    if (!authenticated) return; // loopback only (checked before)
    const token = bearerToken(req.headers.authorization);
    if (token !== undefined && options.authToken !== undefined && tokensEqual(token, options.authToken))
      return;
    let reason = token === undefined ? 'no bearer token' : 'token not accepted';
    let unavailable: Error | undefined;
    if (token !== undefined && verifyJwt) {
      try {
        await verifyJwt(token);
        return;
      } catch (err) {
        if (err instanceof JwtRejected) reason = err.message;
        else if (err instanceof JwksUnavailable) unavailable = err;
        else throw err;
      }
    }
    if (options.authorize && (await options.authorize(req))) return;
    if (unavailable) throw new HttpError(503, `Cannot check the token: ${unavailable.message}`);
    throw new HttpError(401, `Unauthorized: ${reason}`, { 'WWW-Authenticate': 'Bearer' });
  };

  const decodeOne = async (payload: Payload): Promise<Payload> => {
    let decoded = payload;
    for (const codec of [...codecs].reverse()) decoded = (await codec.decode([decoded]))[0] ?? decoded;
    return decoded;
  };

  const handle = async (server: Server, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('Vary', 'Origin');
    const bound = server.address();
    if (bound !== null && typeof bound === 'object') {
      // A server with no authentication answers only on loopback, however it was started.
      if (!authenticated && !isLoopbackAddress(req.socket.localAddress)) {
        throw new HttpError(403, 'This codec server has no authentication and serves loopback only');
      }
      // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends Host: evil.example.
      if (!hostAllowed(req.headers.host, bound.address, bound.port)) {
        throw new HttpError(
          421,
          `Host "${req.headers.host ?? ''}" is not served here (allow it with CODEC_ALLOWED_HOSTS)`,
        );
      }
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!origins.has('*') && !origins.has(origin)) {
        throw new HttpError(403, `Origin "${origin}" is not allowed (allow it with CODEC_SERVER_ORIGINS)`);
      }
      res.setHeader('Access-Control-Allow-Origin', origins.has('*') ? '*' : origin);
      if (credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', CODEC_ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    const route = /^(?:\/[^/]+)?\/(encode|decode)\/?$/.exec(new URL(req.url ?? '/', 'http://codec').pathname);
    if (!route) throw new HttpError(404, 'Not found: use POST /encode or POST /decode');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') throw new HttpError(405, 'Method not allowed: use POST');
    await checkCaller(req);
    const payloads = parsePayloads(await readBody(req, maxBody));
    let out: Payload[];
    if (route[1] === 'encode') {
      out = payloads;
      for (const codec of codecs) out = await codec.encode(out);
    } else {
      // A payload this server cannot decode (another key, a missing blob) is returned as it came.
      out = await Promise.all(payloads.map((p) => decodeOne(p).catch(() => p)));
    }
    const body = JSON.stringify({ payloads: out.map(toJsonPayload) });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  };

  const server: Server = createServer((req, res) => {
    handle(server, req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof PayloadJsonError ? 400 : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) {
        res.writeHead(status, {
          'Content-Type': 'application/json',
          ...(err instanceof HttpError ? err.headers : {}),
        });
      }
      res.end(JSON.stringify({ error: message }));
    });
  });

  const listen = server.listen.bind(server) as (...args: unknown[]) => Server;
  server.listen = ((...args: unknown[]) => {
    const target = listenTarget(args);
    if (!authenticated && target.kind === 'address' && !isLoopbackAddress(target.host)) {
      throw new CodecConfigError(unauthenticatedBindMessage(target.host));
    }
    return listen(...args);
  }) as Server['listen'];
  return server;
}

/** The refusal for an unauthenticated server on a non-loopback address, naming the ways out. */
export function unauthenticatedBindMessage(host: string | undefined): string {
  return (
    `Codec server refuses to listen on ${host ?? 'every interface'} without authentication: anyone who ` +
    'reaches it could decrypt payloads. Set CODEC_AUTH_TOKEN (a bearer token, e.g. `openssl rand -hex 32`) ' +
    "or CODEC_JWKS_URL (to verify the Web UI's forwarded access token) — in code the authToken, jwt or " +
    'authorize option — or listen on 127.0.0.1 (CODEC_SERVER_HOST).'
  );
}

/** What `server.listen(...)` was asked to bind: a host (undefined: every interface) or a local socket path. */
function listenTarget(args: unknown[]): { kind: 'address'; host: string | undefined } | { kind: 'local' } {
  const [first, second] = args;
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { kind: 'local' };
  if (typeof first === 'object' && first !== null) {
    const o = first as { path?: unknown; host?: unknown };
    if (typeof o.path === 'string') return { kind: 'local' };
    return { kind: 'address', host: typeof o.host === 'string' ? o.host : undefined };
  }
  return { kind: 'address', host: typeof second === 'string' ? second : undefined };
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError(413, `Request body over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
