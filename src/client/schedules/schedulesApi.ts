/**
 * `client.schedules`: runs of a saved pipeline on a timetable (cron or interval), as Temporal
 * Schedules, so they show in the Web UI's Schedules page and survive restarts of everything but
 * Temporal. A schedule's action starts the `runPipeline` workflow with a prepared run input, the
 * same start fields as `client.start` plus the schedule's id (memo `scheduleId`, tag
 * `schedule:<id>`; Temporal adds the `TemporalScheduledById` search attribute itself).
 */
import { randomBytes } from 'node:crypto';
import { type Client, type ScheduleDescription, type ScheduleOptionsAction } from '@temporalio/client';
import {
  defineSearchAttributeKey,
  TypedSearchAttributes,
  type SearchAttributePair,
} from '@temporalio/common';
import { PipelineValidationError, type PipelineIssue } from '../../model';
import { SEARCH_ATTRIBUTES } from '../../protocol';
import { defaultConcurrencyKey } from '../../model';
import { unpackPlan } from '../../model';
import type { RunPipelineInput } from '../../protocol';
import { NotFoundError, translateError } from '../errors';
import { runStatusOf, type ExecutionStatus } from '../executions/executionView';
import { pipelineName, type PipelineRegistry } from '../pipelines/pipelineRegistry';
import {
  scheduleIdIssues,
  schedulePolicyIssues,
  scheduleTimingIssues,
  specRefused,
  toTemporalOverlap,
  fromTemporalOverlap,
  toTemporalSpec,
  describeSpec,
  clientDurationMs,
  type ScheduleOverlap,
  type ScheduleSpecView,
  type ScheduleTiming,
} from './scheduleSpec';
import {
  defaultMaxInputBytes,
  inputSizeIssues,
  prepareRun,
  runStartFields,
  slug,
  type ClientDuration,
  type PriorityOption,
  type StartRunOptions,
} from '../runs/startRun';

/** The run options a schedule gives each of its runs. */
export type ScheduleRunOptions = Pick<
  StartRunOptions,
  | 'params'
  | 'inputs'
  | 'tags'
  | 'priority'
  | 'timeout'
  | 'maxParallelism'
  | 'callbacks'
  | 'budget'
  | 'concurrencyKey'
  | 'maxConcurrentRuns'
>;

export interface CreateScheduleOptions extends ScheduleRunOptions, ScheduleTiming {
  /** The schedule's id (letters, digits, `_.:@-`; at most 100). @default `<pipeline>-schedule-<random>` */
  scheduleId?: string;
  /** A saved pipeline: its name or id (`pipeline:<name>`). */
  pipelineId: string;
  /**
   * The saved version every run uses. The schedule pins it now: later saves and deploys do not
   * change its runs until `update({ version })` re-pins. @default the deployed version, else the latest
   */
  version?: number;
  /** What happens when a run is due while the previous one still goes on. @default 'skip' */
  overlap?: ScheduleOverlap;
  /**
   * After Temporal was unavailable, runs due within this window before it came back are still
   * started (under `overlap`); older ones are skipped. At least 10 s. @default 1 year (Temporal's)
   */
  catchupWindow?: ClientDuration;
  /** Pause the schedule when one of its runs fails or times out. @default false */
  pauseOnFailure?: boolean;
  /** Create it paused. @default false */
  paused?: boolean;
  /** A note shown with the schedule (e.g. why it is paused). */
  note?: string;
  /** Start at most this many runs on the timetable, then stop (`trigger` still works). @default no limit */
  maxRuns?: number;
}

/**
 * Changes to a schedule. `params` and `inputs` are merged into the schedule's (a key set to
 * `undefined` goes back to its default); every other field given replaces the schedule's.
 */
export interface UpdateScheduleOptions extends ScheduleRunOptions, ScheduleTiming {
  /**
   * Re-pin: a saved version, or `'deployed'` for the pipeline's deployed (else latest) version
   * now. Without it, the schedule keeps its version. Params and inputs that had their old
   * version's default value follow the new version's defaults.
   */
  version?: number | 'deployed';
  overlap?: ScheduleOverlap;
  catchupWindow?: ClientDuration;
  pauseOnFailure?: boolean;
  /** Runs left on the timetable; `null` lifts the limit. */
  maxRuns?: number | null;
}

/** A run a schedule started. */
export interface ScheduledRun {
  /** The execution id (`<schedule id>-<scheduled time>`): `executions.get(executionId)`. */
  executionId: string;
  /** Temporal run id of the run's first execution. */
  runId: string;
  /** The time on the timetable (for a trigger: when it was triggered), jitter included. */
  scheduledAt: string;
  /** When the schedule started it. */
  startedAt: string;
  /** The run's status now; absent when Temporal no longer knows the run (retention). */
  status?: ExecutionStatus;
}

