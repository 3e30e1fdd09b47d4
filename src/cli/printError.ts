/** How a command's error reaches people: a message on stderr and an exit code (1 failure, 2 usage mistake). */
import { CommanderError } from 'commander';
import { NotFoundError, PipelineError, PipelineValidationError } from '../client';
import { forTheCli } from './commandContext';
import { PipelineFileError } from './documents';
import { colours } from './output';
import { UsageError } from './values';

/** Prints `err` for people; returns the exit code it means. */
export function printError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof UsageError) {
    process.stderr.write(`${colours.red('error')}: ${err.message}\n`);
    return 2;
  }
  if (err instanceof PipelineFileError) {
    process.stderr.write(`${colours.red('invalid pipeline')}:\n`);
    for (const i of err.issues) {
      process.stderr.write(`${i.file}:${i.line}:${i.column}  ${i.code}  ${forTheCli(i.message)}\n`);
    }
    process.stderr.write(`${err.issues.length} issue(s)\n`);
    return 1;
  }
  if (err instanceof PipelineValidationError) {
    // "Invalid pipeline definition (2 issues)", "Invalid inputs (1 issue)", …
    const headline = err.message.split('\n')[0]!.replace(/^Invalid/, 'invalid');
    process.stderr.write(`${colours.red(headline)}:\n`);
    for (const issue of err.issues) {
      process.stderr.write(
        `  ${issue.path.join('.') || '(document)'}  ${issue.code}  ${forTheCli(issue.message)}\n`,
      );
    }
    return 1;
  }
  if (err instanceof NotFoundError || err instanceof PipelineError) {
    process.stderr.write(`${colours.red('error')}: ${err.message}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${colours.red('error')}: ${message}\n`);
  return 1;
}
