/**
 * The codec server: lets the Temporal Web UI (and `temporal workflow show --codec-endpoint`)
 * show encrypted and claim-checked payloads decoded, to whoever can reach it. It speaks
 * Temporal's codec-server protocol: `POST /decode` and `POST /encode` (also under
 * `/<namespace>/…`) with a JSON body `{ "payloads": [ { "metadata": { k: base64 }, "data": base64 } ] }`
 * (proto3 JSON) and the same shape back, and answers the browser's CORS preflight.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { createPayloadCodecs, type PayloadOptions } from './payloadOptions';

export interface CodecServerOptions {
  /** The same payload options as the client and workers (the keys; the claim check's storage to resolve references). */
  payloads: PayloadOptions;
  /**
   * Origins whose browsers may call the server (the Web UI's URL, e.g. `http://localhost:8233`);
   * `'*'` allows any origin. @default ['http://localhost:8233', 'http://127.0.0.1:8233']
   */
  allowedOrigins?: readonly string[];
  /**
   * Decides whether a request may use the server, e.g. by checking the `authorization` header the
   * Web UI forwards ("pass access token"). @default every request is allowed
   */
  authorize?: (request: IncomingMessage) => boolean | Promise<boolean>;
  /** Largest request body, bytes. @default 16 MiB */
  maxBodyBytes?: number;
}

/** Request headers the Web UI sends to a codec server. */
export const CODEC_ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';
const DEFAULT_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Creates the codec server (not yet listening: call `listen(port)`).
 * @example
 * createCodecServer({ payloads: payloadOptionsFromEnv() }).listen(8888);
 * // then: temporal server start-dev --ui-codec-endpoint http://localhost:8888
 */
export function createCodecServer(options: CodecServerOptions): Server {
  const codecs: PayloadCodec[] = createPayloadCodecs(options.payloads);
  const origins = new Set(options.allowedOrigins ?? DEFAULT_ORIGINS);
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;

  const decodeOne = async (payload: Payload): Promise<Payload> => {
    let decoded = payload;
    for (const codec of [...codecs].reverse()) decoded = (await codec.decode([decoded]))[0] ?? decoded;
    return decoded;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin !== undefined && (origins.has('*') || origins.has(origin))) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', CODEC_ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.setHeader('Vary', 'Origin');
    const route = /^(?:\/[^/]+)?\/(encode|decode)\/?$/.exec(new URL(req.url ?? '/', 'http://codec').pathname);
    if (!route) throw new HttpError(404, 'Not found: use POST /encode or POST /decode');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') throw new HttpError(405, 'Method not allowed: use POST');
    if (options.authorize && !(await options.authorize(req))) throw new HttpError(401, 'Unauthorized');
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

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: message }));
    });
  });
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

function parsePayloads(text: string): Payload[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Body must be JSON: { "payloads": [ … ] }');
  }
  const list = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new HttpError(400, 'Body must be JSON: { "payloads": [ … ] }');
  return list.map((item, i) => {
    const payload = fromJsonPayload(item);
    if (!payload)
      throw new HttpError(400, `payloads[${i}] is not a payload (metadata values and data are base64)`);
    return payload;
  });
}

/** A payload in proto3 JSON: every metadata value and the data are base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Proto3 JSON → payload. (Written out rather than `JSONToPayload` from `@temporalio/common`,
 * whose protobufjs copy rejects `@temporalio/proto`'s types when npm installs two copies.)
 */
function fromJsonPayload(value: unknown): Payload | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { metadata = {}, data = '' } = value as JsonPayload;
  if (typeof metadata !== 'object' || metadata === null || typeof data !== 'string' || !BASE64.test(data)) {
    return undefined;
  }
  const decoded: Record<string, Uint8Array> = {};
  for (const [key, text] of Object.entries(metadata)) {
    if (typeof text !== 'string' || !BASE64.test(text)) return undefined;
    decoded[key] = Buffer.from(text, 'base64');
  }
  return { metadata: decoded, data: Buffer.from(data, 'base64') };
}

/** Payload → proto3 JSON. */
function toJsonPayload(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, bytes] of Object.entries(payload.metadata ?? {})) {
    metadata[key] = Buffer.from(bytes ?? new Uint8Array()).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}
