/**
 * `client.executions`: runs as data. Create (and optionally wait), get, list and count through
 * Temporal visibility, cancel, terminate, run unsaved definitions, and start many at once.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import { mapProgressQuery } from '../../protocol';
import { runLogsQuery, type RunLogEntry, type RunLogsPage } from '../../protocol';
import { PipelineValidationError, type RunLogLevel } from '../../model';
import { MAX_RUN_LOGS } from '../../protocol';
import { NotFoundError, PollTimeoutError, TimeoutError, translateError } from '../errors';
import { queryRunSnapshot } from '../runs/runSnapshot';
import { toExecution, VISIBILITY_STATUS, type Execution, type ExecutionStatus } from './executionView';
import { pipelineName, type PipelineRegistry, type PipelineVersion } from '../pipelines/pipelineRegistry';
import { retryRun, type RetryOptions } from '../runs/retryRun';
import { RunHandle } from '../runs/runHandle';
import {
  afterClause,
  decodePosition,
  encodePosition,
  newestWindowStart,
  positionOf,
  scanInCreationOrder,
} from './creationOrder';
import { RunStarter } from '../runs/loadAwareStarts';
import { sendRunEvent, type SendEventRequest, type SendEventResult } from '../runs/sendEvent';
import { prepareRun, type ClientDuration, type StartRunOptions } from '../runs/startRun';

/** What every way of creating an execution accepts. */
export interface ExecutionRunOptions extends Pick<
  StartRunOptions,
  | 'params'
  | 'inputs'
  | 'priority'
  | 'fairnessKey'
  | 'fairnessWeight'
  | 'tags'
  | 'idempotencyKey'
  | 'maxParallelism'
  | 'timeout'
  | 'concurrencyKey'
  | 'maxConcurrentRuns'
  | 'onLimit'
  | 'budget'
> {
  /** Wait for the run to end and return the finished execution. @default false */
  wait?: boolean;
  /** With `wait`: stop waiting after this long (`PollTimeoutError`); the run goes on. */
  waitTimeout?: ClientDuration;
  /** URLs POSTed when the run ends: `onComplete` when it completed, `onFailure` when it failed or was cancelled. */
  callbacks?: { onComplete?: string; onFailure?: string };
}

export interface CreateExecutionOptions extends ExecutionRunOptions {
  /** The pipeline's name (or its id, `pipeline:<name>`). */
  pipelineId: string;
  /** A saved version; else the deployed one, else the latest. */
  version?: number;
}

export interface ListExecutionsOptions {
  /** The pipeline's name (or id). */
  pipelineId?: string;
  /** One status or any of several. `pending` and `running` both match running executions. */
  status?: ExecutionStatus | ExecutionStatus[];
  /** Executions carrying all of these tags. */
  tags?: string[];
  /** Executions a schedule started (its timetable and its triggers): Temporal's `TemporalScheduledById`. */
  scheduleId?: string;
  /** A Date, an ISO timestamp, or a duration back from now (`'5m'`, `'24h'`). */
  createdAfter?: Date | string;
  createdBefore?: Date | string;
  /** @default 50 */
  limit?: number;
  /** Skip this many matches in the sort order (first page only: a `pageToken` says where to go on). */
  offset?: number;
  /** The `nextPageToken` of a previous page. */
  pageToken?: string;
  /**
   * By creation time (`createdAt`, Temporal's `StartTime`; ties by id): `'desc'` newest first,
   * `'asc'` oldest first. Newest first usually reads little more than the page; oldest first reads
   * every match after the page token's position (a page needing more than 10,000 is refused).
   * @default 'desc'
   */
  sortOrder?: 'asc' | 'desc';
}

export interface LogsOptions {
  executionId: string;
  /** Minimum level: `'warn'` gives warnings and errors. */
  level?: RunLogLevel;
  /** Only this step's records. */
  stepId?: string;
  /** A Date, an ISO timestamp, or a duration back from now (`'5m'`). */
  since?: Date | string;
  /** With `follow`, how often to ask the run for new records. @default 500 ms */
  pollInterval?: ClientDuration;
}

export interface ExecutionPage {
  /** Executions from visibility: no `steps`, `outputs` or logs (use `get(id)` for those). */
  executions: Execution[];
  /** Pass as `pageToken` for the next page; absent on the last page. */
  nextPageToken?: string;
}

