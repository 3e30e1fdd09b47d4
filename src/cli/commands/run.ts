/**
 * `tpipe run`: starts a run of a saved pipeline or a file, and with `--wait` / `--stream` follows
 * it to the end: on a terminal a live view redrawn in place (liveView.ts), otherwise a line per
 * event; the llm tokens with `--stream`; the exit code says how it ended.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { PipelinesClient } from '../../client';
import type { RunHandle } from '../../client';
import type { StartRunOptions } from '../../client';
import { runUrl } from '../../client';
import { compileOrThrow, type CompileOptions } from '../../model';
import type { ParamType } from '../../model';
import { isInputNode, type ExecutionPlan } from '../../model';
import { withPipelineFile } from '../documents';
import { fileOrSavedOrHint } from '../hints';
import { LiveView } from '../liveView';
import { colours, paintStatus, printJson } from '../output';
import { parseAssignments } from '../values';
import { collect, type CommandContext } from '../commandContext';

/** Exit codes of a followed run (2 is a usage error). */
export const EXIT_CODES = { completed: 0, failed: 1, cancelled: 3, terminated: 4, timed_out: 5 } as const;

export interface RunCommandOptions {
  input?: string[];
  param?: string[];
  tag?: string[];
  fairnessKey?: string;
  fairnessWeight?: string;
  concurrencyKey?: string;
  maxConcurrentRuns?: string;
  onLimit?: string;
  maxTokens?: string;
  maxCost?: string;
  version?: string;
  wait?: boolean;
  stream?: boolean;
  json?: boolean;
  uiUrl?: string;
  actions?: CompileOptions['actions'];
}

/** A numeric option as given (the run's own checks say what is wrong with it), or undefined. */
const numberOption = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : Number(value);

/** A file path or a saved pipeline's name: its document and compiled plan. */
export async function resolvePipeline(
  client: PipelinesClient,
  target: string,
  options: { version?: number; actions?: CompileOptions['actions'] },
): Promise<{ document: unknown; plan: ExecutionPlan; saved?: { name: string; version: number } }> {
  if (existsSync(target)) {
    return withPipelineFile(target, (document) => ({
      document,
      plan: compileOrThrow(document, { actions: options.actions }),
    }));
  }
  const saved = await fileOrSavedOrHint(
    client.pipelines.version(target, options.version),
    target,
    client.namespace,
  );
  return {
    document: saved.definition,
    plan: compileOrThrow(saved.definition, { actions: options.actions }),
    saved: { name: target, version: saved.version },
  };
}

export async function runCommand(
  client: PipelinesClient,
  target: string,
  options: RunCommandOptions,
): Promise<number> {
  const version = options.version !== undefined ? Number(options.version) : undefined;
  const { document, plan, saved } = await resolvePipeline(client, target, {
    version,
    actions: options.actions,
  });
  const inputTypes = new Map(
    plan.nodes.filter(isInputNode).map((n) => [n.inputName ?? n.id, n.params.type as ParamType | undefined]),
  );
  const startOptions = {
    inputs: parseAssignments(options.input ?? [], '--input', (name) => inputTypes.get(name)),
    params: parseAssignments(options.param ?? [], '--param', (name) => plan.params[name]?.type),
    tags: options.tag ?? [],
    fairnessKey: options.fairnessKey,
    fairnessWeight: options.fairnessWeight !== undefined ? Number(options.fairnessWeight) : undefined,
    concurrencyKey: options.concurrencyKey,
    maxConcurrentRuns: numberOption(options.maxConcurrentRuns),
    onLimit: options.onLimit as StartRunOptions['onLimit'],
    ...((options.maxTokens !== undefined || options.maxCost !== undefined) && {
      budget: { maxTokens: numberOption(options.maxTokens), maxCost: numberOption(options.maxCost) },
    }),
  };
  const run = saved
    ? await client.startSaved(saved.name, { ...startOptions, version: saved.version })
    : await client.start(document, startOptions);
  const link = options.uiUrl ? runUrl(options.uiUrl, client.namespace, run.taskId) : undefined;
  if (!options.wait && !options.stream) {
    if (options.json) printJson({ taskId: run.taskId, runId: run.runId, traceId: run.traceId, link });
    else {
      process.stdout.write(`Started ${colours.bold(run.taskId)}${link ? `\n${link}` : ''}\n`);
      process.stdout.write(`Follow it: tpipe executions logs -f ${run.taskId}\n`);
    }
    return 0;
  }
  if (!options.json) {
    process.stdout.write(
      `Started ${colours.bold(run.taskId)} (${plan.nodes.length} steps)${link ? `\n${link}` : ''}\n`,
    );
  }
  return follow(run, plan, options);
}

