/**
 * The activity side of streaming: batching by time and size, one signal in flight at a time,
 * order, the final flush, and failures that drop a batch without failing anything.
 */
import type { StreamDeltaBatch } from '../../../src/protocol';
import { StreamPublisher } from '../../../src/activities/nodes/streamPublisher';

/** Every test runs on jest's fake clock: no real time passes. */
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** Resolves after `ms` of the fake clock. */
const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Advances the fake clock until `promise` settles (at most `ms`), then awaits it. */
async function settle<T>(promise: Promise<T>, ms = 1000): Promise<T> {
  await jest.advanceTimersByTimeAsync(ms);
  return promise;
}

/** Sends take `delayMs` of the fake clock; `fail` picks batches whose send throws. */
function recorder(delayMs = 0, fail: (b: StreamDeltaBatch) => boolean = () => false) {
  const sent: (StreamDeltaBatch & { t: number })[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = async (b: StreamDeltaBatch) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await later(delayMs);
    inFlight--;
    if (fail(b)) throw new Error('signal failed');
    sent.push({ ...b, t: Date.now() });
  };
  return { sent, send, maxInFlight: () => maxInFlight };
}

describe('sends that resolve at once', () => {
  /** Sends resolve at once; `t` is the (fake) clock when a batch was sent. */
  function instant() {
    const sent: (StreamDeltaBatch & { t: number })[] = [];
    const send = (b: StreamDeltaBatch) => {
      sent.push({ ...b, t: Date.now() });
      return Promise.resolve();
    };
    return { sent, send };
  }

  test('the first delta goes at once; later deltas within the interval go in one batch, intervalMs after the first of them', async () => {
    const r = instant();
    const p = new StreamPublisher({ nodeId: 'gen', attempt: 2, send: r.send, intervalMs: 50 });
    const t0 = Date.now();
    p.push('a');
    await jest.advanceTimersByTimeAsync(5);
    expect(r.sent).toMatchObject([
      { nodeId: 'gen', attempt: 2, outputName: 'gen', text: 'a', batch: 1, t: t0 },
    ]);
    p.push('b');
    p.push('c');
    await jest.advanceTimersByTimeAsync(10);
    p.push('d');
    await jest.advanceTimersByTimeAsync(30);
    expect(r.sent).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(20);
    expect(r.sent[1]).toMatchObject({ text: 'bcd', batch: 2, t: t0 + 55 });
    await p.flush();
  });

  test('after the fast window, batches are settledIntervalMs apart', async () => {
    const r = instant();
    const p = new StreamPublisher({
      nodeId: 'gen',
      attempt: 1,
      send: r.send,
      intervalMs: 50,
      settledIntervalMs: 250,
      fastWindowMs: 1000,
    });
    const t0 = Date.now();
    // One token every 10 ms for 3 s.
    for (let i = 0; i < 300; i++) {
      p.push('x');
      await jest.advanceTimersByTimeAsync(10);
    }
    await p.flush();
    const gaps = r.sent.slice(1).map((b, i) => b.t - r.sent[i]!.t);
    const early = r.sent.filter((b) => b.t - t0 < 1000).length;
    const late = r.sent.filter((b) => b.t - t0 >= 1100).length;
    expect(early).toBeGreaterThanOrEqual(18); // ~every 50 ms
    expect(late).toBeLessThanOrEqual(9); // ~every 250 ms over the last 1.9 s
    expect(Math.max(...gaps)).toBeLessThanOrEqual(260);
    expect(r.sent.map((b) => b.text).join('')).toBe('x'.repeat(300));
  });
});

test('maxBytes pending are sent at once; one signal in flight; order kept; flush sends the rest', async () => {
  const r = recorder(20);
  const p = new StreamPublisher({ nodeId: 'gen', attempt: 1, send: r.send, intervalMs: 1000, maxBytes: 10 });
  const pieces = Array.from({ length: 30 }, (_, i) => `tok${i} `);
  for (const piece of pieces) {
    p.push(piece);
    await jest.advanceTimersByTimeAsync(2);
  }
  await settle(p.flush());
  expect(r.maxInFlight()).toBe(1);
  expect(r.sent.map((b) => b.batch)).toEqual(r.sent.map((_, i) => i + 1));
  expect(r.sent.map((b) => b.text).join('')).toBe(pieces.join(''));
  // Pieces that arrive while a signal is in flight join the next batch.
  expect(r.sent.length).toBeLessThan(pieces.length);
  p.push('ignored after flush');
  await jest.advanceTimersByTimeAsync(1000);
  expect(r.sent.map((b) => b.text).join('')).toBe(pieces.join(''));
});

test('a failed signal is reported and its text dropped; later batches still go', async () => {
  const errors: number[] = [];
  const r = recorder(0, (b) => b.batch === 1);
  const p = new StreamPublisher({
    nodeId: 'gen',
    attempt: 1,
    send: r.send,
    intervalMs: 5,
    onError: (_err, b) => errors.push(b.batch),
  });
  p.push('lost');
  await jest.advanceTimersByTimeAsync(30);
  p.push('kept');
  await settle(p.flush());
  expect(errors).toEqual([1]);
  expect(r.sent.map((b) => [b.batch, b.text])).toEqual([[2, 'kept']]);
  expect(p.stats).toMatchObject({ sent: 1, failed: 1 });
});

test('close drops what is pending and waits for the signal in flight', async () => {
  const r = recorder(30);
  const p = new StreamPublisher({ nodeId: 'gen', attempt: 1, send: r.send, intervalMs: 1, maxBytes: 1 });
  p.push('first');
  p.push('pending');
  await settle(p.close());
  expect(r.sent.map((b) => b.text)).toEqual(['first']);
});
