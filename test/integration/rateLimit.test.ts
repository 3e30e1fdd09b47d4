/**
 * What a rate-limited Temporal really answers, as users see it: `RateLimitError` with the
 * server's reason and scope. Temporal's RESOURCE_EXHAUSTED carries a `ResourceExhaustedFailure
 * { cause, scope }` and no retry delay, so `retryAfterMs` stays undefined.
 */
import { randomBytes } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { RateLimitError } from '../../src/client/errors';
import { startLocalServer, type LocalServer } from '../../src/dev/localServer';
import { createPipelineWorker } from '../../src/worker';
import { registryWorkflowId } from '../../src/protocol/messages/registryMessages';
import { waitUntil } from '../support/eventually';
import { sharedTestEnv } from '../support/pipelineHarness';

const tiny = (value: number) => ({
  name: 'tiny',
  steps: [{ id: 'say', action: 'transform', params: { value } }],
});

/** Settles every promise and splits the outcomes. */
async function outcomes<T>(promises: Promise<T>[]) {
  const settled = await Promise.allSettled(promises);
  return {
    fulfilled: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
    rejected: settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : [])),
  };
}

describe('a namespace limited to 5 requests per second', () => {
  let server: LocalServer;
  let client: PipelinesClient;
  beforeAll(async () => {
    server = await startLocalServer({
      uiPort: false,
      dynamicConfig: { 'frontend.namespaceRPS': 5, 'frontend.namespaceBurstRatio': 1 },
    });
    // The SDK would retry RESOURCE_EXHAUSTED for about 40 s before giving up: surface it at once.
    client = await connect({
      address: server.address,
      taskQueue: `rate-${randomBytes(4).toString('hex')}`,
      retry: { rateLimited: false },
    });
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  test('a burst of 200 starts is refused with RateLimitError naming the limit', async () => {
    const { rejected } = await outcomes(Array.from({ length: 200 }, (_, i) => client.start(tiny(i))));

    expect(rejected.length).toBeGreaterThan(0);
    for (const err of rejected) {
      expect(err).toBeInstanceOf(RateLimitError);
      expect(err).toMatchObject({
        code: 'rate_limited',
        reason: 'RPS_LIMIT',
        scope: 'NAMESPACE',
        retryAfterMs: undefined,
        message: expect.stringContaining('namespace rate limit exceeded') as unknown,
      });
    }
  });
});

test('saves beyond the 10 updates Temporal keeps in flight per pipeline are refused as CONCURRENT_LIMIT', async () => {
  const { address, bundlePath } = sharedTestEnv();
  const taskQueue = `inflight-${randomBytes(4).toString('hex')}`;
  const client = await connect({ address, taskQueue, retry: { maxAttempts: 1 } });
  const name = `inflight-${randomBytes(3).toString('hex')}`;
  const at = new Date().toISOString();
  // The entity exists but no worker polls yet, so every accepted save stays in flight.
  await client.temporal.workflow.start('pipelineRegistry', {
    workflowId: registryWorkflowId(name),
    taskQueue,
    args: [{ name, createdAt: at, updatedAt: at, versions: [] }],
  });
  const refused: unknown[] = [];
  const saves = Array.from({ length: 12 }, (_, i) =>
    client.pipelines.save({ name, definition: tiny(i) }).catch((err: unknown) => {
      refused.push(err);
      throw err;
    }),
  );
  await waitUntil(() => refused.length === 2, 10_000, 'the 11th and 12th saves to be refused');

  const connection = await NativeConnection.connect({ address });
  const worker = await createPipelineWorker({
    connection,
    taskQueue,
    workflowBundle: { codePath: bundlePath },
    shutdownGraceTimeMs: 1000,
  });
  const running = worker.run();
  try {
    const { fulfilled, rejected } = await outcomes(saves);
    expect(fulfilled.map((s) => s.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(rejected).toHaveLength(2);
    for (const err of rejected) {
      expect(err).toBeInstanceOf(RateLimitError);
      expect(err).toMatchObject({
        code: 'rate_limited',
        reason: 'CONCURRENT_LIMIT',
        scope: 'NAMESPACE',
        retryAfterMs: undefined,
        message: expect.stringContaining('in-flight updates') as unknown,
      });
    }
    await client.pipelines.delete(name);
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await client.close();
  }
});
