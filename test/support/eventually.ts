/**
 * Polling for tests, instead of sleeping blindly: for eventually consistent reads (Temporal
 * visibility) and for what a test server has seen.
 */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves once `pred()` holds; rejects after `timeoutMs` naming `what` it waited for. */
export async function waitUntil(
  pred: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Polls `read` until `done(value)` holds (or the deadline passes) and returns the last value,
 * so the test's own assertion reports what was actually seen.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(100);
    value = await read();
  }
  return value;
}