/** Follows a run to its end; returns the exit code for its final status. */
async function follow(run: RunHandle, plan: ExecutionPlan, options: RunCommandOptions): Promise<number> {
  const live = !options.json && Boolean(process.stdout.isTTY) ? new LiveView(plan) : undefined;
  let streaming = false;
  // Off a terminal (or with --json for scripts): one line per event.
  const say = (line: string) => {
    if (options.json) return;
    if (streaming) process.stdout.write('\n');
    streaming = false;
    process.stdout.write(`${line}\n`);
  };
  let final: { status: keyof typeof EXIT_CODES; outputs?: unknown; error?: { message: string } } = {
    status: 'failed',
  };
  try {
    for await (const chunk of run.stream()) {
      if (chunk.type === 'node') {
        if (live) live.step(chunk.nodeId, chunk.status, chunk.at, chunk.error?.message);
        else {
          const detail = chunk.error?.message ? ` ${colours.red(chunk.error.message)}` : '';
          say(`  ${paintStatus(chunk.status).padEnd(20)} ${chunk.nodeId}${detail}`);
        }
      } else if (chunk.type === 'stream' && options.stream && !options.json) {
        if (live) live.text(chunk.nodeId, chunk.outputValue);
        else {
          if (!streaming) process.stdout.write(`  ${colours.dim(`${chunk.nodeId} ›`)} `);
          streaming = true;
          process.stdout.write(chunk.outputValue);
        }
      } else if (chunk.type === 'retry') {
        if (live) live.retry(chunk.nodeId, chunk.attempt);
        else say(`  ${colours.yellow('retry')} ${chunk.nodeId} attempt ${chunk.attempt}`);
      } else if (chunk.type === 'result') {
        final = { status: chunk.status, outputs: chunk.outputs, error: chunk.error };
      }
    }
  } finally {
    live?.stop();
  }
  if (streaming) process.stdout.write('\n');
  if (final.status === 'completed') {
    // The stream cuts big outputs; the result has them whole.
    final.outputs = (await run.result()).outputs;
  }
  if (options.json) printJson({ taskId: run.taskId, ...final });
  else {
    process.stdout.write(`${paintStatus(final.status)}${final.error ? `: ${final.error.message}` : ''}\n`);
    if (final.outputs !== undefined) process.stdout.write(`${JSON.stringify(final.outputs, null, 2)}\n`);
  }
  return EXIT_CODES[final.status] ?? 1;
}

/** The local dev server's Web UI, when the address is the local default. */
function defaultUiUrl(address: string | undefined): string | undefined {
  return !address || /^(localhost|127\.0\.0\.1):7233$/.test(address) ? 'http://localhost:8233' : undefined;
}

/** Adds `tpipe run <pipeline>` to the program. */
export function addRunCommand(program: Command, ctx: CommandContext): void {
  program
    .command('run <pipeline>')
    .description(
      'start a run of a saved pipeline (by name) or a file; --wait or --stream follow it to the end',
    )
    .option('-i, --input <name=value>', 'an input (JSON value, or text); repeat for more', collect, [])
    .option('-p, --param <name=value>', 'a param (JSON value, or text); repeat for more', collect, [])
    .option('-t, --tag <tag>', 'a tag to find the run by; repeat for more', collect, [])
    .option('--fairness-key <key>', "the run's fairness key, e.g. a tenant id (tags it fairness:<key>)")
    .option('--fairness-weight <n>', "its key's share of dispatches relative to other keys (default 1)")
    .option('--concurrency-key <key>', 'runs with this key share a concurrency limit (e.g. a tenant id)')
    .option('--max-concurrent-runs <n>', "at most this many runs of the key at once (over the definition's)")
    .option('--on-limit <queue|reject>', 'at the limit: wait as pending (queue) or refuse the start (reject)')
    .option('--max-tokens <n>', "the run's token budget over its llm steps")
    .option('--max-cost <usd>', "the run's cost budget in US dollars (needs worker prices)")
    .option('--version <n>', 'a saved version (default: deployed, else latest)')
    .option('--wait', 'show the steps as they change and exit with the final status')
    .option('--stream', 'like --wait, and print streamed llm tokens as they arrive')
    .action(async (target: string, options: Record<string, unknown>) => {
      const g = ctx.globals();
      process.exitCode = await runCommand(await ctx.connected(), target, {
        ...options,
        json: g.json,
        uiUrl: g.uiUrl ?? defaultUiUrl(g.address),
        actions: await ctx.actions(),
      });
    });
}
