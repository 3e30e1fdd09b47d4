/**
 * Verifies the access token the Temporal Web UI forwards to the codec server ("pass access
 * token"): a JWT signed with an asymmetric key published at a JWKS URL. Signatures are checked
 * with node:crypto (RS256/384/512, PS256/384/512, ES256/384/512; never `none` or HS*), then
 * `exp`/`nbf` with a small leeway, and `iss`/`aud` when configured. The key set is cached and
 * fetched again for a key id it does not hold, at most once per refresh interval.
 */
import { createPublicKey, verify, constants, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface JwtOptions {
  /** Where the issuer publishes its signing keys, e.g. `https://issuer.example/.well-known/jwks.json`. */
  jwksUrl: string;
  /** Required `iss`. @default not checked */
  issuer?: string;
  /** Accepted `aud` values (a token passes when its `aud` holds one of them). @default not checked */
  audience?: string | readonly string[];
  /** Clock skew allowed on `exp` and `nbf`, seconds. @default 30 */
  leewaySeconds?: number;
  /** How long a fetched key set is trusted, ms. @default 600000 */
  jwksMaxAgeMs?: number;
  /** Least time between two fetches caused by an unknown key id, ms. @default 30000 */
  jwksRefreshIntervalMs?: number;
}

/** Why a token was refused (the codec server answers 401 with it). */
export class JwtRejected extends Error {}

/** The key set could not be fetched (the codec server answers 503). */
export class JwksUnavailable extends Error {}

interface Algorithm {
  kty: 'RSA' | 'EC';
  hash: 'sha256' | 'sha384' | 'sha512';
  pss?: boolean;
  crv?: string;
}

const ALGORITHMS: Record<string, Algorithm> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  ES256: { kty: 'EC', hash: 'sha256', crv: 'P-256' },
  ES384: { kty: 'EC', hash: 'sha384', crv: 'P-384' },
  ES512: { kty: 'EC', hash: 'sha512', crv: 'P-521' },
};

interface CachedKey {
  kid?: string;
  jwk: JsonWebKey & { kid?: string; use?: string; alg?: string };
  key: KeyObject;
}

const MAX_JWKS_BYTES = 1024 * 1024;
const JWKS_TIMEOUT_MS = 5000;

