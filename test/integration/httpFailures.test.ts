/**
 * An HTTP step that gets no answer says which request and why: the method, the URL without
 * userinfo or query, and the cause code (ECONNREFUSED, ENOTFOUND, a certificate error, a
 * timeout), in `result()`'s error and in the run's step as `executions.get` (and so
 * `tpipe executions get/logs` and the Web UI's failure) shows it; never just `fetch failed`.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import path from 'node:path';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { PipelineRunFailedError } from '../../src/client/errors';
import { freePort } from '../../src/dev/localServer';
import { startPipelineHarness, sharedTestEnv, type PipelineHarness } from '../support/pipelineHarness';

let h: PipelineHarness;
let client: PipelinesClient;
let tls: Server;
let tlsPort: number;

beforeAll(async () => {
  h = await startPipelineHarness();
  client = await connect({ address: sharedTestEnv().address, taskQueue: h.taskQueue });
  const fixtures = path.resolve(__dirname, '../fixtures/tls');
  tls = createServer(
    {
      cert: readFileSync(path.join(fixtures, 'self-signed.crt')),
      key: readFileSync(path.join(fixtures, 'self-signed.key')),
    },
    (_req, res) => res.end('{}'),
  );
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  tlsPort = (tls.address() as { port: number }).port;
});
afterAll(async () => {
  await client?.close();
  await h?.close();
  await new Promise((resolve) => tls?.close(resolve));
});

/** Runs one api_call step (one attempt) that fails; returns the run's error and the step's. */
async function failedCall(url: string, extra: Record<string, unknown> = {}) {
  const run = await client.start({
    name: 'unreachable',
    steps: [{ id: 'call', action: 'api_call', params: { url, ...extra }, retry: { max_attempts: 1 } }],
  });
  const err = await run.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineRunFailedError);
  const execution = await client.executions.get(run.taskId);
  return { runError: (err as Error).message, step: execution.steps.call!, execution };
}

test('a closed port: ECONNREFUSED, the method and the URL without its query', async () => {
  const port = await freePort();
  const { runError, step, execution } = await failedCall(`http://127.0.0.1:${port}/orders?token=abc123`, {
    method: 'POST',
    body: { a: 1 },
  });
  const expected = `api_call POST http://127.0.0.1:${port}/orders failed: connect ECONNREFUSED 127.0.0.1:${port}`;
  expect(runError).toContain(expected);
  expect(step.status).toBe('failed');
  expect(step.error?.message).toContain(expected);
  expect(step.error?.code).toBe('UpstreamUnavailable');
  expect(execution.error?.message).toContain(expected);
  for (const text of [runError, step.error?.message, execution.error?.message]) {
    expect(text).not.toMatch(/abc123|fetch failed/);
  }
});

test('a URL with userinfo: named without it (fetch refuses credentials in URLs)', async () => {
  const port = await freePort();
  const { runError } = await failedCall(`http://user:hunter2@127.0.0.1:${port}/orders?token=abc123`);
  expect(runError).toContain(`api_call GET http://127.0.0.1:${port}/orders failed: `);
  expect(runError).not.toMatch(/hunter2|abc123/);
});

test('an unresolvable name: ENOTFOUND and the host', async () => {
  const { runError, step } = await failedCall('https://no-such-host.invalid/v1/items?key=s3cret');
  expect(runError).toContain(
    'api_call GET https://no-such-host.invalid/v1/items failed: getaddrinfo ENOTFOUND no-such-host.invalid',
  );
  expect(step.error?.message).toContain('ENOTFOUND');
  expect(runError).not.toContain('s3cret');
});

test('a self-signed certificate: the certificate error code', async () => {
  const { runError, step } = await failedCall(`https://127.0.0.1:${tlsPort}/secure`);
  expect(runError).toContain(
    `api_call GET https://127.0.0.1:${tlsPort}/secure failed: DEPTH_ZERO_SELF_SIGNED_CERT (self-signed certificate)`,
  );
  expect(step.error?.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
});
