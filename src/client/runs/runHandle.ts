/**
 * A handle on one run: ids, status, result, terminate and cancel. Works from any process that
 * knows the run's `taskId` (`client.runs.get(taskId)`).
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import type { runPipeline } from '../../workflows';
import { streamReadQuery, type NodeSnapshot, type RunSnapshot } from '../../protocol';
import { PollTimeoutError, translateError } from '../errors';
import { releaseSlotOfTerminatedRun } from './reserveSlot';
import { queryRunSnapshot } from './runSnapshot';
import { settleClosedRunSteps } from './closedRunSteps';
import { runStatusOf, type ExecutionStatus } from '../executions/executionView';
import { sendRunEvent, type SendEventResult } from './sendEvent';
import type { ClientDuration } from './startRun';
import {
  readRunStream,
  type RunStreamChunk,
  type StreamOptions,
  type StreamSource,
} from '../streaming/stream';

export interface RunStatusView {
  taskId: string;
  runId: string;
  status: ExecutionStatus;
  /** 0–100. */
  progress: number;
  nodes: Record<string, NodeSnapshot>;
  /** The workflow's own snapshot, when a worker answered the status query. */
  snapshot?: RunSnapshot;
}

export interface RunResult {
  status: 'completed';
  outputs: Record<string, unknown>;
}

export class RunHandle {
  constructor(
    /** The Temporal handle, for anything this class does not cover. */
    readonly workflow: WorkflowHandle<typeof runPipeline>,
    /**
     * W3C trace id of the run, when this handle came from a start (the run's own also when an
     * idempotency key found a run already there); `executions.get(taskId).traceId` otherwise.
     */
    readonly traceId?: string,
  ) {}

  /** The workflow id. */
  get taskId(): string {
    return this.workflow.workflowId;
  }

  /**
   * Temporal's run id of the run's first execution; known when this handle came from a start
   * (also when an idempotency key found a run already there; else see `runStatus()`).
   */
  get runId(): string | undefined {
    return (this.workflow as { firstExecutionRunId?: string }).firstExecutionRunId;
  }

  /**
   * The run's status, per-node states and progress. Non-blocking: it asks Temporal for the
   * execution's status and the workflow for its snapshot (when a worker can answer).
   * @throws NotFoundError when no such run exists.
   */
  async runStatus(): Promise<RunStatusView> {
    try {
      const description = await this.workflow.describe();
      const snapshot = await queryRunSnapshot(this.workflow).catch(() => undefined);
      const status = runStatusOf(description, snapshot);
      return {
        taskId: this.taskId,
        runId: description.runId,
        status,
        progress: snapshot?.progress ?? (status === 'completed' ? 100 : 0),
        nodes: settleClosedRunSteps(status, snapshot?.nodes ?? {}),
        snapshot,
      };
    } catch (err) {
      throw translateError(err, this.taskId);
    }
  }

  /**
   * Waits for the run to end. By default it long-polls Temporal for the result (one open call);
   * with `pollInterval` it checks the run's status at that interval instead (for environments
   * that cannot hold a call open), then reads the result.
   * @param options.timeout how long to wait (ms, or a string such as `'2m'`). @default forever
   * @param options.pollInterval ms or a string such as `'2s'`.
   * @throws PipelineRunFailedError when the run failed, was cancelled, terminated or timed out.
   * @throws PollTimeoutError when `timeout` passes first; the run itself goes on.
   */
  async result(
    options: { timeout?: ClientDuration; pollInterval?: ClientDuration } = {},
  ): Promise<RunResult> {
    const timeoutMs = options.timeout === undefined ? undefined : msToNumber(options.timeout);
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    const waiting = (async (): Promise<RunResult> => {
      if (options.pollInterval !== undefined)
        await this.pollUntilClosed(msToNumber(options.pollInterval), deadline);
      const { outputs } = await this.workflow.result();
      return { status: 'completed', outputs };
    })().catch((err: unknown) => {
      throw translateError(err, this.taskId);
    });
    if (timeoutMs === undefined) return waiting;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PollTimeoutError(this.taskId, timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([waiting, timedOut]);
    } finally {
      clearTimeout(timer);
      waiting.catch(() => undefined);
    }
  }

