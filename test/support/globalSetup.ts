/**
 * Once per test run: start one local Temporal server and bundle the workflow code once.
 * Test files read both through `test/support/env.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startLocalServer, type LocalServer } from '../../src/dev/localServer';
import { bundleWorkflows } from '../../src/worker';
import { SHARED_ENV_FILE, type SharedTestEnv } from './sharedEnv';

declare global {
  var __TEMPORAL_SERVER__: LocalServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dir = path.dirname(SHARED_ENV_FILE);
  mkdirSync(dir, { recursive: true });
  const [server, bundle, encodedFailuresBundle] = await Promise.all([
    startLocalServer({
      uiPort: false,
      // One partition per task queue: priority order is kept within a partition, so with the default
      // four the priority test could only show "roughly" high first.
      dynamicConfig: { 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 },
    }),
    bundleWorkflows(),
    bundleWorkflows({ encodeFailures: true }),
  ]);
  globalThis.__TEMPORAL_SERVER__ = server;
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  const encodedFailuresBundlePath = path.join(dir, 'workflow-bundle-encoded-failures.js');
  writeFileSync(encodedFailuresBundlePath, encodedFailuresBundle.code);
  const shared: SharedTestEnv = {
    address: server.address,
    namespace: server.namespace,
    bundlePath,
    encodedFailuresBundlePath,
  };
  writeFileSync(SHARED_ENV_FILE, JSON.stringify(shared));
  process.stdout.write(
    '\nTest workers allow egress to loopback (pipelineHarness TEST_EGRESS): tests call local servers.\n',
  );
}
