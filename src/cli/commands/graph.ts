/** `tpipe graph <pipeline>`: a Mermaid diagram of a saved pipeline or a file, coloured by an execution's step statuses. */
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { PipelineValidationError } from '../../client';
import { compile } from '../../model';
import type { ActionSpec } from '../../model';
import { optionalInt, type CommandContext } from '../commandContext';
import { withPipelineFile } from '../documents';
import { toMermaid } from '../graph';
import { printJson } from '../output';
import { resolvePipeline } from './run';

const isFile = (target: string) => existsSync(target) && statSync(target).isFile();

function compileOrIssues(document: unknown, actions: Record<string, ActionSpec> | undefined) {
  const result = compile(document, { actions });
  if (!result.ok) throw new PipelineValidationError(result.issues);
  return result.plan;
}

export function addGraphCommand(program: Command, ctx: CommandContext): void {
  program
    .command('graph <pipeline>')
    .description(
      'print a Mermaid diagram of a saved pipeline or a file; with --execution, coloured by step status',
    )
    .option('--execution <id>', 'colour the steps by the status they have in this execution')
    .option('--version <n>', 'a saved version (default: deployed, else latest)')
    .action(async (target: string, options: { execution?: string; version?: string }) => {
      const g = ctx.globals();
      const actions = await ctx.actions();
      const needsServer = options.execution !== undefined || !isFile(target);
      const c = needsServer ? await ctx.connected() : undefined;
      const { plan } = c
        ? await resolvePipeline(c, target, { version: optionalInt(options.version, '--version'), actions })
        : { plan: await withPipelineFile(target, (document) => compileOrIssues(document, actions)) };
      let statuses: Record<string, string> | undefined;
      if (options.execution) {
        const execution = await c!.executions.get(options.execution);
        statuses = Object.fromEntries(Object.entries(execution.steps).map(([id, s]) => [id, s.status]));
      }
      const mermaid = toMermaid(plan, statuses);
      if (g.json) printJson({ mermaid });
      else process.stdout.write(mermaid);
    });
}
