/**
 * The client's bound on start calls in flight: never more than the bound running, the rest
 * start in arrival order as slots free, and a failed start frees its slot too.
 */
import { StartLimiter } from '../../../src/client/runs/inFlightStarts';

/** A start that settles when the test says. */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

test('at most maxConcurrent starts run; the others wait and start in arrival order', async () => {
  const limiter = new StartLimiter(3);
  const gates = Array.from({ length: 10 }, deferred);
  const began: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const all = gates.map((gate, i) =>
    limiter.run(async () => {
      began.push(i);
      maxRunning = Math.max(maxRunning, ++running);
      await gate.promise;
      running--;
      return i;
    }),
  );
  await flush();
  expect(began).toEqual([0, 1, 2]);
  expect({ inFlight: limiter.inFlight, queued: limiter.queued }).toEqual({ inFlight: 3, queued: 7 });

  gates[1]!.resolve();
  await flush();
  expect(began).toEqual([0, 1, 2, 3]);

  for (const gate of gates) gate.resolve();
  expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(began).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(maxRunning).toBe(3);
  expect({ inFlight: limiter.inFlight, queued: limiter.queued }).toEqual({ inFlight: 0, queued: 0 });
});

test('a start that fails frees its slot and its error reaches its caller', async () => {
  const limiter = new StartLimiter(1);
  const first = deferred();
  const failing = limiter.run(() => first.promise);
  const next = limiter.run(() => Promise.resolve('next'));
  await flush();
  expect(limiter.queued).toBe(1);
  first.reject(new Error('refused'));
  await expect(failing).rejects.toThrow('refused');
  await expect(next).resolves.toBe('next');
  expect(limiter.inFlight).toBe(0);
});

test('the queue keeps working after draining, many times over', async () => {
  const limiter = new StartLimiter(2);
  for (let round = 0; round < 3; round++) {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => limiter.run(() => Promise.resolve(i))),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect({ inFlight: limiter.inFlight, queued: limiter.queued }).toEqual({ inFlight: 0, queued: 0 });
  }
});

test('the bound must be an integer of at least 1', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new StartLimiter(bad)).toThrow(RangeError);
});
