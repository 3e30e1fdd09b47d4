/**
 * `client.executions`: runs as data. Create (and optionally wait), get, list and count through
 * Temporal visibility, cancel, terminate, run unsaved definitions, and start many at once.
 */
import { msToNumber } from '@temporalio/common';
import { mapProgressQuery } from '../../protocol';
import type { RunLogEntry } from '../../protocol';
import { PipelineValidationError } from '../../model';
import type { ClientContext } from '../context';
import { NotFoundError, PollTimeoutError, TimeoutError, translateError } from '../errors';
import { queryRunSnapshot } from '../runs/runSnapshot';
import { toExecution, type Execution } from './executionView';
import { pipelineName, type PipelineRegistry, type PipelineVersion } from '../pipelines/pipelineRegistry';
import { retryRun, type RetryOptions } from '../runs/retryRun';
import { RunHandle } from '../runs/runHandle';
import { sendRunEvent, type SendEventRequest, type SendEventResult } from '../runs/sendEvent';
import { prepareRun, type ClientDuration, type StartRunOptions } from '../runs/startRun';
import type {
  CreateExecutionOptions,
  ExecutionPage,
  ExecutionRunOptions,
  ListExecutionsOptions,
} from './executionOptions';
import { executionsQuery } from './executionsQuery';
import { listExecutions } from './listExecutions';
import { mapBounded } from './mapBounded';
import { readRunLogs, type LogsOptions } from './runLogs';

export type {
  CreateExecutionOptions,
  ExecutionPage,
  ExecutionRunOptions,
  ListExecutionsOptions,
  LogsOptions,
};
export { executionsQuery };

export class Executions {
  constructor(
    private readonly context: ClientContext,
    /** The saved pipelines executions are created from. */
    private readonly pipelines: PipelineRegistry,
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
        const started = await this.context.starter.startInBatch(
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
    const handle = this.context.temporal.workflow.getHandle(id);
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
        const progress = await this.context.temporal.workflow
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
    return listExecutions(this.context.temporal, options);
  }

  /** How many executions match a filter. */
  async count(
    options: Omit<ListExecutionsOptions, 'limit' | 'offset' | 'pageToken' | 'sortOrder'> = {},
  ): Promise<number> {
    try {
      return (await this.context.temporal.workflow.count(executionsQuery(options))).count;
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
    const handle = await retryRun(this.context.temporal, id, retry);
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
      for await (const record of readRunLogs(this.context.temporal, options, false)) out.push(record);
      return out;
    })();
  }

  private followLogs(options: LogsOptions): AsyncIterable<RunLogEntry> {
    return {
      [Symbol.asyncIterator]: () => readRunLogs(this.context.temporal, options, true)[Symbol.asyncIterator](),
    };
  }

  /** Asks a run to stop: in-flight steps are cancelled, then it ends `cancelled`. */
  async cancel(id: string): Promise<void> {
    await new RunHandle(this.context.temporal.workflow.getHandle(id)).cancel();
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
    return sendRunEvent(this.context.temporal.workflow.getHandle(executionId), event);
  }

  /** Ends a run at once: `terminated` (no callback, no cleanup). */
  async terminate(id: string, reason?: string): Promise<void> {
    await new RunHandle(this.context.temporal.workflow.getHandle(id)).terminate(reason);
  }

  private prepare(
    document: unknown,
    options: ExecutionRunOptions,
    version: string | undefined,
    index?: number,
  ) {
    try {
      return prepareRun(document, { actions: this.context.actions, ...options, pipelineVersion: version });
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
      maxInputBytes: this.context.maxInputBytes,
      ...options,
      taskQueue: this.context.taskQueue,
      pipelineVersion: version,
    };
  }

  private async launch(document: unknown, options: ExecutionRunOptions, version: string | undefined) {
    const input = this.prepare(document, options, version);
    let id: string;
    try {
      id = (await this.context.starter.startOne(input, this.startOptions(options, version))).workflow
        .workflowId;
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
    const handle = new RunHandle(this.context.temporal.workflow.getHandle(id));
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
