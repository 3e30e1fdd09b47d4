/**
 * The real worker entrypoint (`src/worker.ts`, what `npm run worker` runs) as an OS child process,
 * so chaos tests can SIGKILL it like a crashed machine and start a fresh one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitUntil } from '../../support/eventually';

const WORKER_ENTRYPOINT = path.join(__dirname, '..', '..', '..', 'src', 'worker.ts');

export interface WorkerProcessOptions {
  address: string;
  taskQueue: string;
  /** A prebuilt workflow bundle, so a restart takes no bundling. */
  bundlePath: string;
  /** Extra environment (`WORKER_MAX_CONCURRENT_ACTIVITIES`, …). */
  env?: Record<string, string>;
  /** How long to wait for the "worker started" log line. @default 60000 */
  startTimeoutMs?: number;
}

export interface WorkerProcess {
  readonly pid: number;
  /** `exit code N` / `signal S` once the process ended, else undefined. */
  exitReason(): string | undefined;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  /** The last few KiB the process wrote (stdout and stderr), for failure messages. */
  outputTail(): string;
  /** SIGKILL: no shutdown, in-flight activities are simply abandoned. Resolves on exit. */
  crash(): Promise<void>;
  /** SIGTERM: graceful shutdown. Resolves on exit. */
  stop(): Promise<void>;
}

/**
 * Spawns `node --import tsx src/worker.ts` with the worker's environment and resolves once it
 * logged "worker started" (it polls its task queue from then on).
 * @throws when the process exits or stays silent before it started
 */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRYPOINT], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: options.address,
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      WORKFLOW_BUNDLE_PATH: options.bundlePath,
      WORKER_LOG_LEVEL: 'INFO',
      // Tests call servers they start on 127.0.0.1: loopback is allowed explicitly.
      PIPELINE_EGRESS_ALLOW: 'loopback',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let started = false;
  let exitReason: string | undefined;
  const remember = (chunk: string) => {
    tail = (tail + chunk).slice(-8000);
    if (!started && tail.includes('"message":"worker started"')) started = true;
  };
  child.stdout?.setEncoding('utf8').on('data', remember);
  child.stderr?.setEncoding('utf8').on('data', remember);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitReason = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('worker process did not spawn');
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (exitReason === undefined) child.kill(signal);
    await exited;
  };
  try {
    await waitUntil(
      () => started || exitReason !== undefined,
      options.startTimeoutMs ?? 60_000,
      'the worker process to start',
      20,
    );
  } catch (err) {
    await signalAndWait('SIGKILL');
    throw new Error(`${(err as Error).message}; output: ${tail}`);
  }
  if (!started) throw new Error(`worker process ended before it started (${exitReason}): ${tail}`);
  return {
    pid,
    exitReason: () => exitReason,
    exited,
    outputTail: () => tail,
    crash: () => signalAndWait('SIGKILL'),
    stop: () => signalAndWait('SIGTERM'),
  };
}
