/** `tpipe worker` and `tpipe dev`: a worker from the environment, or a local server with its Web UI and a worker. */
import type { Command } from 'commander';
import { runsListUrl } from '../../client';
import { startLocalServer } from '../../dev';
import { optionalInt } from '../commandContext';
import { workerModule } from '../workerModule';

export function addWorkerCommands(program: Command): void {
  program
    .command('worker')
    .description('run a worker configured from the environment (docs/workers.md) until Ctrl-C')
    .action(async () => {
      await workerModule().runWorkerFromEnv();
    });

  program
    .command('dev')
    .description('start a local Temporal server with its Web UI and a worker, until Ctrl-C')
    .option('--port <n>', 'gRPC port', '7233')
    .option('--ui-port <n>', 'Web UI port', '8233')
    .option('--db <file>', 'keep the server state in this SQLite file')
    .action(async (options: { port: string; uiPort: string; db?: string }) => {
      const server = await startLocalServer({
        port: optionalInt(options.port, '--port'),
        uiPort: optionalInt(options.uiPort, '--ui-port'),
        dbFilename: options.db,
      });
      process.stdout.write(
        `Temporal dev server on ${server.address}. In another shell, to run pipelines on it:\n` +
          `  export TEMPORAL_ADDRESS=${server.address}\n` +
          `Web UI: ${server.uiUrl ? runsListUrl(server.uiUrl, server.namespace) : '(off)'}\n` +
          'Ctrl-C to stop (the worker, then the server).\n',
      );
      // Local development calls local services: loopback is allowed here, and only here, by default.
      const egressAllow = ['loopback', process.env.PIPELINE_EGRESS_ALLOW].filter(Boolean).join(',');
      process.stdout.write(`Egress: PIPELINE_EGRESS_ALLOW=${egressAllow} (tpipe dev allows loopback)\n`);
      try {
        await workerModule().runWorkerFromEnv({
          ...process.env,
          TEMPORAL_ADDRESS: server.address,
          TEMPORAL_NAMESPACE: server.namespace,
          PIPELINE_EGRESS_ALLOW: egressAllow,
        });
      } finally {
        await server.stop();
      }
    });
}
