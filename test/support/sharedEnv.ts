import path from 'node:path';

/** Written by globalSetup, read by every integration test file. */
export const SHARED_ENV_FILE = path.join(__dirname, '..', '..', '.tmp', 'jest-shared-env.json');

export interface SharedTestEnv {
  /** The one local Temporal server of this test run. */
  address: string;
  namespace: string;
  /** The workflow bundle built once for this test run. */
  bundlePath: string;
  /** The same, built to encode failure text (`bundleWorkflows({ encodeFailures: true })`), for encrypting workers. */
  encodedFailuresBundlePath: string;
}
