/**
 * A bound on how many run starts one client has in flight: past it, starts wait inside the client
 * in arrival order, so `Promise.all(1000 × start())` sends at most that many at once.
 */
export class StartLimiter {
  private active = 0;
  /** Waiting starts, oldest first from `head` (an index, so a long queue is not shifted each time). */
  private waiting: Array<(() => void) | undefined> = [];
  private head = 0;

  /** @throws RangeError unless `maxConcurrent` is an integer ≥ 1. */
  constructor(readonly maxConcurrent: number) {
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new RangeError(`maxConcurrentStarts must be an integer ≥ 1, got ${maxConcurrent}`);
    }
  }

  /** Starts running now. */
  get inFlight(): number {
    return this.active;
  }

  /** Starts waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Runs `start` once a slot is free, holding the slot until it settles. */
  async run<T>(start: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await start();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.maxConcurrent) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting[this.head];
    if (next === undefined) {
      this.active--;
      return;
    }
    // The slot passes straight to the oldest waiting start.
    this.waiting[this.head++] = undefined;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    }
    next();
  }
}