/** Creates a verifier; `verify(token)` resolves with the claims or rejects with `JwtRejected`/`JwksUnavailable`. */
export function createJwtVerifier(options: JwtOptions): (token: string) => Promise<Record<string, unknown>> {
  const leeway = options.leewaySeconds ?? 30;
  const maxAge = options.jwksMaxAgeMs ?? 600_000;
  const refreshInterval = options.jwksRefreshIntervalMs ?? 30_000;
  const audiences =
    options.audience === undefined
      ? undefined
      : typeof options.audience === 'string'
        ? [options.audience]
        : [...options.audience];
  let keys: CachedKey[] | undefined;
  let fetchedAt = -Infinity;
  let inFlight: Promise<CachedKey[]> | undefined;

  const refresh = (): Promise<CachedKey[]> => {
    inFlight ??= fetchJwks(options.jwksUrl)
      .then((fetched) => {
        keys = fetched;
        return fetched;
      })
      .finally(() => {
        fetchedAt = Date.now();
        inFlight = undefined;
      });
    return inFlight;
  };

  let lastError: JwksUnavailable | undefined;
  const keysFor = async (kid: string | undefined): Promise<CachedKey[]> => {
    const now = Date.now();
    const stale = !keys || now - fetchedAt > maxAge;
    // An unknown key id may be a rotation: fetch again, but not more often than the interval.
    const unknown = keys !== undefined && !keys.some((k) => kid === undefined || k.kid === kid);
    if ((stale || unknown) && now - fetchedAt >= refreshInterval) {
      try {
        return await refresh();
      } catch (err) {
        lastError = err instanceof JwksUnavailable ? err : new JwksUnavailable(String(err));
        if (!keys) throw lastError;
        return keys; // the keys fetched before stay usable while the issuer is unreachable
      }
    }
    if (!keys) throw lastError ?? new JwksUnavailable(`the JWKS at ${options.jwksUrl} is not fetched yet`);
    return keys;
  };

  return async (token) => {
    const parts = token.split('.');
    if (parts.length !== 3) throw new JwtRejected('not a JWS compact token');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJson(headerPart, 'header');
    const alg = typeof header.alg === 'string' ? header.alg : '';
    const algorithm = Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg] : undefined;
    if (!algorithm) throw new JwtRejected(`algorithm "${alg}" is not accepted (asymmetric RS/PS/ES only)`);
    if (header.crit !== undefined) throw new JwtRejected('"crit" header parameters are not supported');
    const kid = typeof header.kid === 'string' ? header.kid : undefined;

    const candidates = (await keysFor(kid)).filter(
      (k) =>
        (kid === undefined || k.kid === kid) &&
        k.jwk.kty === algorithm.kty &&
        (algorithm.crv === undefined || k.jwk.crv === algorithm.crv) &&
        (k.jwk.alg === undefined || k.jwk.alg === alg) &&
        (k.jwk.use === undefined || k.jwk.use === 'sig'),
    );
    if (candidates.length === 0)
      throw new JwtRejected(`no key in the JWKS for kid "${kid ?? ''}" and ${alg}`);
    if (kid === undefined && candidates.length > 1)
      throw new JwtRejected('token has no kid and the JWKS has several keys');

    const signingInput = Buffer.from(`${headerPart}.${payloadPart}`);
    const signature = decodeBase64Url(signaturePart, 'signature');
    const valid = candidates.some(({ key }) => {
      try {
        return verify(
          algorithm.hash,
          signingInput,
          algorithm.kty === 'EC'
            ? { key, dsaEncoding: 'ieee-p1363' }
            : algorithm.pss
              ? {
                  key,
                  padding: constants.RSA_PKCS1_PSS_PADDING,
                  saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
                }
              : key,
          signature,
        );
      } catch {
        return false; // a malformed signature is an invalid one
      }
    });
    if (!valid) throw new JwtRejected('signature does not verify');

    const claims = decodeJson(payloadPart, 'payload');
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number') throw new JwtRejected('token has no "exp"');
    if (now > claims.exp + leeway) throw new JwtRejected('token expired');
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || now + leeway < claims.nbf)) {
      throw new JwtRejected('token not yet valid ("nbf")');
    }
    if (options.issuer !== undefined && claims.iss !== options.issuer) {
      throw new JwtRejected('token issuer ("iss") is not the expected one');
    }
    if (audiences) {
      const aud = claims.aud;
      const held = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
      if (!held.some((a) => audiences.includes(a as string))) {
        throw new JwtRejected('token audience ("aud") is not an accepted one');
      }
    }
    return claims;
  };
}

async function fetchJwks(url: string): Promise<CachedKey[]> {
  let text: string;
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
      redirect: 'error',
      headers: { Accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    text = await response.text();
  } catch (err) {
    throw new JwksUnavailable(
      `cannot fetch the JWKS at ${url}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (text.length > MAX_JWKS_BYTES)
    throw new JwksUnavailable(`the JWKS at ${url} is over ${MAX_JWKS_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new JwksUnavailable(`the JWKS at ${url} is not JSON`);
  }
  const list = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new JwksUnavailable(`the JWKS at ${url} has no "keys" array`);
  const keys: CachedKey[] = [];
  for (const jwk of list as CachedKey['jwk'][]) {
    // Only public asymmetric keys: an "oct" (HMAC) key is never accepted, nor is private material used.
    if (typeof jwk !== 'object' || jwk === null || (jwk.kty !== 'RSA' && jwk.kty !== 'EC')) continue;
    try {
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
      keys.push({ kid: jwk.kid, jwk, key: createPublicKey({ key: pub, format: 'jwk' }) });
    } catch {
      // a key node:crypto cannot read is skipped; tokens signed with it fail as "no key"
    }
  }
  return keys;
}

function decodeBase64Url(part: string, what: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new JwtRejected(`${what} is not base64url`);
  return Buffer.from(part, 'base64url');
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decodeBase64Url(part, what).toString('utf8'));
  } catch (err) {
    if (err instanceof JwtRejected) throw err;
    throw new JwtRejected(`${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtRejected(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
