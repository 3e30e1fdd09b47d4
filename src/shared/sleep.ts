/**
 * A timer as a promise, for Node-side code (client, activities, dev tools). Workflow code must
 * not use it: a workflow waits with Temporal's `sleep`, which the history records.
 */

/**
 * Resolves after `ms`. With `signal`, rejects with the signal's reason as soon as it aborts
 * (at once when it already has) and clears the timer, so nothing is left pending.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
