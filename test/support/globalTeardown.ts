import { rmSync } from 'node:fs';
import { SHARED_ENV_FILE } from './sharedEnv';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__TEMPORAL_SERVER__?.stop();
  rmSync(SHARED_ENV_FILE, { force: true });
}