/** At most this many matches are read for one page of `list`. */
const MAX_SCANNED = 10_000;

function droppedNotice(dropped: number): RunLogEntry {
  return {
    seq: 0,
    at: new Date(0).toISOString(),
    level: 'warn',
    source: 'engine',
    message: `${dropped} earlier log record(s) were dropped: a run keeps its newest ${MAX_RUN_LOGS}.`,
  };
}

/** A visibility query string literal. */
const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function toTime(value: Date | string, now: number): string {
  if (value instanceof Date) return value.toISOString();
  if (/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(value.trim())) {
    return new Date(now - msToNumber(value.trim())).toISOString();
  }
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new TypeError(`Not a time: ${value}`);
  return parsed.toISOString();
}

/** The visibility query for a filter (exported for tests and the CLI). */
export function executionsQuery(
  filter: Omit<ListExecutionsOptions, 'limit' | 'offset' | 'pageToken' | 'sortOrder'>,
): string {
  const now = Date.now();
  const clauses = ["WorkflowType = 'runPipeline'"];
  if (filter.pipelineId) clauses.push(`PipelineName = ${quote(pipelineName(filter.pipelineId))}`);
  const statuses = [filter.status ?? []].flat();
  const names = [...new Set(statuses.map((s) => VISIBILITY_STATUS[s]))];
  if (names.length > 0) clauses.push(`ExecutionStatus IN (${names.map(quote).join(', ')})`);
  // A long run that continued as new leaves closed runs behind under the same id: list it once.
  else clauses.push("ExecutionStatus != 'ContinuedAsNew'");
  for (const tag of filter.tags ?? []) clauses.push(`PipelineTags = ${quote(tag)}`);
  if (filter.scheduleId !== undefined) clauses.push(`TemporalScheduledById = ${quote(filter.scheduleId)}`);
  if (filter.createdAfter !== undefined)
    clauses.push(`StartTime >= ${quote(toTime(filter.createdAfter, now))}`);
  if (filter.createdBefore !== undefined)
    clauses.push(`StartTime <= ${quote(toTime(filter.createdBefore, now))}`);
  return clauses.join(' AND ');
}

