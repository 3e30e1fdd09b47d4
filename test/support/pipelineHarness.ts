/**
 * One worker per integration test file, against the run's shared server and prebuilt bundle,
 * on a task queue of its own so test files never pick up each other's work.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { ActivitiesConfig } from '../../src/activities';
import { createDataConverter } from '../../src/codec';
import { startPipelineRun, type PipelineRunHandle, type StartRunOptions } from '../../src/client/runs/startRun';
import { createPipelineWorker, type PipelineWorkerOptions } from '../../src/worker';
import { queryRunSnapshot } from '../../src/client/runs/runSnapshot';
import type { RunSnapshot } from '../../src/protocol/messages/runMessages';
import { SHARED_ENV_FILE, type SharedTestEnv } from './sharedEnv';

export interface PipelineHarness {
  client: Client;
  taskQueue: string;
  start(document: unknown, options?: StartRunOptions): Promise<PipelineRunHandle>;
  /** Starts a run, waits for it to close, and returns its final snapshot and outcome. */
  run(document: unknown, options?: StartRunOptions): Promise<RunOutcome>;
  close(): Promise<void>;
}

export interface RunOutcome {
  handle: PipelineRunHandle;
  snapshot: RunSnapshot;
  outputs?: Record<string, unknown>;
  /** The workflow failure, when the run did not complete. */
  failure?: WorkflowFailedError;
}

/**
 * Tests call servers they start on 127.0.0.1: the harness's workers allow loopback explicitly
 * (globalSetup prints that). A test that passes its own `egress` gets exactly that instead.
 */
export const TEST_EGRESS = { allow: ['loopback'] };

export function sharedTestEnv(): SharedTestEnv {
  return JSON.parse(readFileSync(SHARED_ENV_FILE, 'utf8')) as SharedTestEnv;
}

/**
 * Workers log at TEST_LOG_LEVEL (default ERROR): expected failures in tests would otherwise print
 * pages of WARN. Once per module registry (each test file has its own).
 */
function quietWorkerLogs(): void {
  const level = (process.env.TEST_LOG_LEVEL ?? 'ERROR') as 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Already installed by an earlier harness in this file.
  }
}

export async function startPipelineHarness(
  activities: ActivitiesConfig = {},
  workerOptions: Pick<
    PipelineWorkerOptions,
    'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'payloads'
  > = {},
): Promise<PipelineHarness> {
  quietWorkerLogs();
  const env = sharedTestEnv();
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const nativeConnection = await NativeConnection.connect({ address: env.address });
  const worker: Worker = await createPipelineWorker({
    connection: nativeConnection,
    namespace: env.namespace,
    taskQueue,
    activities: { ...activities, egress: activities.egress ?? TEST_EGRESS },
    // An encrypting worker needs workflow code that encodes failure text too.
    workflowBundle: {
      codePath: workerOptions.payloads?.encryption ? env.encodedFailuresBundlePath : env.bundlePath,
    },
    shutdownGraceTimeMs: 1000,
    ...workerOptions,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: env.address });
  // The client encodes payloads as the worker does (encryption, claim check) when it has any.
  const dataConverter = createDataConverter(workerOptions.payloads);
  const client = new Client({
    connection,
    namespace: env.namespace,
    ...(dataConverter && { dataConverter }),
  });

  const start = (document: unknown, options: StartRunOptions = {}) =>
    startPipelineRun(client, document, { taskQueue, ...options });

  return {
    client,
    taskQueue,
    start,
    async run(document, options) {
      const handle = await start(document, options);
      let outputs: Record<string, unknown> | undefined;
      let failure: WorkflowFailedError | undefined;
      try {
        outputs = (await handle.result()).outputs;
      } catch (err) {
        if (!(err instanceof WorkflowFailedError)) throw err;
        failure = err;
      }
      const snapshot = await queryRunSnapshot(handle);
      return { handle, snapshot, outputs, failure };
    },
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
}
