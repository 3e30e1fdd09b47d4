/**
 * `npm run codec-server`: the codec server configured from the environment — the payload
 * variables of the worker (`PIPELINE_ENCRYPTION_KEYS`, `PIPELINE_ENCRYPTION_KEY_ID`,
 * `PIPELINE_CLAIM_CHECK_DIR`) plus the `CODEC_*` variables of `CodecServerEnv`.
 */
import type { Server } from 'node:http';
import { setEnvValues } from '../shared';
import { z } from 'zod';
import { CodecConfigError } from './errors';
import { payloadOptionsFromEnv } from './payloadOptions';
import { createCodecServer, unauthenticatedBindMessage } from './server';
import { isLoopbackAddress } from './serverGuards';

const list = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** The codec server's own environment variables. */
export const CodecServerEnv = z.object({
  CODEC_SERVER_PORT: z.coerce.number().int().min(0).max(65535).default(8888),
  /** @default 127.0.0.1 (only this host's browsers); another address needs an authentication mode */
  CODEC_SERVER_HOST: z.string().default('127.0.0.1'),
  /** Web UI origins allowed by CORS, comma-separated; `*` for any (only with credentials off). */
  CODEC_SERVER_ORIGINS: z.string().default('http://localhost:8233,http://127.0.0.1:8233').transform(list),
  /** `Access-Control-Allow-Credentials` (the UI's "include cross-origin credentials"). */
  CODEC_SERVER_ALLOW_CREDENTIALS: z.enum(['true', 'false']).default('true'),
  /** Extra `Host` values served (`name:port`, or `name` for any port), comma-separated. */
  CODEC_ALLOWED_HOSTS: z.string().default('').transform(list),
  /** A bearer token callers must send (`Authorization: Bearer …`). */
  CODEC_AUTH_TOKEN: z.string().optional(),
  /** JWKS URL verifying the Web UI's forwarded access token (a JWT). */
  CODEC_JWKS_URL: z.string().url().optional(),
  /** Required `iss` of those tokens. */
  CODEC_JWT_ISSUER: z.string().optional(),
  /** Accepted `aud` values of those tokens, comma-separated. */
  CODEC_JWT_AUDIENCE: z.string().transform(list).optional(),
});

/**
 * Starts the codec server from `env`; resolves with it and its URL once it listens.
 * @throws CodecConfigError when there is nothing to decode, or a non-loopback host has no authentication
 */
export async function serveCodecFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ server: Server; url: string }> {
  const config = CodecServerEnv.parse(setEnvValues(env));
  const payloads = payloadOptionsFromEnv(env);
  if (!payloads.encryption && !payloads.claimCheck) {
    throw new CodecConfigError(
      'Nothing to decode: set PIPELINE_ENCRYPTION_KEYS and/or PIPELINE_CLAIM_CHECK_DIR',
    );
  }
  const jwt = config.CODEC_JWKS_URL
    ? { jwksUrl: config.CODEC_JWKS_URL, issuer: config.CODEC_JWT_ISSUER, audience: config.CODEC_JWT_AUDIENCE }
    : undefined;
  if (!config.CODEC_AUTH_TOKEN && !jwt && !isLoopbackAddress(config.CODEC_SERVER_HOST)) {
    throw new CodecConfigError(unauthenticatedBindMessage(config.CODEC_SERVER_HOST));
  }
  const server = createCodecServer({
    payloads,
    allowedOrigins: config.CODEC_SERVER_ORIGINS,
    allowCredentials: config.CODEC_SERVER_ALLOW_CREDENTIALS === 'true',
    allowedHosts: config.CODEC_ALLOWED_HOSTS,
    authToken: config.CODEC_AUTH_TOKEN,
    jwt,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.CODEC_SERVER_PORT, config.CODEC_SERVER_HOST, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.CODEC_SERVER_PORT;
  return { server, url: `http://${config.CODEC_SERVER_HOST}:${port}` };
}

if (require.main === module) {
  serveCodecFromEnv()
    .then(({ url }) => process.stdout.write(`codec server on ${url} (Web UI: --ui-codec-endpoint ${url})\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
