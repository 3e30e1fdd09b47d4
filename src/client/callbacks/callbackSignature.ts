/**
 * Checking an end-of-run callback's signature on the receiving side.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface VerifyCallbackOptions {
  /** The request body exactly as received (bytes or text): not a re-serialised object. */
  body: string | Uint8Array;
  /** The `x-pipeline-signature` header. */
  header: string | string[] | undefined | null;
  /** The worker's `PIPELINE_CALLBACK_SECRET`. */
  secret: string;
  /** Reject signatures made longer ago (or further ahead) than this, seconds; replays. @default 300 */
  toleranceSeconds?: number;
  /** The receiver's clock, unix ms. @default Date.now() */
  now?: number;
}

/**
 * Whether an end-of-run callback was signed with `secret`. The header is
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; this recomputes the HMAC over
 * the raw body, compares it in constant time and checks that `t` is within `toleranceSeconds`
 * of `now`. Each delivery attempt is signed afresh, so retried deliveries pass too; the body's
 * `deliveryId` (signed with it) is the same on every attempt, so a receiver can drop a repeat
 * within the window with a `DeliveryLog`.
 *
 * @example
 * // Express, with the raw body kept: app.use(express.raw({ type: 'application/json' }))
 * app.post('/hooks/pipeline', (req, res) => {
 *   if (!verifyCallbackSignature({ body: req.body, header: req.get('x-pipeline-signature'), secret })) {
 *     return res.sendStatus(401);
 *   }
 *   const event = JSON.parse(req.body.toString('utf8')) as PipelineCallbackBody;
 *   res.sendStatus(204); // any 2xx: the callback is delivered; anything else is retried
 * });
 */
export function verifyCallbackSignature(options: VerifyCallbackOptions): boolean {
  const header = Array.isArray(options.header) ? options.header[0] : options.header;
  if (typeof header !== 'string' || options.secret === '') return false;
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') signatures.push(value);
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return false;
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - Number(timestamp)) > tolerance) return false;
  const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  const expected = createHmac('sha256', options.secret).update(`${timestamp}.`).update(body).digest();
  return signatures.some((sig) => {
    if (!/^[0-9a-f]{64}$/i.test(sig)) return false;
    return timingSafeEqual(Buffer.from(sig, 'hex'), expected);
  });
}
