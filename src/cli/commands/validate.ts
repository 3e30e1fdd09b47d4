/** `tpipe validate <file>`: the compiler's issues and warnings of a pipeline file, with their positions. */
import type { Command } from 'commander';
import { compile } from '../../model';
import { forTheCli, type CommandContext } from '../commandContext';
import { readPipelineFile } from '../documents';
import { colours, printJson } from '../output';

export function addValidateCommand(program: Command, ctx: CommandContext): void {
  program
    .command('validate <file>')
    .description("check a pipeline file (JSON or YAML); prints the compiler's issues with their positions")
    .action(async (file: string) => {
      const g = ctx.globals();
      const parsed = readPipelineFile(file);
      const syntax = parsed.syntaxErrors.map((e) => ({ ...e, code: 'syntax', message: e.message, path: [] }));
      const result =
        syntax.length === 0 ? compile(parsed.document, { actions: await ctx.actions() }) : undefined;
      const issues = [
        ...syntax,
        ...(result && !result.ok ? result.issues : []).map((i) => ({
          ...parsed.locate(i.path),
          ...i,
          message: forTheCli(i.message),
        })),
      ];
      const warnings = (result?.warnings ?? []).map((i) => ({ ...parsed.locate(i.path), ...i }));
      // The secrets the workers must hold for this pipeline (names only).
      const secrets = result?.ok ? (result.plan.secrets ?? []) : [];
      if (g.json) printJson({ file, valid: issues.length === 0, issues, warnings, secrets });
      else {
        for (const i of issues)
          process.stdout.write(`${file}:${i.line}:${i.column}  ${colours.red(i.code)}  ${i.message}\n`);
        for (const w of warnings)
          process.stdout.write(`${file}:${w.line}:${w.column}  ${colours.yellow(w.code)}  ${w.message}\n`);
        if (issues.length === 0 && result?.ok) {
          process.stdout.write(
            `${colours.green('valid')}: ${result.plan.name}, ${result.plan.nodes.length} steps\n`,
          );
          if (secrets.length > 0) process.stdout.write(`secrets needed: ${secrets.join(', ')}\n`);
        } else process.stdout.write(`${issues.length} issue(s)\n`);
      }
      process.exitCode = issues.length === 0 ? 0 : 1;
    });
}
