/**
 * Tells the run about a node activity's attempts, so that its log shows every attempt and not only
 * the one that settled the step (Temporal shows a workflow only an activity's final outcome):
 *
 * - when an attempt fails and a retry follows (per the retry policy Temporal handed the attempt),
 *   an `attemptEvent` signal `failed` with the code, HTTP status, message, `retry-after` and what
 *   the attempt logged, sent before the failure is returned to Temporal (so it reaches the run
 *   before the retry starts); the last attempt sends nothing: the step's failure says it;
 * - when a retry (attempt 2, 3, …) starts, a `started` signal carrying the last failure Temporal
 *   recorded for the activity (read with `describe()`): this is how an attempt that timed out —
 *   whose worker learns of it late, if ever — gets its record.
 *
 * Each event costs one signal (about 3 history events), on retries only. Sending is bounded in
 * time and never fails the attempt: an event that cannot be sent is logged on the worker and the
 * run fills the gap from what it learns later.
 */
import type { Context } from '@temporalio/activity';
import {
  decodeTimeoutType,
  type ApplicationFailure,
  msOptionalToNumber,
  type RetryPolicy,
} from '@temporalio/common';
import {
  ATTEMPT_EVENT_SIGNAL,
  attemptSequel,
  TEMPORAL_DEFAULT_RETRY_POLICY,
  type AttemptEvent,
  type AttemptFailure,
} from '../../protocol';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import type { PlanRetryPolicy } from '../../model';
import type { NodeActivityInput, NodeFailureDetails, NodeLogRecord } from '../../protocol';
import { isErrorLike } from './nodeFailures';

/** How long an attempt waits for one of its events to be sent, ms. */
export const ATTEMPT_EVENT_TIMEOUT_MS = 2000;

/** Sends one event to the run (the workflow signal). */
export type SendAttemptEvent = (event: AttemptEvent) => Promise<void>;
/** Reads the last failure Temporal recorded for this activity (the previous attempt's). */
export type ReadLastFailure = () => Promise<AttemptFailure | undefined>;

export interface AttemptReporterOptions {
  nodeId: string;
  /** 1-based. */
  attempt: number;
  /** The policy Temporal handed the attempt; without one every failure is reported. */
  retryPolicy?: RetryPolicy;
  send: SendAttemptEvent;
  readLastFailure: ReadLastFailure;
  /** @default ATTEMPT_EVENT_TIMEOUT_MS */
  timeoutMs?: number;
  /** Told about an event that could not be sent in time. */
  onError?: (err: unknown, event: AttemptEvent['kind']) => void;
}

/** The facts of the failure an attempt is about to throw (`toNodeFailure`'s result or an action's own). */
export function attemptFailureOf(failure: ApplicationFailure): AttemptFailure {
  const out: AttemptFailure = { message: failure.message };
  if (failure.type) out.code = failure.type;
  const details = failure.details?.[0] as Partial<NodeFailureDetails> | undefined;
  if (details && typeof details === 'object' && typeof details.status === 'number')
    out.status = details.status;
  if (failure.nonRetryable) out.nonRetryable = true;
  const delay = failure.nextRetryDelay === undefined ? undefined : msOptionalToNumber(failure.nextRetryDelay);
  if (delay !== undefined) out.retryAfterMs = delay;
  return out;
}

/** The SDK's retry policy in the plan's shape (Temporal's defaults for what it leaves out). */
function planPolicy(policy: RetryPolicy): PlanRetryPolicy {
  const defaults = TEMPORAL_DEFAULT_RETRY_POLICY;
  const initialIntervalMs = msOptionalToNumber(policy.initialInterval) ?? defaults.initialIntervalMs;
  return {
    maximumAttempts: policy.maximumAttempts ?? defaults.maximumAttempts,
    initialIntervalMs,
    backoffCoefficient: policy.backoffCoefficient ?? defaults.backoffCoefficient,
    maximumIntervalMs: msOptionalToNumber(policy.maximumInterval) ?? 100 * initialIntervalMs,
    nonRetryableErrorTypes: policy.nonRetryableErrorTypes ?? [],
  };
}