/** Maps with at most `limit` calls in flight; results keep the input order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

export class Executions {
  constructor(
    private readonly temporal: Client,
    private readonly pipelines: PipelineRegistry,
    private readonly taskQueue: string,
    private readonly actions?: StartRunOptions['actions'],
    private readonly maxInputBytes?: number,
    /** Bounds and retries the starts (shared with the client's other ways of starting runs). */
    private readonly starter: RunStarter = new RunStarter(temporal),
  ) {}

  /**
   * Starts a run of a saved pipeline. Params and inputs are checked against its declarations
   * before anything starts. With `wait`, returns the finished execution (whatever its status).
   * @throws NotFoundError when there is no such pipeline or version.
   * @throws PipelineValidationError (nothing is started)
   * @throws TimeoutError with `wait`, when the run reaches its `timeout`.
   * @throws PollTimeoutError with `wait`, when `waitTimeout` passes first (the run goes on).
   */
  async create(options: CreateExecutionOptions): Promise<Execution> {
    const saved = await this.pipelines.version(pipelineName(options.pipelineId), options.version);
    return this.launch(saved.definition, options, String(saved.version));
  }

  /**
   * Runs a definition without saving it; `{{ params.x }}` templates make one definition reusable
   * with different params.
   */
  async runEphemeral(options: ExecutionRunOptions & { pipelineDefinition: unknown }): Promise<Execution> {
    const { pipelineDefinition, ...rest } = options;
    return this.launch(pipelineDefinition, rest, undefined);
  }

  /**
   * Starts many executions, at most `concurrency` start calls at a time (and within the client's
   * `maxConcurrentStarts`), and returns their handles without waiting for them to finish. Every
   * request is validated before the first one starts: one invalid request starts none (its
   * issues' paths begin with its index). A start refused for load is retried with jittered
   * backoff per `connect({ retry })`, including the engine's own concurrency limit
   * (`onLimit: 'reject'`), whose `retryAfterMs` it waits out; a start still refused after the last
   * attempt rejects the whole call (`RateLimitError`), the runs started so far going on.
   */
  async createMany(
    requests: CreateExecutionOptions[],
    options: { concurrency?: number } = {},
  ): Promise<RunHandle[]> {
    const versions = new Map<string, Promise<PipelineVersion>>();
    const prepared = await Promise.all(
      requests.map(async (request, i) => {
        const key = `${pipelineName(request.pipelineId)}@${request.version ?? ''}`;
        if (!versions.has(key))
          versions.set(key, this.pipelines.version(pipelineName(request.pipelineId), request.version));
        const saved = await versions.get(key)!;
        return { request, saved, input: this.prepare(saved.definition, request, String(saved.version), i) };
      }),
    );
    const concurrency = Math.max(1, options.concurrency ?? 8);
    try {
      return await mapBounded(prepared, concurrency, async ({ request, input }) => {
        const started = await this.starter.startInBatch(
          input,
          this.startOptions(request, input.pipelineVersion),
        );
        return new RunHandle(started.workflow, started.traceId);
      });
    } catch (err) {
      throw translateError(err);
    }
  }

  /**
   * Waits for every execution to end (at most `concurrency` at a time) and returns them finished,
   * failed ones included.
   * @throws PollTimeoutError when `timeout` passes first (the runs go on).
   */
  async waitAll(
    executions: ReadonlyArray<Execution | RunHandle | string>,
    options: { timeout?: ClientDuration; concurrency?: number } = {},
  ): Promise<Execution[]> {
    const deadline = options.timeout === undefined ? undefined : Date.now() + msToNumber(options.timeout);
    const ids = executions.map((e) => (typeof e === 'string' ? e : e instanceof RunHandle ? e.taskId : e.id));
    return mapBounded(ids, Math.max(1, options.concurrency ?? 16), (id) =>
      this.waitFor(id, deadline === undefined ? undefined : Math.max(0, deadline - Date.now()), false),
    );
  }

  /** One execution with per-step state. @throws NotFoundError */
  async get(id: string): Promise<Execution> {
    const handle = this.temporal.workflow.getHandle(id);
    try {
      const description = await handle.describe();
      if (description.type !== 'runPipeline') throw new NotFoundError(`${id} is not a pipeline execution`);
      const snapshot = await queryRunSnapshot(handle).catch(() => undefined);
      const execution = toExecution(description, snapshot);
      await this.addMapProgress(execution);
      // No snapshot (no worker answered, or it was over the 2 MiB query limit): a completed run's
      // outputs are still in its history.
      if (snapshot === undefined && execution.status === 'completed') {
        const result = (await handle.result()) as { outputs?: Record<string, unknown> } | undefined;
        execution.outputs = result?.outputs;
      }
      return execution;
    } catch (err) {
      throw translateError(err, id);
    }
  }

  /**
   * A running `map` step's progress, from its map workflow (a query: nothing is written to any
   * history). A map that does not answer (no worker, or it just closed) leaves the step as it is.
   */
  private async addMapProgress(execution: Execution): Promise<void> {
    const running = Object.values(execution.steps).filter((step) => step.map && step.status === 'running');
    await Promise.all(
      running.map(async (step) => {
        const progress = await this.temporal.workflow
          .getHandle(step.map!.executionId)
          .query(mapProgressQuery)
          .catch(() => undefined);
        if (progress) step.map = { ...step.map!, progress };
      }),
    );
  }

  /**
   * Executions matching a filter in creation order: newest first, or oldest first with
   * `sortOrder: 'asc'`, page after page (visibility is eventually consistent). Works on every
   * visibility store (no `ORDER BY`: see `creationOrder.ts`).
   * @throws RangeError when a page would need more than 10,000 matches read (narrow the filter).
   * @throws TypeError when `pageToken` is not a `nextPageToken` of this sort order.
   */
  async list(options: ListExecutionsOptions = {}): Promise<ExecutionPage> {
    const limit = Math.max(1, Math.min(options.limit ?? 50, 1000));
    const order = options.sortOrder ?? 'desc';
    const after = options.pageToken !== undefined ? decodePosition(options.pageToken) : undefined;
    if (after && after.order !== order) {
      throw new TypeError(`Invalid pageToken: it continues a '${after.order}' listing, not '${order}'`);
    }
    const offset = after ? 0 : Math.max(0, options.offset ?? 0);
    const query = [executionsQuery(options), ...(after ? [afterClause(after)] : [])].join(' AND ');
    let rows: WorkflowExecutionInfo[];
    try {
      const take = offset + limit + 1;
      const countFrom = async (fromMs: number, base = query) =>
        (await this.temporal.workflow.count(`${base} AND StartTime >= '${new Date(fromMs).toISOString()}'`))
          .count;
      // Newest first: confine the scan to a window back from the position holding enough runs;
      // a window that falls short (runs of the position's millisecond already listed) grows.
      let from =
        order === 'desc'
          ? await newestWindowStart(countFrom, take, after && after.startMs + 1, Date.now())
          : undefined;
      for (;;) {
        const scanned =
          from === undefined ? query : `${query} AND StartTime >= '${new Date(from).toISOString()}'`;
        const result = await scanInCreationOrder(
          this.temporal.workflow.list({ query: scanned, pageSize: Math.min(1000, Math.max(100, 2 * take)) }),
          {
            order,
            take,
            after,
            maxScan: MAX_SCANNED,
            countStartedFrom: (startMs) => countFrom(startMs, scanned),
          },
        );
        if (result.rows.length >= take || from === undefined) {
          rows = result.rows;
          break;
        }
        const widened: number = from - 4 * Math.max(60_000, (after?.startMs ?? Date.now()) - from);
        from = widened > 0 ? widened : undefined;
      }
      const page = rows.slice(offset, offset + limit);
      const last = page[page.length - 1];
      return {
        executions: page.map((info) => toExecution(info)),
        ...(rows.length > offset + limit &&
          last && { nextPageToken: encodePosition(positionOf(last, order)) }),
      };
    } catch (err) {
      throw translateError(err);
    }
  }

  /** How many executions match a filter. */
  async count(
    options: Omit<ListExecutionsOptions, 'limit' | 'offset' | 'pageToken' | 'sortOrder'> = {},
  ): Promise<number> {
    try {
      return (await this.temporal.workflow.count(executionsQuery(options))).count;
    } catch (err) {
      throw translateError(err);
    }
  }

  /**
   * Starts a new execution of a finished one, linked to it (`retryOf`), with the same pipeline
   * version, inputs, tags, priority, fairness key and weight, and timeout, and new `params` if given. With
   * `fromFailedStep: true` it reuses the outputs of every step that completed (unless it reads a
   * param that changed, or depends on a step that re-runs) and re-runs only the rest.
   * @throws NotFoundError, PipelineValidationError (new params that do not fit)
   */
  async retry(id: string, options: RetryOptions & { wait?: boolean } = {}): Promise<Execution> {
    const { wait, ...retry } = options;
    const handle = await retryRun(this.temporal, id, retry);
    return wait ? this.waitFor(handle.taskId, undefined, true) : this.get(handle.taskId);
  }

  /**
   * The run's log records, oldest first: `log` steps, step started / completed / retried / failed /
   * skipped / cancelled events, and what actions logged through their context, each with time,
   * level, step id and attempt. A run keeps its newest 1000 records (and at most 512 KiB); when older
   * ones were dropped, the first record returned (`seq: 0`) says how many.
   *
   * With `follow: true` it is an async iterator that yields records as they are written and ends
   * when the run ends.
   * @example
   * for await (const log of client.executions.logs({ executionId, follow: true })) console.log(log.message);
   */
  logs(options: LogsOptions & { follow: true }): AsyncIterable<RunLogEntry>;
  logs(options: LogsOptions & { follow?: false }): Promise<RunLogEntry[]>;
  logs(options: LogsOptions & { follow?: boolean }): Promise<RunLogEntry[]> | AsyncIterable<RunLogEntry> {
    if (options.follow) return this.followLogs(options);
    return (async () => {
      const out: RunLogEntry[] = [];
      for await (const record of this.readLogs(options, false)) out.push(record);
      return out;
    })();
  }

  private followLogs(options: LogsOptions): AsyncIterable<RunLogEntry> {
    return { [Symbol.asyncIterator]: () => this.readLogs(options, true)[Symbol.asyncIterator]() };
  }

  private async *readLogs(options: LogsOptions, follow: boolean): AsyncGenerator<RunLogEntry> {
    const handle = this.temporal.workflow.getHandle(options.executionId);
    const since = options.since === undefined ? undefined : toTime(options.since, Date.now());
    const pollMs = msToNumber(options.pollInterval ?? 500);
    let afterSeq = 0;
    let toldDropped = false;
    for (let round = 0; ; round++) {
      let page: RunLogsPage;
      try {
        page = await handle.query(runLogsQuery, { afterSeq, level: options.level, stepId: options.stepId });
      } catch (err) {
        throw translateError(err, options.executionId);
      }
      if (!toldDropped && page.droppedLogs > afterSeq) {
        toldDropped = true;
        yield droppedNotice(page.droppedLogs);
      }
      for (const record of page.records) if (since === undefined || record.at >= since) yield record;
      const moved = page.lastSeq > afterSeq;
      afterSeq = page.lastSeq;
      if (moved && page.records.length > 0 && !page.closed) continue; // a full page: read on at once
      if (!follow || page.closed) {
        if (!moved || !follow) return;
        continue; // drain what the run wrote while it closed
      }
      // `closed` stays false for terminated and timed-out runs: ask Temporal now and then.
      if (round % 4 === 3) {
        const { status } = await handle.describe().catch((err: unknown) => {
          throw translateError(err, options.executionId);
        });
        if (status.name !== 'RUNNING') {
          follow = false;
          continue;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Asks a run to stop: in-flight steps are cancelled, then it ends `cancelled`. */
  async cancel(id: string): Promise<void> {
    await new RunHandle(this.temporal.workflow.getHandle(id)).cancel();
  }

  /**
   * Sends an event to a run's waiting `wait_for_event` step (`node` is its step id): the payload
   * is checked against the step's `schema` by the run itself, and becomes the step's
   * `output.payload`. Resolves once the run accepted it (the step then completes).
   * @example
   * await client.executions.signal(executionId, { node: 'approve', payload: { approved: true }, by: 'ada' });
   * @throws EventRejectedError when the run refuses it — unknown step, not a wait_for_event step,
   * step not waiting (pending or settled), payload that does not fit (`issues`), or run ended; nothing is recorded.
   * @throws NotFoundError when there is no such run.
   */
  async signal(executionId: string, event: SendEventRequest): Promise<SendEventResult> {
    return sendRunEvent(this.temporal.workflow.getHandle(executionId), event);
  }

  /** Ends a run at once: `terminated` (no callback, no cleanup). */
  async terminate(id: string, reason?: string): Promise<void> {
    await new RunHandle(this.temporal.workflow.getHandle(id)).terminate(reason);
  }

  private prepare(
    document: unknown,
    options: ExecutionRunOptions,
    version: string | undefined,
    index?: number,
  ) {
    try {
      return prepareRun(document, { actions: this.actions, ...options, pipelineVersion: version });
    } catch (err) {
      if (index !== undefined && err instanceof PipelineValidationError) {
        throw new PipelineValidationError(
          err.issues.map((issue) => ({ ...issue, path: [index, ...issue.path] })),
          { cause: err },
        );
      }
      throw err;
    }
  }

  private startOptions(options: ExecutionRunOptions, version: string | undefined): StartRunOptions {
    return {
      maxInputBytes: this.maxInputBytes,
      ...options,
      taskQueue: this.taskQueue,
      pipelineVersion: version,
    };
  }

  private async launch(document: unknown, options: ExecutionRunOptions, version: string | undefined) {
    const input = this.prepare(document, options, version);
    let id: string;
    try {
      id = (await this.starter.startOne(input, this.startOptions(options, version))).workflow.workflowId;
    } catch (err) {
      throw translateError(err);
    }
    if (!options.wait) return this.get(id);
    return this.waitFor(id, options.waitTimeout, true);
  }

  private async waitFor(
    id: string,
    timeout: ClientDuration | undefined,
    throwOnTimedOut: boolean,
  ): Promise<Execution> {
    const handle = new RunHandle(this.temporal.workflow.getHandle(id));
    try {
      await handle.result({ timeout });
    } catch (err) {
      if (err instanceof PollTimeoutError) throw err;
      // A run that ended otherwise than completed is still a finished execution.
    }
    const execution = await this.get(id);
    if (throwOnTimedOut && execution.status === 'timed_out') throw new TimeoutError(id, execution);
    return execution;
  }
}
