/** `tpipe pipelines …`: saved, versioned pipelines (create, list, get, update, delete). */
import type { Command } from 'commander';
import { optionalInt, report, type CommandContext } from '../commandContext';
import { withPipelineFile } from '../documents';
import { newPipelineOrHint, savedPipelineOrHint } from '../hints';
import { colours, printJson, printTable } from '../output';
import { UsageError } from '../values';

export function addPipelineCommands(program: Command, ctx: CommandContext): void {
  const pipelines = program.command('pipelines').description('saved, versioned pipelines');
  pipelines
    .command('create <file>')
    .description('save a new pipeline from a file (its name is the document\'s "name", or --name)')
    .option('--name <name>')
    .option('--description <text>')
    .action(async (file: string, options: { name?: string; description?: string }) => {
      const info = await withPipelineFile(file, async (definition) => {
        const name = options.name ?? (definition as { name?: string } | undefined)?.name;
        if (!name) throw new UsageError(`${file} has no "name"; pass --name`);
        return newPipelineOrHint(
          (await ctx.connected()).pipelines.create({ name, definition, description: options.description }),
          name,
          file,
        );
      });
      report(info, `created ${info.name} version ${info.currentVersion}`);
    });
  pipelines
    .command('list')
    .option('--name-contains <text>')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (options: { nameContains?: string; limit: string }) => {
      const list = await (
        await ctx.connected()
      ).pipelines.list({
        nameContains: options.nameContains,
        limit: optionalInt(options.limit, '--limit'),
      });
      if (ctx.json()) return printJson(list);
      const rows = list.map((p) => [
        p.name,
        String(p.currentVersion),
        String(p.deployedVersion ?? '-'),
        p.updatedAt,
      ]);
      printTable(['NAME', 'VERSION', 'DEPLOYED', 'UPDATED'], rows);
    });
  pipelines
    .command('get <name>')
    .option('--version <n>', "print that version's definition")
    .action(async (name: string, options: { version?: string }) => {
      const c = await ctx.connected();
      const info = await savedPipelineOrHint(c.pipelines.get(name));
      const version =
        options.version !== undefined
          ? await c.pipelines.version(name, optionalInt(options.version, '--version'))
          : undefined;
      if (ctx.json())
        return printJson(
          version ? { ...info, definition: version.definition, version: version.version } : info,
        );
      process.stdout.write(
        `${colours.bold(info.name)}  version ${info.currentVersion}, deployed ${info.deployedVersion ?? '-'}, ${info.stepCount} steps\n`,
      );
      if (info.description) process.stdout.write(`${info.description}\n`);
      process.stdout.write(`${JSON.stringify(version?.definition ?? info.definition, null, 2)}\n`);
    });
  pipelines
    .command('update <name> <file>')
    .description('save a new version from a file (deployed unless --no-deploy)')
    .option('--no-deploy', 'save without deploying')
    .action(async (name: string, file: string, options: { deploy: boolean }) => {
      const c = await ctx.connected();
      const info = await withPipelineFile(file, (definition) =>
        savedPipelineOrHint(c.pipelines.update({ pipelineId: name, definition, deploy: options.deploy })),
      );
      report(
        info,
        `updated ${info.name}: version ${info.currentVersion}, deployed ${info.deployedVersion ?? '-'}`,
      );
    });
  pipelines
    .command('delete <name>')
    .description('delete a pipeline (its executions stay readable)')
    .action(async (name: string) => {
      await savedPipelineOrHint((await ctx.connected()).pipelines.delete(name));
      report({ deleted: name }, `deleted ${name}`);
    });
}
