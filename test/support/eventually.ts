/**
 * Polls `read` until `done(value)` holds (or the deadline passes) and returns the last value:
 * for eventually consistent reads such as Temporal visibility, instead of sleeping blindly.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}
