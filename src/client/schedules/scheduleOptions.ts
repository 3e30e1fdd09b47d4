/**
 * What `client.schedules` takes: the run options a schedule gives each run, and the options of
 * `create` and `update`.
 */
import type { ClientDuration, StartRunOptions } from '../runs/startRun';
import type { ScheduleOverlap, ScheduleTiming } from './scheduleSpec';

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
