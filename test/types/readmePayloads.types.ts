/**
 * The "Payload encryption and large payloads" snippets of docs/payloads.md, compiled by `npm run typecheck`
 * so the documentation cannot drift from the API (never run). The S3 sketch is shown with a
 * stand-in for the AWS SDK, which is not a dependency.
 */
import type { IncomingMessage } from 'node:http';
import { NativeConnection } from '@temporalio/worker';
import {
  connect,
  createCodecServer,
  LocalDirectoryStorage,
  type PayloadOptions,
  type PayloadStorage,
} from '../../src';
import { createPipelineWorker } from '../../src/worker';

export async function readmePayloadsSnippet(): Promise<void> {
  const payloads: PayloadOptions = {
    encryption: {
      currentKeyId: '2026-11',
      keys: { '2026-11': process.env.KEY_2026_11!, '2026-05': process.env.KEY_2026_05! },
    },
    claimCheck: {
      storage: new LocalDirectoryStorage('/var/lib/pipelines/payloads'),
      thresholdBytes: 256 * 1024,
    },
  };
  const client = await connect({ payloads });
  const connection = await NativeConnection.connect({ address: 'localhost:7233' });
  const worker = await createPipelineWorker({ connection, payloads });
  createCodecServer({
    payloads,
    authorize: (req: IncomingMessage) => req.headers.authorization === 'Bearer x',
  });
  createCodecServer({
    payloads,
    authToken: process.env.CODEC_AUTH_TOKEN,
    jwt: {
      jwksUrl: 'https://idp.example/.well-known/jwks.json',
      issuer: 'https://idp.example',
      audience: 'codec',
    },
    allowedOrigins: ['https://temporal.example.com'],
    allowedHosts: ['codec.example.com'],
  }).listen(8888, '0.0.0.0');
  await worker.run();
  await client.close();
}

declare const s3: {
  send(command: unknown): Promise<{ Body?: { transformToByteArray(): Promise<Uint8Array> } }>;
};
declare class PutObjectCommand {
  constructor(input: { Bucket: string; Key: string; Body: Uint8Array });
}
declare class GetObjectCommand {
  constructor(input: { Bucket: string; Key: string });
}

export const s3Storage: PayloadStorage = {
  async put(key, data) {
    await s3.send(new PutObjectCommand({ Bucket: 'pipeline-payloads', Key: `payloads/${key}`, Body: data }));
  },
  async get(key) {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: 'pipeline-payloads', Key: `payloads/${key}` }),
    );
    return object.Body!.transformToByteArray();
  },
};