  private async pollUntilClosed(intervalMs: number, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const { status } = await this.workflow.describe();
      if (status.name !== 'RUNNING') return;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
      );
    }
  }

  /**
   * The run as it happens: an async iterator of chunks, from `options.from` (a `seq`) on.
   *
   * - `{ type: 'node', nodeId, status, attempt?, output?, error? }` as nodes start, retry and settle;
   * - `{ type: 'stream', nodeId, outputName, outputValue, attempt }`: intermediate outputs and LLM
   *   token deltas (`outputValue` is a batch of text; concatenate them);
   * - `{ type: 'retry', nodeId, attempt }`: an attempt of the node failed and attempt `attempt`
   *   starts over — drop the text its earlier attempts streamed;
   * - `{ type: 'gap', missedFrom, missedUpTo }`: chunks the run no longer keeps (a reader far
   *   behind a long run); never a silent loss;
   * - last, `{ type: 'result', status, outputs?, error?, taskId, runId }`, then the iterator ends.
   *
   * A run that fails or is cancelled ends the stream normally with a `result` chunk whose `status`
   * says so (`failed` with `error: { message, nodeId, attempts }`): the iterator does not throw
   * for the run's own outcome. A terminated or timed-out run runs no more code; the reader notices
   * from Temporal's status (within about half a second) and ends with a `result` chunk of status
   * `terminated` / `timed_out` (`synthesized: true`).
   *
   * Each chunk's `seq` is a cursor: `stream({ from: chunk.seq })` resumes exactly after it (no
   * chunk twice, none lost), from this process or any other. Any number of readers may read one
   * run at once. Reading writes nothing to the run's history (it polls a query: every `pollInterval`
   * while chunks arrive, backing off to `maxPollInterval` while none do). A reader whose `from` is
   * past the run's result chunk gets nothing: the iterator ends at once.
   * @example
   * for await (const chunk of run.stream()) {
   *   if (chunk.type === 'stream') process.stdout.write(chunk.outputValue);
   *   if (chunk.type === 'result') console.log(`\n${chunk.status}`);
   * }
   * @throws NotFoundError when there is no such run; other errors of the connection, translated.
   */
  stream(options: StreamOptions = {}): AsyncGenerator<RunStreamChunk, void, undefined> {
    return readRunStream(this.streamSource(), options);
  }

  private streamSource(): StreamSource {
    const workflow = this.workflow;
    return {
      taskId: this.taskId,
      runId: this.runId,
      read: (request) => workflow.query(streamReadQuery, request),
      describe: async () => {
        const d = await workflow.describe();
        return { status: d.status.name, runId: d.runId, closeTime: d.closeTime };
      },
    };
  }

  /**
   * Sends an event to the run's waiting `wait_for_event` step `node`; `payload` must fit the
   * step's `schema` and becomes its `output.payload`. Resolves once the run accepted it.
   * @param options.by who sends it (the step's `output.by`, and the run log).
   * @example await run.sendEvent('approve', { approved: true, comment: 'ship it' }, { by: 'ada' });
   * @throws EventRejectedError when the run refuses it (nothing is recorded; the step keeps waiting).
   * @throws NotFoundError when there is no such run.
   */
  async sendEvent(node: string, payload: unknown, options: { by?: string } = {}): Promise<SendEventResult> {
    return sendRunEvent(this.workflow, {
      node,
      payload,
      ...(options.by !== undefined && { by: options.by }),
    });
  }

  /**
   * Ends the run at once; its status becomes `terminated`. A run that already ended keeps its
   * status (nothing happens).
   * @throws NotFoundError when there is no such run.
   */
  async terminate(reason = 'terminated by client'): Promise<void> {
    await this.workflow.terminate(reason).catch((err: unknown) => this.unlessClosed(err));
    await releaseSlotOfTerminatedRun(this.workflow);
  }

  /**
   * Asks the run to stop; in-flight nodes are cancelled and the status becomes `cancelled`. A run
   * that already ended keeps its status (nothing happens).
   * @throws NotFoundError when there is no such run.
   */
  async cancel(): Promise<void> {
    await this.workflow.cancel().catch((err: unknown) => this.unlessClosed(err));
  }

  /** Swallows "already completed" (the run exists and is closed); translates anything else. */
  private async unlessClosed(err: unknown): Promise<void> {
    if (err instanceof WorkflowNotFoundError) {
      const closed = await this.workflow.describe().then(
        (d) => d.status.name !== 'RUNNING',
        () => false,
      );
      if (closed) return;
    }
    throw translateError(err, this.taskId);
  }
}
