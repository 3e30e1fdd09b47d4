/**
 * `tpipe schedules …`: runs of saved pipelines on a timetable (`client.schedules`).
 */
import { Option, type Command } from 'commander';
import type { ScheduleInfo, UpdateScheduleOptions } from '../../client';
import {
  SCHEDULE_OVERLAPS,
  type ScheduleOverlap,
  type ScheduleTiming,
} from '../../client';
import type { PriorityOption } from '../../client';
import type { ParamType } from '../../model';
import { isInputNode } from '../../model';
import { colours, paintStatus, printJson, printTable } from '../output';
import { resolvePipeline } from './run';
import { parseAssignments, UsageError } from '../values';
import { collect, type CommandContext } from '../commandContext';

/** Flags `create` and `update` share. */
interface ScheduleFlags {
  cron?: string[];
  every?: string;
  offset?: string;
  timezone?: string;
  startAt?: string;
  endAt?: string;
  param?: string[];
  input?: string[];
  tag?: string[];
  version?: string;
  overlap?: ScheduleOverlap;
  catchupWindow?: string;
  maxRuns?: string;
  priority?: string;
  timeout?: string;
}

/** A duration flag: digits alone are milliseconds, else a duration such as `30s`. */
const duration = (value: string | undefined) =>
  value !== undefined && /^\d+$/.test(value) ? Number(value) : value;

function wholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`${flag} takes a whole number, got "${value}"`);
  return n;
}

function priority(value: string | undefined): PriorityOption | undefined {
  if (value === undefined) return undefined;
  return (/^\d+$/.test(value) ? Number(value) : value) as PriorityOption;
}

function withScheduleFlags(command: Command, { update }: { update: boolean }): Command {
  return command
    .option('--cron <expression>', "a cron expression, e.g. '0 9 * * 1-5' (repeat for more)", collect)
    .option('--every <duration>', 'an interval, e.g. 30s, 5m, 1h (whole seconds, at least 1s)')
    .option('--offset <duration>', 'with --every: shift the interval from the epoch, e.g. 15m')
    .option('--timezone <name>', 'IANA time zone of --cron, e.g. Europe/Berlin (default UTC)')
    .option('--start-at <time>', 'no runs before this ISO time')
    .option('--end-at <time>', 'no runs after this ISO time')
    .option('-p, --param <name=value>', 'a param (JSON value, or text); repeat for more', collect)
    .option('-i, --input <name=value>', 'an input (JSON value, or text); repeat for more', collect)
    .option('-t, --tag <tag>', "a tag for the runs (replaces the schedule's tags on update); repeat", collect)
    .option(
      '--version <n>',
      update
        ? "re-pin the runs to saved version n, or 'deployed'"
        : 'the saved version the runs use (default: deployed, else latest)',
    )
    .addOption(
      new Option('--overlap <policy>', 'when a run is due while one is going on').choices(SCHEDULE_OVERLAPS),
    )
    .option(
      '--catchup-window <duration>',
      'after an outage, start runs missed within this window (at least 10s)',
    )
    .option(
      '--max-runs <n>',
      update ? "runs left on the timetable ('0' lifts the limit)" : 'stop after n runs',
    )
    .option('--priority <p>', 'high, normal, low or 1–5')
    .option('--timeout <duration>', "each run's own time limit, e.g. 10m");
}

function timing(flags: ScheduleFlags): ScheduleTiming {
  if (flags.offset !== undefined && flags.every === undefined) throw new UsageError('--offset needs --every');
  return {
    ...(flags.cron && { cron: flags.cron.length === 1 ? flags.cron[0] : flags.cron }),
    ...(flags.every !== undefined && {
      interval:
        flags.offset !== undefined
          ? { every: duration(flags.every) as never, offset: duration(flags.offset) as never }
          : (duration(flags.every) as never),
    }),
    ...(flags.timezone !== undefined && { timezone: flags.timezone }),
    ...(flags.startAt !== undefined && { startAt: flags.startAt }),
    ...(flags.endAt !== undefined && { endAt: flags.endAt }),
  };
}

