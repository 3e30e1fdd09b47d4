/**
 * `npm run codec-server`: the codec server configured from the environment — the payload
 * variables of the worker (`PIPELINE_ENCRYPTION_KEYS`, `PIPELINE_ENCRYPTION_KEY_ID`,
 * `PIPELINE_CLAIM_CHECK_DIR`) plus `CODEC_SERVER_PORT`, `CODEC_SERVER_HOST` and
 * `CODEC_SERVER_ORIGINS`.
 */
import { setEnvValues } from '../dev/envValues';
import { z } from 'zod';
import { payloadOptionsFromEnv } from './payloadOptions';
import { createCodecServer } from './server';

/** The codec server's own environment variables. */
export const CodecServerEnv = z.object({
  CODEC_SERVER_PORT: z.coerce.number().int().min(0).max(65535).default(8888),
  /** @default 127.0.0.1 (only this host's browsers); 0.0.0.0 to serve others */
  CODEC_SERVER_HOST: z.string().default('127.0.0.1'),
  /** Web UI origins allowed by CORS, comma-separated; `*` for any. */
  CODEC_SERVER_ORIGINS: z
    .string()
    .default('http://localhost:8233,http://127.0.0.1:8233')
    .transform((text) =>
      text
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
});

/** Starts the codec server from `env`; resolves with its URL once it listens. */
export async function serveCodecFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const config = CodecServerEnv.parse(setEnvValues(env));
  const payloads = payloadOptionsFromEnv(env);
  if (!payloads.encryption && !payloads.claimCheck) {
    throw new Error('Nothing to decode: set PIPELINE_ENCRYPTION_KEYS and/or PIPELINE_CLAIM_CHECK_DIR');
  }
  const server = createCodecServer({ payloads, allowedOrigins: config.CODEC_SERVER_ORIGINS });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.CODEC_SERVER_PORT, config.CODEC_SERVER_HOST, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.CODEC_SERVER_PORT;
  return `http://${config.CODEC_SERVER_HOST}:${port}`;
}

if (require.main === module) {
  serveCodecFromEnv()
    .then((url) => process.stdout.write(`codec server on ${url} (Web UI: --ui-codec-endpoint ${url})\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
