/**
 * What every `tpipe` command gets from the program: the global flags, a client connected on first
 * use, the users' actions to compile with; and the small helpers the commands share.
 */
import type { PipelinesClient } from '../client';
import type { ActionSpec } from '../model';
import { printJson } from './output';
import { UsageError } from './values';

/** The program's global flags. */
export interface GlobalOptions {
  address?: string;
  namespace?: string;
  taskQueue?: string;
  json?: boolean;
  action?: string[];
  actionsModule?: string;
  uiUrl?: string;
}

export interface CommandContext {
  /** The global flags as parsed. */
  globals(): GlobalOptions;
  /** The client, connected on first use and closed after the command. */
  connected(): Promise<PipelinesClient>;
  /** `--json` was given. */
  json(): boolean;
  /** The users' actions (`--action`, `--actions-module`) the compiler must know. */
  actions(): Promise<Record<string, ActionSpec> | undefined>;
}

/** Commander's way to take a repeated option as a list. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A whole-number flag, or undefined when it is not given; anything else is a usage error. */
export function optionalInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`${flag} takes a whole number, got "${value}"`);
  return n;
}

/** Prints `value` as JSON with `--json`, else `text`. */
export function report(value: unknown, text: string): void {
  if (process.argv.includes('--json')) printJson(value);
  else process.stdout.write(`${text}\n`);
}

/** The compiler's advice for code (`compile(doc, { actions })`) says what to do on the command line instead. */
export function forTheCli(message: string): string {
  const api = message.indexOf('A worker action must be declared to the compiler');
  if (api < 0) return message;
  return `${message.slice(0, api)}Declare your own actions with --action <name> or --actions-module <path>.`;
}
