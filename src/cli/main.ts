#!/usr/bin/env node
/**
 * `tpipe`: the command line for temporal-pipelines. Connection settings come from the flags or
 * the same environment as the worker (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE);
 * `--json` prints machine-readable output. Exit codes: 0 success, 1 failure, 2 a usage mistake;
 * `run --wait` also 3 cancelled, 4 terminated, 5 timed out.
 */
import { existsSync, statSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { connect, type PipelinesClient } from '../client';
import { NotFoundError, PipelineError, PipelineValidationError } from '../client';
import { runsListUrl } from '../client';
import { actionsByName, type ActionSpec } from '../model';
import { compile } from '../model';
import { startLocalServer } from '../dev';
import { newPipelineOrHint, savedPipelineOrHint } from './hints';
import type * as WorkerModule from '../worker';
import { PipelineFileError, readPipelineFile, withPipelineFile } from './documents';
import { toMermaid } from './graph';
import { colours, paintStatus, printJson, printTable } from './output';
import { resolvePipeline, runCommand } from './commands/run';
import { addScheduleCommands } from './commands/schedules';
import { jsonOrText, parseAssignments, UsageError } from './values';

interface GlobalOptions {
  address?: string;
  namespace?: string;
  taskQueue?: string;
  json?: boolean;
  action?: string[];
  actionsModule?: string;
  uiUrl?: string;
}

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

  program
    .command('validate <file>')
    .description("check a pipeline file (JSON or YAML); prints the compiler's issues with their positions")
    .action(async (file: string) => {
      const g = globals();
      const parsed = readPipelineFile(file);
      const syntax = parsed.syntaxErrors.map((e) => ({ ...e, code: 'syntax', message: e.message, path: [] }));
      const result =
        syntax.length === 0 ? compile(parsed.document, { actions: await actionSpecs(g) }) : undefined;
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

  program
    .command('graph <pipeline>')
    .description(
      'print a Mermaid diagram of a saved pipeline or a file; with --execution, coloured by step status',
    )
    .option('--execution <id>', 'colour the steps by the status they have in this execution')
    .option('--version <n>', 'a saved version (default: deployed, else latest)')
    .action(async (target: string, options: { execution?: string; version?: string }) => {
      const g = globals();
      const actions = await actionSpecs(g);
      const needsServer = options.execution !== undefined || !isFile(target);
      const c = needsServer ? await connected() : undefined;
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
      const g = globals();
      process.exitCode = await runCommand(await connected(), target, {
        ...options,
        json: g.json,
        uiUrl: g.uiUrl ?? defaultUiUrl(g.address),
        actions: await actionSpecs(g),
      });
    });

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
          (await connected()).pipelines.create({ name, definition, description: options.description }),
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
        await connected()
      ).pipelines.list({
        nameContains: options.nameContains,
        limit: optionalInt(options.limit, '--limit'),
      });
      if (globals().json) return printJson(list);
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
      const c = await connected();
      const info = await savedPipelineOrHint(c.pipelines.get(name));
      const version =
        options.version !== undefined
          ? await c.pipelines.version(name, optionalInt(options.version, '--version'))
          : undefined;
      if (globals().json)
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
      const c = await connected();
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
      await savedPipelineOrHint((await connected()).pipelines.delete(name));
      report({ deleted: name }, `deleted ${name}`);
    });

  const executions = program.command('executions').description('runs: list, inspect, follow, stop, retry');
  executions
    .command('list')
    .option('--pipeline <name>')
    .addOption(
      new Option('--status <status...>').choices([
        'pending',
        'running',
        'completed',
        'failed',
        'cancelled',
        'terminated',
        'timed_out',
      ]),
    )
    .option('--tag <tag>', 'runs carrying this tag (repeat: all of them)', collect, [])
    .option('--schedule <id>', 'runs this schedule started')
    .option('--since <when>', "a duration back from now ('24h') or an ISO time")
    .option('--limit <n>', 'at most this many', '20')
    .action(
      async (options: {
        pipeline?: string;
        status?: string[];
        tag?: string[];
        schedule?: string;
        since?: string;
        limit: string;
      }) => {
        const page = await (
          await connected()
        ).executions.list({
          pipelineId: options.pipeline,
          status: options.status as never,
          tags: options.tag,
          scheduleId: options.schedule,
          createdAfter: options.since,
          limit: optionalInt(options.limit, '--limit'),
        });
        if (globals().json) return printJson(page);
        const rows = page.executions.map((e) => [
          e.id,
          e.pipelineId,
          paintStatus(e.status),
          e.createdAt,
          e.durationSeconds !== undefined ? `${e.durationSeconds} s` : '',
        ]);
        printTable(['ID', 'PIPELINE', 'STATUS', 'CREATED', 'DURATION'], rows);
      },
    );
  executions.command('get <id>').action(async (id: string) => {
    const e = await (await connected()).executions.get(id);
    if (globals().json) return printJson(e);
    process.stdout.write(
      `${colours.bold(e.id)}  ${e.pipelineId} ${e.pipelineVersion ?? ''}  ${paintStatus(e.status)}  ${e.progress}%\n`,
    );
    if (e.error) process.stdout.write(`${colours.red(e.error.message)}\n`);
    const rows = Object.entries(e.steps).map(([stepId, s]) => [
      stepId,
      s.kind,
      paintStatus(s.status),
      String(s.attempts),
      s.durationSeconds !== undefined ? `${s.durationSeconds} s` : '',
      s.error?.message ??
        s.skipReason ??
        (s.waitingFor
          ? `waiting for event '${s.waitingFor.event}'${s.waitingFor.timeoutAt ? ` until ${s.waitingFor.timeoutAt}` : ''}`
          : ''),
    ]);
    printTable(['STEP', 'KIND', 'STATUS', 'ATTEMPTS', 'DURATION', 'NOTE'], rows);
    for (const [stepId, s] of Object.entries(e.steps)) {
      if (s.waitingFor?.prompt !== undefined)
        process.stdout.write(`${stepId} asks: ${s.waitingFor.prompt}\n`);
    }
    if (e.outputs !== undefined) process.stdout.write(`outputs: ${JSON.stringify(e.outputs, null, 2)}\n`);
  });
  executions
    .command('logs <id>')
    .option('-f, --follow', 'keep printing new records until the run ends')
    .addOption(new Option('--level <level>').choices(['debug', 'info', 'warn', 'error']))
    .option('--step <id>', "only this step's records")
    .action(
      async (
        id: string,
        options: { follow?: boolean; level?: 'debug' | 'info' | 'warn' | 'error'; step?: string },
      ) => {
        const c = await connected();
        const filter = { executionId: id, level: options.level, stepId: options.step };
        const print = (r: { seq: number; at: string; level: string; stepId?: string; message: string }) =>
          globals().json
            ? process.stdout.write(`${JSON.stringify(r)}\n`)
            : process.stdout.write(
                `${colours.dim(r.at)} ${r.level.padEnd(5)} ${r.stepId ? `${r.stepId}: ` : ''}${r.message}\n`,
              );
        if (options.follow) for await (const r of c.executions.logs({ ...filter, follow: true })) print(r);
        else for (const r of await c.executions.logs(filter)) print(r);
      },
    );
  executions
    .command('cancel <id>')
    .description('ask the run to stop: steps in flight are cancelled, the run ends as cancelled')
    .action(async (id: string) => {
      await (await connected()).executions.cancel(id);
      report({ cancelled: id }, `cancellation requested for ${id}`);
    });
  executions
    .command('signal <id>')
    .description(
      "send an event to the run's waiting wait_for_event step; the run checks the payload against the step's schema",
    )
    .requiredOption('--node <step>', 'the wait_for_event step id')
    .requiredOption('--payload <json>', 'the payload as JSON (text that is not JSON is sent as a string)')
    .option('--by <who>', 'who sends it (recorded as the step output "by")')
    .action(async (id: string, options: { node: string; payload: string; by?: string }) => {
      const accepted = await (
        await connected()
      ).executions.signal(id, {
        node: options.node,
        payload: jsonOrText(options.payload),
        ...(options.by !== undefined && { by: options.by }),
      });
      report(accepted, `${id}: step ${accepted.node} accepted event '${accepted.event}'`);
    });
  executions
    .command('terminate <id>')
    .description('stop the run at once (no cleanup in the run)')
    .option('--reason <text>')
    .action(async (id: string, options: { reason?: string }) => {
      await (await connected()).executions.terminate(id, options.reason);
      report({ terminated: id }, `terminated ${id}`);
    });
  executions
    .command('retry <id>')
    .description('run again with the same version and inputs')
    .option('--from-failed-step', 'reuse the outputs of the steps that completed')
    .option('-p, --param <name=value>', 'change a param (JSON value, or text); repeat for more', collect, [])
    .option('--wait', 'wait for the new run to end')
    .action(async (id: string, options: { fromFailedStep?: boolean; param?: string[]; wait?: boolean }) => {
      const params = options.param ? parseAssignments(options.param, '--param', () => undefined) : undefined;
      const e = await (
        await connected()
      ).executions.retry(id, {
        fromFailedStep: options.fromFailedStep,
        params,
        wait: options.wait,
      });
      report(e, `retry ${e.id}: ${paintStatus(e.status)}`);
      if (options.wait && e.status !== 'completed') process.exitCode = 1;
    });

  addScheduleCommands(program, {
    connected,
    json: () => globals().json === true,
    actions: () => actionSpecs(globals()),
  });

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

  return program;
}