/** One attempt's reporter. */
export class AttemptReporter {
  private readonly startedAt = Date.now();
  private startReport: Promise<void> | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: AttemptReporterOptions) {
    this.timeoutMs = options.timeoutMs ?? ATTEMPT_EVENT_TIMEOUT_MS;
  }

  /** A retry tells the run it started, in the background (the node's work does not wait). */
  start(): void {
    const { nodeId, attempt } = this.options;
    if (attempt < 2) return;
    this.startReport = this.bounded('started', async () => {
      const previous = await this.options.readLastFailure().catch(() => undefined);
      await this.options.send({ kind: 'started', nodeId, attempt, ...(previous && { previous }) });
    });
  }

  /**
   * The attempt failed with `failure`: when Temporal will retry it, tells the run (after the
   * start event) and waits, at most the timeout.
   */
  async failed(
    failure: AttemptFailure,
    report: { logs?: NodeLogRecord[]; droppedLogs?: number } = {},
  ): Promise<void> {
    const { nodeId, attempt, retryPolicy } = this.options;
    await this.startReport;
    if (retryPolicy && !attemptSequel(planPolicy(retryPolicy), attempt, failure).retry) return;
    const event: AttemptEvent = {
      kind: 'failed',
      nodeId,
      attempt,
      durationMs: Date.now() - this.startedAt,
      failure,
      ...(report.logs && report.logs.length > 0 && { logs: report.logs }),
      ...(report.droppedLogs !== undefined && report.droppedLogs > 0 && { droppedLogs: report.droppedLogs }),
    };
    await this.bounded('failed', () => this.options.send(event));
  }

  /** The attempt succeeded: waits for the start event (at most the timeout), so it precedes the result. */
  async settled(): Promise<void> {
    await this.startReport;
  }

  /** Runs `work`, giving up waiting after the timeout; never rejects. */
  private bounded(kind: AttemptEvent['kind'], work: () => Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`attempt event not sent within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      timer.unref();
    });
    return Promise.race([Promise.resolve().then(work), timeout])
      .catch((err: unknown) => {
        try {
          this.options.onError?.(err, kind);
        } catch {
          // A failing error reporter must not fail the attempt.
        }
      })
      .finally(() => clearTimeout(timer));
  }
}

/** A failure as `describe()` returns it (protobuf), reduced to what the run log needs. */
interface RawFailure {
  message?: string | null;
  /** Message and stack trace, encoded (and encrypted) when payload encryption is on. */
  encodedAttributes?: unknown;
  applicationFailureInfo?: {
    type?: string | null;
    nonRetryable?: boolean | null;
    nextRetryDelay?: { seconds?: unknown; nanos?: number | null } | null;
  } | null;
  timeoutFailureInfo?: { timeoutType?: number | null } | null;
}

/** What the run log says about a failure Temporal recorded. */
export function attemptFailureFromRaw(raw: RawFailure): AttemptFailure {
  const timeout = raw.timeoutFailureInfo;
  if (timeout) {
    const type = decodeTimeoutType(timeout.timeoutType);
    return { code: 'Timeout', message: `timed out (${type ?? 'unknown timeout'})` };
  }
  const out: AttemptFailure = { message: raw.message || 'unknown failure' };
  const app = raw.applicationFailureInfo;
  if (app?.type) out.code = app.type;
  if (app?.nonRetryable) out.nonRetryable = true;
  const delay = app?.nextRetryDelay;
  if (delay && (delay.seconds || delay.nanos)) {
    out.retryAfterMs = Number(delay.seconds ?? 0) * 1000 + Math.round((delay.nanos ?? 0) / 1e6);
  }
  return out;
}

/**
 * The reporter of the current attempt, signalling the run that scheduled it through the worker's
 * client. Without a client in the activity context (a mock environment) events are dropped.
 */
export function createAttemptReporter(actx: Context, input: NodeActivityInput): AttemptReporter {
  const info = actx.info;
  const workflowId = info.workflowExecution?.workflowId ?? input.run.taskId;
  const runId = info.workflowExecution?.runId;
  const handle = () => actx.client.workflow.getHandle(workflowId, runId);
  return new AttemptReporter({
    nodeId: input.nodeId,
    attempt: info.attempt,
    retryPolicy: info.retryPolicy,
    send: async (event) => {
      await handle().signal<[AttemptEvent]>(ATTEMPT_EVENT_SIGNAL, event);
    },
    readLastFailure: async () => {
      const description = await handle().describe();
      const pending = description.raw.pendingActivities?.find((a) => a.activityId === info.activityId);
      const raw = pending?.lastFailure;
      if (!raw) return undefined;
      if (!raw.encodedAttributes) return attemptFailureFromRaw(raw);
      // With payload encryption the message is in the encoded attributes: decode it as a client would.
      const decoded = await decodeOptionalFailureToOptionalError(
        actx.client.options.loadedDataConverter,
        raw,
      ).catch(() => undefined);
      return attemptFailureFromRaw({ ...raw, message: decoded?.message ?? raw.message });
    },
    onError: (err, kind) => {
      actx.log.warn('the run was not told about this attempt; its log fills the gap later', {
        nodeId: input.nodeId,
        attempt: info.attempt,
        event: kind,
        error: isErrorLike(err) ? err.message : String(err),
      });
    },
  });
}