/** Params and inputs typed by the pipeline version's declarations (`-p name=007` stays text for a string). */
async function runValues(
  ctx: CommandContext,
  pipeline: string,
  version: number | undefined,
  flags: ScheduleFlags,
) {
  if (!flags.param?.length && !flags.input?.length) return {};
  const { plan } = await resolvePipeline(await ctx.connected(), pipeline, {
    version,
    actions: await ctx.actions(),
  });
  const inputTypes = new Map(
    plan.nodes.filter(isInputNode).map((n) => [n.inputName ?? n.id, n.params.type as ParamType | undefined]),
  );
  return {
    ...(flags.param?.length && {
      params: parseAssignments(flags.param, '--param', (name) => plan.params[name]?.type),
    }),
    ...(flags.input?.length && {
      inputs: parseAssignments(flags.input, '--input', (name) => inputTypes.get(name)),
    }),
  };
}

function runOptions(flags: ScheduleFlags) {
  return {
    ...(flags.tag && { tags: flags.tag }),
    ...(flags.overlap !== undefined && { overlap: flags.overlap }),
    ...(flags.catchupWindow !== undefined && { catchupWindow: duration(flags.catchupWindow) as never }),
    ...(flags.priority !== undefined && { priority: priority(flags.priority) }),
    ...(flags.timeout !== undefined && { timeout: duration(flags.timeout) as never }),
  };
}

function printSchedule(info: ScheduleInfo): void {
  const state = info.paused ? colours.yellow('paused') : colours.green('active');
  process.stdout.write(
    `${colours.bold(info.id)}  ${info.pipelineId} v${info.version ?? '?'}  ${info.spec.text}  ${state}${info.note ? ` (${info.note})` : ''}\n`,
  );
  process.stdout.write(
    `overlap ${info.overlap}; ${info.runsStarted} run(s) started${info.remainingRuns !== undefined ? `, ${info.remainingRuns} left` : ''}\n`,
  );
  if (Object.keys(info.params).length > 0) process.stdout.write(`params: ${JSON.stringify(info.params)}\n`);
  if (Object.keys(info.inputs).length > 0) process.stdout.write(`inputs: ${JSON.stringify(info.inputs)}\n`);
  if (info.tags.length > 0) process.stdout.write(`tags: ${info.tags.join(', ')}\n`);
  process.stdout.write(`next: ${info.nextRuns.slice(0, 3).join(', ') || '-'}\n`);
  if (info.recentRuns.length > 0) {
    printTable(
      ['EXECUTION', 'SCHEDULED', 'STATUS'],
      info.recentRuns.map((r) => [r.executionId, r.scheduledAt, paintStatus(r.status ?? 'unknown')]),
    );
  }
}

