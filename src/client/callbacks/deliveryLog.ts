/**
 * Dropping repeated end-of-run callbacks on the receiving side: the `deliveryId`s a receiver has
 * processed, kept for as long as a signature stays valid (then a repeat fails the signature check
 * instead). One process's memory: receivers behind a load balancer keep the ids in a shared
 * store instead (e.g. Redis `SET <id> 1 NX EX 600`).
 */

export interface DeliveryLogOptions {
  /** The `toleranceSeconds` given to `verifyCallbackSignature`. @default 300 */
  toleranceSeconds?: number;
  /** The receiver's clock, unix ms. @default Date.now */
  now?: () => number;
}

/**
 * The deliveries a receiver has processed. A signature is valid for `toleranceSeconds` either
 * side of its time, so an id is kept for twice that.
 *
 * Record an id only once the delivery has been processed: a delivery that failed (and answered
 * non-2xx) is retried with the same id, and must then be taken.
 * @example
 * const deliveries = new DeliveryLog();
 * app.post('/hooks/pipeline', express.raw({ type: 'application/json' }), (req, res) => {
 *   if (!verifyCallbackSignature({ body: req.body, header: req.get('x-pipeline-signature'), secret })) {
 *     return res.sendStatus(401);
 *   }
 *   const event = JSON.parse(req.body.toString('utf8')) as PipelineCallbackBody;
 *   if (deliveries.has(event.deliveryId)) return res.sendStatus(200); // a repeat: already done
 *   handle(event);
 *   deliveries.add(event.deliveryId);
 *   res.sendStatus(204);
 * });
 */
export class DeliveryLog {
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Id → when it may be forgotten; insertion order is expiry order (one TTL for all). */
  readonly #expiries = new Map<string, number>();

  constructor(options: DeliveryLogOptions = {}) {
    this.#ttlMs = 2 * (options.toleranceSeconds ?? 300) * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `deliveryId` was processed within the last 2 × tolerance. */
  has(deliveryId: string): boolean {
    this.#prune();
    return this.#expiries.has(deliveryId);
  }

  /** Records `deliveryId` as processed. */
  add(deliveryId: string): void {
    this.#prune();
    this.#expiries.delete(deliveryId);
    this.#expiries.set(deliveryId, this.#now() + this.#ttlMs);
  }

  /** Ids held now. */
  get size(): number {
    this.#prune();
    return this.#expiries.size;
  }

  #prune(): void {
    const now = this.#now();
    for (const [id, expiry] of this.#expiries) {
      if (expiry > now) break;
      this.#expiries.delete(id);
    }
  }
}
