#!/usr/bin/env node
/**
 * `tpipe`: the command line for temporal-pipelines. Connection settings come from the flags or
 * the same environment as the worker (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE);
 * `--json` prints machine-readable output. Exit codes: 0 success, 1 failure, 2 a usage mistake;
 * `run --wait` also 3 cancelled, 4 terminated, 5 timed out.
 */
import { Command } from 'commander';
import { connect, type PipelinesClient } from '../client';
import { collect, type CommandContext, type GlobalOptions } from './commandContext';
import { printError } from './printError';
import { actionSpecs, knownActions } from './workerModule';
import { addValidateCommand } from './commands/validate';
import { addGraphCommand } from './commands/graph';
import { addRunCommand } from './commands/run';
import { addPipelineCommands } from './commands/pipelines';
import { addExecutionCommands } from './commands/executions';
import { addScheduleCommands } from './commands/schedules';
import { addWorkerCommands } from './commands/dev';

/** The program; `main()` runs it on `process.argv`. Exported for tests of the help text. */
export function buildProgram(): Command {
  const program = new Command('tpipe')
    .description('Durable AI pipelines on Temporal: validate, save, run and watch pipelines.')
    .option('--address <host:port>', 'Temporal frontend (env TEMPORAL_ADDRESS)', process.env.TEMPORAL_ADDRESS)
    .option(
      '--namespace <name>',
      'Temporal namespace (env TEMPORAL_NAMESPACE)',
      process.env.TEMPORAL_NAMESPACE,
    )
    .option(
      '--task-queue <name>',
      "the workers' task queue (env TEMPORAL_TASK_QUEUE)",
      process.env.TEMPORAL_TASK_QUEUE,
    )
    .option('--json', 'print JSON for scripts')
    .option(
      '--action <name>',
      "a user's action the workers register (repeat for more), so definitions using it validate",
      collect,
      [],
    )
    .option(
      '--actions-module <path>',
      'a module exporting defineAction(…) values (env PIPELINE_ACTIONS_MODULE)',
      process.env.PIPELINE_ACTIONS_MODULE,
    )
    .option(
      '--ui-url <url>',
      'Temporal Web UI base URL, for links (env TEMPORAL_UI_URL)',
      process.env.TEMPORAL_UI_URL,
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  let client: PipelinesClient | undefined;
  const connected = async (): Promise<PipelinesClient> => {
    const g = globals();
    client ??= await connect({
      address: g.address,
      namespace: g.namespace,
      taskQueue: g.taskQueue,
      actions: await knownActions(g),
    });
    return client;
  };
  program.hook('postAction', async () => {
    await client?.close();
    client = undefined;
  });

  const ctx: CommandContext = {
    globals,
    connected,
    json: () => globals().json === true,
    actions: () => actionSpecs(globals()),
  };
  addValidateCommand(program, ctx);
  addGraphCommand(program, ctx);
  addRunCommand(program, ctx);
  addPipelineCommands(program, ctx);
  addExecutionCommands(program, ctx);
  addScheduleCommands(program, ctx);
  addWorkerCommands(program);

  return program;
}

/** Runs the CLI; never throws: errors are printed for people and turned into exit codes. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return printError(err);
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
