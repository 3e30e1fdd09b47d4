/** `tpipe executions …`: runs: list, inspect, follow the logs, send events, stop, retry. */
import { Option, type Command } from 'commander';
import { collect, optionalInt, report, type CommandContext } from '../commandContext';
import { colours, paintStatus, printJson, printTable } from '../output';
import { jsonOrText, parseAssignments } from '../values';

export function addExecutionCommands(program: Command, ctx: CommandContext): void {
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
          await ctx.connected()
        ).executions.list({
          pipelineId: options.pipeline,
          status: options.status as never,
          tags: options.tag,
          scheduleId: options.schedule,
          createdAfter: options.since,
          limit: optionalInt(options.limit, '--limit'),
        });
        if (ctx.json()) return printJson(page);
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
    const e = await (await ctx.connected()).executions.get(id);
    if (ctx.json()) return printJson(e);
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
        const c = await ctx.connected();
        const filter = { executionId: id, level: options.level, stepId: options.step };
        const print = (r: { seq: number; at: string; level: string; stepId?: string; message: string }) =>
          ctx.json()
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
      await (await ctx.connected()).executions.cancel(id);
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
        await ctx.connected()
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
      await (await ctx.connected()).executions.terminate(id, options.reason);
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
        await ctx.connected()
      ).executions.retry(id, {
        fromFailedStep: options.fromFailedStep,
        params,
        wait: options.wait,
      });
      report(e, `retry ${e.id}: ${paintStatus(e.status)}`);
      if (options.wait && e.status !== 'completed') process.exitCode = 1;
    });
}
