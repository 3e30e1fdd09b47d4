/**
 * `client.schedules`: runs of a saved pipeline on a timetable (cron or interval), as Temporal
 * Schedules, so they show in the Web UI's Schedules page and survive restarts of everything but
 * Temporal. A schedule's action starts the `runPipeline` workflow with a prepared run input, the
 * same start fields as `client.start` plus the schedule's id (memo `scheduleId`, tag
 * `schedule:<id>`; Temporal adds the `TemporalScheduledById` search attribute itself).
 */
import { randomBytes } from 'node:crypto';
import type { ScheduleDescription, ScheduleHandle } from '@temporalio/client';
import { PipelineValidationError } from '../../model';
import type { ClientContext } from '../context';
import { NotFoundError, translateError } from '../errors';
import { runStatusOf } from '../executions/executionView';
import { pipelineName, type PipelineRegistry } from '../pipelines/pipelineRegistry';
import { slug } from '../runs/startRun';
import {
  inputOf,
  nameKey,
  prepareScheduleRun,
  scheduleAction,
  scheduleAttributes,
  scheduleTag,
  WORKFLOW_TYPE,
} from './scheduleAction';
import {
  scheduleIdIssues,
  schedulePolicyIssues,
  scheduleTimingIssues,
  tagCountIssues,
} from './scheduleChecks';
import { clientDurationMs } from './scheduleDurations';
import type { CreateScheduleOptions, ScheduleRunOptions, UpdateScheduleOptions } from './scheduleOptions';
import { updatedRunOptions } from './scheduleRunOptions';
import type { ScheduleOverlap, ScheduleTiming } from './scheduleSpec';
import {
  toScheduleInfo,
  toScheduleSummary,
  type ScheduledRun,
  type ScheduleInfo,
  type ScheduleSummary,
} from './scheduleViews';
import { specRefused, toTemporalOverlap, toTemporalSpec } from './temporalSpec';

export type {
  CreateScheduleOptions,
  ScheduledRun,
  ScheduleInfo,
  ScheduleRunOptions,
  ScheduleSummary,
  UpdateScheduleOptions,
};
export { scheduleTag };

export class Schedules {
  constructor(
    private readonly context: ClientContext,
    /** The saved pipelines schedules run. */
    private readonly pipelines: PipelineRegistry,
  ) {}

  /**
   * Creates a schedule of a saved pipeline. Everything is checked first: the timing, the policies,
   * and the params and inputs against the pinned version; nothing is created when any is wrong.
   * @example
   * await client.schedules.create({ pipelineId: 'nightly-report', cron: '0 2 * * *', timezone: 'Europe/Berlin',
   *   params: { region: 'eu' } });
   * @throws PipelineValidationError (nothing is created), NotFoundError (no such pipeline or version),
   * AlreadyExistsError (the schedule id is taken)
   */
  async create(options: CreateScheduleOptions): Promise<ScheduleInfo> {
    const name = pipelineName(options.pipelineId);
    const id = options.scheduleId ?? `${slug(name)}-schedule-${randomBytes(3).toString('hex')}`;
    const issues = [
      ...(options.scheduleId !== undefined ? scheduleIdIssues(options.scheduleId) : []),
      ...scheduleTimingIssues(options, true),
      ...schedulePolicyIssues(options),
      ...tagCountIssues(options.tags),
    ];
    const saved = await this.pipelines.version(name, options.version);
    const input = prepareScheduleRun(this.context, saved.definition, options, saved.version, id, issues);
    try {
      await this.context.temporal.schedule.create({
        scheduleId: id,
        spec: toTemporalSpec(options),
        action: scheduleAction(this.context.taskQueue, id, input, options),
        policies: {
          ...(options.overlap !== undefined && { overlap: toTemporalOverlap(options.overlap) }),
          ...(options.catchupWindow !== undefined && {
            catchupWindow: clientDurationMs(options.catchupWindow),
          }),
          ...(options.pauseOnFailure !== undefined && { pauseOnFailure: options.pauseOnFailure }),
        },
        state: {
          paused: options.paused ?? false,
          ...(options.note !== undefined && { note: options.note }),
          ...(options.maxRuns !== undefined && { remainingActions: options.maxRuns }),
        },
        memo: { pipeline: name },
        typedSearchAttributes: scheduleAttributes(name, saved.version),
      });
    } catch (err) {
      throw this.translate(err, id, options);
    }
    return this.get(id);
  }