/** Adds `tpipe schedules …` to the program. */
export function addScheduleCommands(program: Command, ctx: CommandContext): void {
  const report = (value: unknown, text: string) =>
    ctx.json() ? printJson(value) : process.stdout.write(`${text}\n`);
  const schedules = program
    .command('schedules')
    .description('runs of saved pipelines on a timetable (Temporal Schedules)');

  withScheduleFlags(
    schedules
      .command('create <pipeline>')
      .description('schedule runs of a saved pipeline: --cron or --every')
      .option('--id <id>', 'the schedule id (default: <pipeline>-schedule-<random>)')
      .option('--paused', 'create it paused')
      .option('--note <text>', 'a note shown with the schedule')
      .option('--pause-on-failure', 'pause when a run fails'),
    { update: false },
  ).action(
    async (
      pipeline: string,
      flags: ScheduleFlags & { id?: string; paused?: boolean; note?: string; pauseOnFailure?: boolean },
    ) => {
      const version = wholeNumber(flags.version, '--version');
      const info = await (
        await ctx.connected()
      ).schedules.create({
        pipelineId: pipeline,
        ...(flags.id !== undefined && { scheduleId: flags.id }),
        ...(version !== undefined && { version }),
        ...timing(flags),
        ...(await runValues(ctx, pipeline, version, flags)),
        ...runOptions(flags),
        ...(flags.maxRuns !== undefined && { maxRuns: wholeNumber(flags.maxRuns, '--max-runs') }),
        ...(flags.paused && { paused: true }),
        ...(flags.note !== undefined && { note: flags.note }),
        ...(flags.pauseOnFailure && { pauseOnFailure: true }),
      });
      report(info, `created schedule ${info.id}: ${info.pipelineId} v${info.version}, ${info.spec.text}`);
    },
  );

  schedules
    .command('list')
    .option('--pipeline <name>', "only this pipeline's schedules")
    .action(async (flags: { pipeline?: string }) => {
      const list = await (await ctx.connected()).schedules.list({ pipelineId: flags.pipeline });
      if (ctx.json()) return printJson(list);
      printTable(
        ['ID', 'PIPELINE', 'VERSION', 'WHEN', 'STATE', 'NEXT'],
        list.map((s) => [
          s.id,
          s.pipelineId,
          String(s.version ?? '-'),
          s.spec.text,
          s.paused ? colours.yellow('paused') : 'active',
          s.nextRuns[0] ?? '-',
        ]),
      );
    });

  schedules
    .command('get <id>')
    .description('timing, state, what the runs get, next runs and recent runs with their status')
    .action(async (id: string) => {
      const info = await (await ctx.connected()).schedules.get(id);
      if (ctx.json()) printJson(info);
      else printSchedule(info);
    });

  schedules
    .command('pause <id>')
    .description('start no runs until unpaused (runs in flight go on)')
    .option('--note <text>', 'why')
    .action(async (id: string, flags: { note?: string }) => {
      await (await ctx.connected()).schedules.pause(id, flags.note);
      report({ paused: id }, `paused ${id}`);
    });

  schedules
    .command('unpause <id>')
    .option('--note <text>')
    .action(async (id: string, flags: { note?: string }) => {
      await (await ctx.connected()).schedules.unpause(id, flags.note);
      report({ unpaused: id }, `unpaused ${id}`);
    });

  schedules
    .command('trigger <id>')
    .description('start a run now, paused or not')
    .addOption(
      new Option('--overlap <policy>', 'when a run is going on (default allow_all)').choices(
        SCHEDULE_OVERLAPS,
      ),
    )
    .action(async (id: string, flags: { overlap?: ScheduleOverlap }) => {
      await (await ctx.connected()).schedules.trigger(id, { overlap: flags.overlap });
      report({ triggered: id }, `triggered ${id}`);
    });

  withScheduleFlags(
    schedules
      .command('update <id>')
      .description('change the timing, version, params (merged), inputs (merged), run options or policies'),
    { update: true },
  ).action(async (id: string, flags: ScheduleFlags) => {
    const c = await ctx.connected();
    const version: UpdateScheduleOptions['version'] =
      flags.version === 'deployed' ? 'deployed' : wholeNumber(flags.version, '--version');
    let values = {};
    if (flags.param?.length || flags.input?.length) {
      const current = await c.schedules.get(id);
      values = await runValues(
        ctx,
        current.pipelineId,
        version === 'deployed' ? undefined : (version ?? current.version),
        flags,
      );
    }
    const maxRuns = wholeNumber(flags.maxRuns, '--max-runs');
    const info = await c.schedules.update(id, {
      ...(version !== undefined && { version }),
      ...timing(flags),
      ...values,
      ...runOptions(flags),
      ...(maxRuns !== undefined && { maxRuns: maxRuns === 0 ? null : maxRuns }),
    });
    report(info, `updated ${info.id}: ${info.pipelineId} v${info.version}, ${info.spec.text}`);
  });

  schedules
    .command('delete <id>')
    .description('delete a schedule (the runs it started stay)')
    .action(async (id: string) => {
      await (await ctx.connected()).schedules.delete(id);
      report({ deleted: id }, `deleted ${id}`);
    });
}
