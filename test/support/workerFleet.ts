/**
 * Several real worker processes (`src/worker.ts`) and several clients on one task queue of the
 * shared server, plus a raw Temporal client: the setup of tests whose limits must hold across
 * processes.
 */
import { Client, Connection } from '@temporalio/client';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { startWorkerProcess, type WorkerProcess } from '../chaos/support/workerProcess';
import { sharedTestEnv } from './pipelineHarness';

export interface WorkerFleet {
  workers: WorkerProcess[];
  clients: PipelinesClient[];
  /** A plain Temporal client, for what the engine's client does not do (queries, raw terminate). */
  temporal: Client;
  close(): Promise<void>;
}

export async function startWorkerFleet(options: {
  taskQueue: string;
  workers: number;
  clients: number;
  /** Extra worker environment (`PIPELINE_PROVIDERS`, …). */
  env?: Record<string, string>;
}): Promise<WorkerFleet> {
  const env = sharedTestEnv();
  const workers = await Promise.all(
    Array.from({ length: options.workers }, () =>
      startWorkerProcess({
        address: env.address,
        taskQueue: options.taskQueue,
        bundlePath: env.bundlePath,
        env: { TEMPORAL_NAMESPACE: env.namespace, ...options.env },
      }),
    ),
  );
  const clients = await Promise.all(
    Array.from({ length: options.clients }, () =>
      connect({ address: env.address, namespace: env.namespace, taskQueue: options.taskQueue }),
    ),
  );
  const temporal = new Client({
    connection: await Connection.connect({ address: env.address }),
    namespace: env.namespace,
  });
  return {
    workers,
    clients,
    temporal,
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(clients.map((c) => c.close()));
      await temporal.connection.close();
    },
  };
}