  /**
   * Schedules of pipelines (other schedules in the namespace are left out), sorted by id. Listing
   * is eventually consistent: a schedule created a moment ago may take a moment to appear.
   */
  async list(options: { pipelineId?: string } = {}): Promise<ScheduleSummary[]> {
    const wanted = options.pipelineId === undefined ? undefined : pipelineName(options.pipelineId);
    const found: ScheduleSummary[] = [];
    try {
      for await (const s of this.context.temporal.schedule.list()) {
        if (s.action?.workflowType !== WORKFLOW_TYPE) continue;
        const name = s.typedSearchAttributes?.get(nameKey) ?? (s.memo?.pipeline as string | undefined);
        if (name === undefined || (wanted !== undefined && name !== wanted)) continue;
        found.push(toScheduleSummary(s, name));
      }
    } catch (err) {
      throw translateError(err);
    }
    return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** A schedule: timing, policies, state, what its runs get, next run times and recent runs. @throws NotFoundError */
  async get(id: string): Promise<ScheduleInfo> {
    const d = await this.describe(id);
    const recentRuns = await Promise.all(
      d.info.recentActions.map(async (a): Promise<ScheduledRun> => {
        const { workflowId, firstExecutionRunId } = a.action.workflow;
        const status = await this.context.temporal.workflow
          .getHandle(workflowId)
          .describe()
          .then(
            (info) => runStatusOf(info),
            () => undefined,
          );
        return {
          executionId: workflowId,
          runId: firstExecutionRunId,
          scheduledAt: a.scheduledAt.toISOString(),
          startedAt: a.takenAt.toISOString(),
          ...(status && { status }),
        };
      }),
    );
    return toScheduleInfo(d, recentRuns);
  }

  /** Stops starting runs (runs in flight go on) until `unpause`. @throws NotFoundError */
  async pause(id: string, note?: string): Promise<void> {
    await this.onPipelineSchedule(id, (handle) => handle.pause(note ?? 'paused'));
  }

  /** Starts runs on the timetable again (missed ones are not made up). @throws NotFoundError */
  async unpause(id: string, note?: string): Promise<void> {
    await this.onPipelineSchedule(id, (handle) => handle.unpause(note ?? 'unpaused'));
  }

  /**
   * Starts a run now, paused or not. `overlap` decides what happens when a run is going on.
   * Temporal names the run after the current second: two triggers in one second start one run.
   * @default overlap 'allow_all'
   * @throws NotFoundError
   */
  async trigger(id: string, options: { overlap?: ScheduleOverlap } = {}): Promise<void> {
    const issues = schedulePolicyIssues({ overlap: options.overlap });
    if (issues.length > 0) throw new PipelineValidationError(issues);
    await this.onPipelineSchedule(id, (handle) =>
      handle.trigger(toTemporalOverlap(options.overlap ?? 'allow_all')),
    );
  }

  /**
   * Changes a schedule: timing, version (re-pin), params and inputs (merged), other run options,
   * policies. Checked like `create`; nothing changes when anything is wrong. Runs already
   * started keep what they started with.
   * @throws NotFoundError, PipelineValidationError
   */
  async update(id: string, changes: UpdateScheduleOptions): Promise<ScheduleInfo> {
    const d = await this.describe(id);
    const current = inputOf(d);
    const name = current.plan.name;
    const issues = [
      ...scheduleTimingIssues(changes, false),
      ...schedulePolicyIssues(changes),
      ...tagCountIssues(changes.tags),
    ];
    if (
      changes.version !== undefined &&
      changes.version !== 'deployed' &&
      !(Number.isInteger(changes.version) && changes.version >= 1)
    ) {
      issues.push({
        path: ['version'],
        code: 'invalid_type',
        message: `version must be a saved version number or 'deployed', got ${JSON.stringify(changes.version)}.`,
      });
      throw new PipelineValidationError(issues);
    }
    const repin = changes.version !== undefined;
    const pinned = Number(current.pipelineVersion);
    const saved = await this.pipelines.version(
      name,
      changes.version === 'deployed' ? undefined : (changes.version ?? pinned),
    );
    const runOptions = updatedRunOptions(d, current, repin && saved.version !== pinned, changes);
    const input = prepareScheduleRun(this.context, saved.definition, runOptions, saved.version, id, issues);
    const remaining =
      changes.maxRuns === undefined ? d.state.remainingActions : (changes.maxRuns ?? undefined);
    try {
      await this.context.temporal.schedule.getHandle(id).update((previous) => ({
        spec: toTemporalSpec(changes, previous.spec),
        action: scheduleAction(this.context.taskQueue, id, input, runOptions),
        policies: {
          overlap:
            changes.overlap !== undefined ? toTemporalOverlap(changes.overlap) : previous.policies.overlap,
          catchupWindow:
            changes.catchupWindow !== undefined
              ? clientDurationMs(changes.catchupWindow)
              : previous.policies.catchupWindow,
          pauseOnFailure: changes.pauseOnFailure ?? previous.policies.pauseOnFailure,
        },
        state: {
          paused: previous.state.paused,
          note: previous.state.note,
          ...(remaining !== undefined && { remainingActions: remaining }),
        },
        typedSearchAttributes: scheduleAttributes(name, saved.version),
      }));
    } catch (err) {
      throw this.translate(err, id, changes);
    }
    return this.get(id);
  }

  /** Deletes a schedule; the runs it started stay (and runs in flight go on). @throws NotFoundError */
  async delete(id: string): Promise<void> {
    await this.onPipelineSchedule(id, (handle) => handle.delete());
  }

  /** Calls `act` on the schedule once it is known to be a pipeline schedule; its errors translated. */
  private async onPipelineSchedule(
    id: string,
    act: (handle: ScheduleHandle) => Promise<void>,
  ): Promise<void> {
    await this.describe(id);
    try {
      await act(this.context.temporal.schedule.getHandle(id));
    } catch (err) {
      throw this.translate(err, id);
    }
  }

  /** The schedule's description, when it is a pipeline schedule. */
  private async describe(id: string): Promise<ScheduleDescription> {
    let d: ScheduleDescription;
    try {
      d = await this.context.temporal.schedule.getHandle(id).describe();
    } catch (err) {
      throw this.translate(err, id);
    }
    if (d.action.workflowType !== WORKFLOW_TYPE) {
      throw new NotFoundError(`Schedule ${id} does not run a pipeline`);
    }
    return d;
  }

  private translate(err: unknown, id: string, timing?: ScheduleTiming): unknown {
    if (err instanceof TypeError && timing) return specRefused(err, timing);
    return translateError(err, id);
  }
}