/** A schedule as `list` shows it. */
export interface ScheduleSummary {
  id: string;
  /** The pipeline's name. */
  pipelineId: string;
  /** The saved version its runs use. */
  version?: number;
  spec: ScheduleSpecView;
  paused: boolean;
  note?: string;
  /** The next times runs are due (ISO). */
  nextRuns: string[];
  /** When the last run started, if any. */
  lastRunAt?: string;
}

/** A schedule as `get` shows it. */
export interface ScheduleInfo {
  id: string;
  pipelineId: string;
  version?: number;
  spec: ScheduleSpecView;
  overlap: ScheduleOverlap;
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  paused: boolean;
  note?: string;
  /** Runs left on the timetable; absent when unlimited. */
  remainingRuns?: number;
  /** The params and inputs each run gets (declared defaults applied). */
  params: Record<string, unknown>;
  inputs: Record<string, unknown>;
  /** Tags each run gets, besides `schedule:<id>`. */
  tags: string[];
  priority?: number;
  timeoutMs?: number;
  maxParallelism?: number;
  taskQueue: string;
  /** The next times runs are due (ISO; Temporal gives up to 10). */
  nextRuns: string[];
  /** The latest runs it started (Temporal keeps 10), oldest first, with their status. */
  recentRuns: ScheduledRun[];
  /** Ids of its runs that are still open. */
  runningExecutionIds: string[];
  /** Runs started so far (triggers included). */
  runsStarted: number;
  /** Due runs skipped because of `overlap`. */
  runsSkippedForOverlap: number;
  /** Due runs skipped because they were older than the catch-up window. */
  runsMissedCatchupWindow: number;
  createdAt: string;
  updatedAt?: string;
}

const WORKFLOW_TYPE = 'runPipeline';
/** The tag every run of a schedule carries. */
export const scheduleTag = (scheduleId: string): string => `schedule:${scheduleId}`;

const nameKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName.name, 'KEYWORD');
const versionKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineVersion.name, 'KEYWORD');
const tagsKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.tags.name, 'KEYWORD_LIST');
const MAX_USER_TAGS = 19;

