/**
 * Where claim-checked payloads live: a tiny key → bytes interface any object store can back, and
 * a local-directory driver for development and single-host deployments.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Storage for claim-checked payloads. Keys are content hashes (64 hex digits), so a value is
 * never overwritten with different bytes: `put` of a key that exists may do nothing.
 * Implement it over S3, GCS, Azure Blob or a database to share payloads between hosts; every
 * client, worker and codec server of a namespace must reach the same storage.
 */
export interface PayloadStorage {
  /** Stores `data` under `key`. Must be durable when the promise resolves. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** The bytes stored under `key`. Rejects when there are none. */
  get(key: string): Promise<Uint8Array>;
}

const KEY = /^[0-9a-f]{64}$/;

/**
 * Keeps each payload in a file `<directory>/<first 2 hex digits>/<key>`. Writes go to a temporary
 * file renamed into place, so a reader never sees half a payload; an existing key is not written
 * again (its content is the same, by construction).
 * @example new LocalDirectoryStorage('/var/lib/pipelines/payloads')
 */
export class LocalDirectoryStorage implements PayloadStorage {
  constructor(readonly directory: string) {}

  /** The file that holds `key`. */
  pathOf(key: string): string {
    if (!KEY.test(key)) throw new RangeError(`Not a payload key: ${JSON.stringify(key)}`);
    return path.join(this.directory, key.slice(0, 2), key);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const file = this.pathOf(key);
    if (await exists(file)) return;
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, data);
    await rename(temp, file);
  }

  async get(key: string): Promise<Uint8Array> {
    return readFile(this.pathOf(key));
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