/** Commander's way to take a repeated option as a list. */
const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The worker module, loaded only by the commands that need it (it loads Temporal's native worker). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy by design
const workerModule = () => require('../worker') as typeof WorkerModule;

const isFile = (target: string) => existsSync(target) && statSync(target).isFile();

function compileOrIssues(document: unknown, actions: Record<string, ActionSpec> | undefined) {
  const result = compile(document, { actions });
  if (!result.ok) throw new PipelineValidationError(result.issues);
  return result.plan;
}

/** The compiler's advice for code (`compile(doc, { actions })`) says what to do on the command line instead. */
function forTheCli(message: string): string {
  const api = message.indexOf('A worker action must be declared to the compiler');
  if (api < 0) return message;
  return `${message.slice(0, api)}Declare your own actions with --action <name> or --actions-module <path>.`;
}

function optionalInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`${flag} takes a whole number, got "${value}"`);
  return n;
}

/** The local dev server's Web UI, when the address is the local default. */
function defaultUiUrl(address: string | undefined): string | undefined {
  return !address || /^(localhost|127\.0\.0\.1):7233$/.test(address) ? 'http://localhost:8233' : undefined;
}

/** Users' actions from `--actions-module` (with their param schemas) and `--action` (names only). */
async function actionSpecs(g: GlobalOptions): Promise<Record<string, ActionSpec> | undefined> {
  const specs: Record<string, ActionSpec> = {};
  if (g.actionsModule) {
    Object.assign(specs, actionsByName(await workerModule().loadActions(g.actionsModule)));
  }
  for (const name of g.action ?? []) specs[name] ??= {};
  return Object.keys(specs).length > 0 ? specs : undefined;
}

async function knownActions(g: GlobalOptions) {
  // connect() takes action definitions or plain names.
  const loaded = g.actionsModule ? await workerModule().loadActions(g.actionsModule) : [];
  const all = [...loaded, ...(g.action ?? [])];
  return all.length > 0 ? all : undefined;
}

function report(value: unknown, text: string): void {
  if (process.argv.includes('--json')) printJson(value);
  else process.stdout.write(`${text}\n`);
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

function printError(err: unknown): number {
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

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