/** The schedule's own search attributes: its pipeline and version, to find it in the Web UI. */
function scheduleAttributes(name: string, version: number): SearchAttributePair[] {
  return [
    { key: nameKey, value: name },
    { key: versionKey, value: String(version) },
  ];
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class Schedules {
  constructor(
    private readonly temporal: Client,
    private readonly pipelines: PipelineRegistry,
    private readonly taskQueue: string,
    private readonly actions?: StartRunOptions['actions'],
    private readonly maxInputBytes?: number,
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
    const input = this.prepare(saved.definition, options, saved.version, id, issues);
    try {
      await this.temporal.schedule.create({
        scheduleId: id,
        spec: toTemporalSpec(options),
        action: this.action(id, input, options),
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
      for await (const s of this.temporal.schedule.list()) {
        if (s.action?.workflowType !== WORKFLOW_TYPE) continue;
        const name = s.typedSearchAttributes?.get(nameKey) ?? (s.memo?.pipeline as string | undefined);
        if (name === undefined || (wanted !== undefined && name !== wanted)) continue;
        const version = s.typedSearchAttributes?.get(versionKey);
        const last = s.info.recentActions[s.info.recentActions.length - 1];
        found.push({
          id: s.scheduleId,
          pipelineId: name,
          ...(version !== undefined && { version: Number(version) }),
          spec: describeSpec(s.spec ?? {}),
          paused: s.state.paused,
          ...(s.state.note && { note: s.state.note }),
          nextRuns: s.info.nextActionTimes.map((t) => t.toISOString()),
          ...(last && { lastRunAt: last.takenAt.toISOString() }),
        });
      }
    } catch (err) {
      throw translateError(err);
    }
    return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** A schedule: timing, policies, state, what its runs get, next run times and recent runs. @throws NotFoundError */
  async get(id: string): Promise<ScheduleInfo> {
    const d = await this.describe(id);
    const input = inputOf(d);
    const recentRuns = await Promise.all(
      d.info.recentActions.map(async (a): Promise<ScheduledRun> => {
        const { workflowId, firstExecutionRunId } = a.action.workflow;
        const status = await this.temporal.workflow
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
    const priority = d.action.priority?.priorityKey;
    return {
      id: d.scheduleId,
      pipelineId: input.plan.name,
      ...(input.pipelineVersion !== undefined && { version: Number(input.pipelineVersion) }),
      spec: describeSpec(d.spec),
      overlap: fromTemporalOverlap(d.policies.overlap),
      catchupWindowMs: d.policies.catchupWindow,
      pauseOnFailure: d.policies.pauseOnFailure,
      paused: d.state.paused,
      ...(d.state.note && { note: d.state.note }),
      ...(d.state.remainingActions !== undefined && { remainingRuns: d.state.remainingActions }),
      params: input.params,
      inputs: input.inputs,
      tags: userTags(d),
      ...(priority !== undefined && { priority }),
      ...(timeoutOf(d) !== undefined && { timeoutMs: timeoutOf(d) }),
      ...(input.maxParallelism !== undefined && { maxParallelism: input.maxParallelism }),
      taskQueue: d.action.taskQueue,
      nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
      recentRuns,
      runningExecutionIds: d.info.runningActions.map((a) => a.workflow.workflowId),
      runsStarted: d.info.numActionsTaken,
      runsSkippedForOverlap: d.info.numActionsSkippedOverlap,
      runsMissedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      createdAt: d.info.createdAt.toISOString(),
      ...(d.info.lastUpdatedAt && { updatedAt: d.info.lastUpdatedAt.toISOString() }),
    };
  }

  /** Stops starting runs (runs in flight go on) until `unpause`. @throws NotFoundError */
  async pause(id: string, note?: string): Promise<void> {
    await this.describe(id);
    try {
      await this.temporal.schedule.getHandle(id).pause(note ?? 'paused');
    } catch (err) {
      throw this.translate(err, id);
    }
  }

  /** Starts runs on the timetable again (missed ones are not made up). @throws NotFoundError */
  async unpause(id: string, note?: string): Promise<void> {
    await this.describe(id);
    try {
      await this.temporal.schedule.getHandle(id).unpause(note ?? 'unpaused');
    } catch (err) {
      throw this.translate(err, id);
    }
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
    await this.describe(id);
    try {
      await this.temporal.schedule.getHandle(id).trigger(toTemporalOverlap(options.overlap ?? 'allow_all'));
    } catch (err) {
      throw this.translate(err, id);
    }
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
    const carried = carriedRunOptions(d, current, repin && saved.version !== pinned);
    const runOptions: ScheduleRunOptions = {
      ...carried,
      ...definedOnly(changes, RUN_OPTION_KEYS),
      params: merge(carried.params, changes.params),
      inputs: merge(carried.inputs, changes.inputs),
    };
    const input = this.prepare(saved.definition, runOptions, saved.version, id, issues);
    const remaining =
      changes.maxRuns === undefined ? d.state.remainingActions : (changes.maxRuns ?? undefined);
    try {
      await this.temporal.schedule.getHandle(id).update((previous) => ({
        spec: toTemporalSpec(changes, previous.spec),
        action: this.action(id, input, runOptions),
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
    await this.describe(id);
    try {
      await this.temporal.schedule.getHandle(id).delete();
    } catch (err) {
      throw this.translate(err, id);
    }
  }

  /** The schedule's description, when it is a pipeline schedule. */
  private async describe(id: string): Promise<ScheduleDescription> {
    let d: ScheduleDescription;
    try {
      d = await this.temporal.schedule.getHandle(id).describe();
    } catch (err) {
      throw this.translate(err, id);
    }
    if (d.action.workflowType !== WORKFLOW_TYPE) {
      throw new NotFoundError(`Schedule ${id} does not run a pipeline`);
    }
    return d;
  }

  /**
   * The run input every run of the schedule gets: checked like a start (`issues` found before
   * are thrown with the run's), with an empty trace id (each run takes its own) and runs that
   * queue at a concurrency limit (a schedule has no caller to refuse).
   */
  private prepare(
    definition: unknown,
    options: ScheduleRunOptions,
    version: number,
    id: string,
    issues: PipelineIssue[],
  ): RunPipelineInput {
    let input: RunPipelineInput | undefined;
    try {
      input = prepareRun(definition, {
        actions: this.actions,
        ...options,
        tags: [...(options.tags ?? []), scheduleTag(id)],
        pipelineVersion: String(version),
      });
    } catch (err) {
      if (!(err instanceof PipelineValidationError)) throw err;
      issues = [...issues, ...err.issues];
    }
    if (issues.length > 0 || !input) throw new PipelineValidationError(issues);
    input = {
      ...input,
      traceId: '',
      ...(input.concurrency && { concurrency: { ...input.concurrency, onLimit: 'queue' as const } }),
    };
    const size = inputSizeIssues(input, this.maxInputBytes ?? defaultMaxInputBytes(this.temporal));
    if (size.length > 0) throw new PipelineValidationError(size);
    return input;
  }

  /** The schedule's action: the start fields of `client.start` with the schedule's id added. */
  private action(id: string, input: RunPipelineInput, options: ScheduleRunOptions): ScheduleOptionsAction {
    const fields = runStartFields(
      input,
      {
        taskQueue: this.taskQueue,
        pipelineVersion: input.pipelineVersion,
        timeout: options.timeout,
        priority: options.priority,
        tags: [...(options.tags ?? []), scheduleTag(id)],
      },
      { scheduleId: id },
    );
    // Temporal appends the scheduled time: runs are `<schedule id>-2026-01-01T09:00:00Z`.
    // (`priority` is sent although the SDK's action type omits it.)
    const action = { type: 'startWorkflow' as const, workflowType: WORKFLOW_TYPE, workflowId: id, ...fields };
    return action;
  }

  private translate(err: unknown, id: string, timing?: ScheduleTiming): unknown {
    if (err instanceof TypeError && timing) return specRefused(err, timing);
    return translateError(err, id);
  }
}

const RUN_OPTION_KEYS = [
  'tags',
  'priority',
  'timeout',
  'maxParallelism',
  'callbacks',
  'budget',
  'concurrencyKey',
  'maxConcurrentRuns',
] as const;

function definedOnly<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

/** `base` with `changes` applied; a key whose change is `undefined` is removed. */
function merge(
  base: Record<string, unknown> | undefined,
  changes: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(changes ?? {})) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

function tagCountIssues(tags: unknown): PipelineIssue[] {
  if (!Array.isArray(tags) || tags.length <= MAX_USER_TAGS) return [];
  return [
    {
      path: ['tags'],
      code: 'invalid_type',
      message: `At most ${MAX_USER_TAGS} tags: a schedule's runs also carry the tag schedule:<id>. Got ${tags.length}.`,
    },
  ];
}

/** The runs' time limit in ms (the SDK decodes the action's durations to milliseconds). */
const timeoutOf = (d: ScheduleDescription): number | undefined =>
  (d.action as { workflowExecutionTimeout?: number }).workflowExecutionTimeout;

function inputOf(d: ScheduleDescription): RunPipelineInput {
  return d.action.args?.[0] as RunPipelineInput;
}

function userTags(d: ScheduleDescription): string[] {
  const attributes = d.action.typedSearchAttributes;
  const tags = (attributes instanceof TypedSearchAttributes ? attributes.get(tagsKey) : undefined) ?? [];
  return tags.filter((t) => t !== scheduleTag(d.scheduleId));
}

/**
 * The run options a schedule was made with, read back from its action. Values that are only
 * the old version's defaults (params, inputs, the definition's concurrency limit) are left out
 * when `repinned`, so that they follow the new version's.
 */
function carriedRunOptions(
  d: ScheduleDescription,
  input: RunPipelineInput,
  repinned: boolean,
): ScheduleRunOptions {
  const plan = unpackPlan(input.plan);
  let params = { ...input.params };
  let inputs = { ...input.inputs };
  if (repinned) {
    params = Object.fromEntries(
      Object.entries(params).filter(([key, value]) => !sameJson(plan.params?.[key]?.default, value)),
    );
    const inputDefaults = new Map(
      plan.nodes
        .filter((n) => n.kind === 'input')
        .map((n) => [n.inputName ?? n.id, (n.params as { default?: unknown }).default]),
    );
    inputs = Object.fromEntries(
      Object.entries(inputs).filter(([key, value]) => !sameJson(inputDefaults.get(key), value)),
    );
  }
  const concurrency = input.concurrency;
  const ownLimit =
    concurrency &&
    !(concurrency.key === defaultConcurrencyKey(plan.name) && concurrency.limit === plan.maxConcurrentRuns);
  const priority = d.action.priority?.priorityKey;
  const timeout = timeoutOf(d);
  const tags = userTags(d);
  return {
    params,
    inputs,
    ...(tags.length > 0 && { tags }),
    ...(priority !== undefined && { priority: priorityOption(priority) }),
    ...(timeout !== undefined && { timeout }),
    ...(input.maxParallelism !== undefined && { maxParallelism: input.maxParallelism }),
    ...(input.callbacks && { callbacks: input.callbacks }),
    ...(input.budget && { budget: input.budget }),
    ...(ownLimit && { concurrencyKey: concurrency.key, maxConcurrentRuns: concurrency.limit }),
  };
}

function priorityOption(key: number): PriorityOption | undefined {
  return Number.isInteger(key) && key >= 1 && key <= 5 ? (key as PriorityOption) : undefined;
}
