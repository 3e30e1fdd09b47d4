/**
 * The run log's account of activity attempts: one `warn` record per failed attempt (code, HTTP
 * status, message, and the delay before the next attempt or why none follows) and one `info`
 * record per retry's start. Fed by the attempt events node activities signal
 * ({@link AttemptEvent}) and, for what no event told, by the step's outcome: the last attempt's
 * record comes from the activity's final failure, and an attempt nobody reported (it timed out and
 * the next attempt could not say so, its worker was lost, the event could not be sent) gets a
 * record saying so. Deterministic: no I/O, workflow
 * time only.
 */
import { attemptSequel, type AttemptEvent, type AttemptFailure } from '../../protocol';
import type { NodeLogRecord } from '../../protocol';
import type { RunLogLevel } from '../../model';
import type { ExecutionPlan, PlanRetryPolicy } from '../../model';
import type { RunLogAttemptFailure, RunLogSource } from '../../protocol';

/** Where the records go: the run's log (`RunState` provides both). */
export interface AttemptLogSink {
  log(
    level: RunLogLevel,
    message: string,
    stepId?: string,
    options?: { attempt?: number; source?: RunLogSource; attemptFailure?: RunLogAttemptFailure },
  ): void;
  /** Appends an attempt's own log records (`source: 'action'`). */
  report(id: string, attempt: number, report: { logs?: NodeLogRecord[]; droppedLogs?: number }): void;
}

/** What the log has told about one step's attempts. */
interface StepAttempts {
  /** Attempts whose failure has a record. */
  failed: Set<number>;
  /** Every attempt below this one has a failure record. */
  toldBelow: number;
  /** The latest attempt whose start has a record (1: the step's own `started` record). */
  started: number;
}

/** The log has a failure record for this attempt. */
const told = (step: StepAttempts, attempt: number) => attempt < step.toldBelow || step.failed.has(attempt);

/** More unreported attempts than this in a row get one record for all of them. */
const MAX_GAP_RECORDS = 20;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

function describeFailure(f: AttemptFailure): string {
  const tags = [f.code, f.status !== undefined ? `HTTP ${f.status}` : undefined].filter(Boolean);
  return `${tags.length > 0 ? ` [${tags.join(', ')}]` : ''}: ${f.message}`;
}

/** An event's failure with only the fields it may carry, of the right types. */
function cleanFailure(value: unknown): AttemptFailure | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const f = value as Record<string, unknown>;
  if (typeof f.message !== 'string') return undefined;
  const out: AttemptFailure = { message: f.message };
  if (typeof f.code === 'string' && f.code) out.code = f.code;
  if (typeof f.status === 'number' && Number.isInteger(f.status)) out.status = f.status;
  if (f.nonRetryable === true) out.nonRetryable = true;
  if (typeof f.retryAfterMs === 'number' && Number.isFinite(f.retryAfterMs) && f.retryAfterMs >= 0) {
    out.retryAfterMs = f.retryAfterMs;
  }
  return out;
}

export class AttemptLog {
  private readonly policies = new Map<string, PlanRetryPolicy | undefined>();
  /** Steps running now (from `started` to `settled`). */
  private readonly steps = new Map<string, StepAttempts>();

  constructor(
    plan: ExecutionPlan,
    private readonly sink: AttemptLogSink,
  ) {
    for (const node of plan.nodes) if (node.execution === 'activity') this.policies.set(node.id, node.retry);
  }

  /** An activity step started (its attempt 1). Other steps are ignored. */
  started(id: string): void {
    if (this.policies.has(id)) this.steps.set(id, { failed: new Set(), toldBelow: 1, started: 1 });
  }

  /**
   * An event from a node activity. Returns the attempt it says is running (for the step's live
   * attempt count), or `undefined` when the event was dropped: malformed, about a step that is
   * not running, or already told.
   */
  event(event: AttemptEvent): number | undefined {
    if (typeof event !== 'object' || event === null) return undefined;
    const { nodeId, attempt } = event;
    const step = typeof nodeId === 'string' ? this.steps.get(nodeId) : undefined;
    if (!step || !isCount(attempt)) return undefined;
    // No attempt beyond the policy's limit exists (0: unlimited, as without a policy).
    const limit = this.policies.get(nodeId)?.maximumAttempts ?? 0;
    if (limit > 0 && attempt > limit) return undefined;
    if (event.kind === 'failed') {
      const failure = cleanFailure(event.failure);
      if (!failure || told(step, attempt)) return undefined;
      this.fillGaps(nodeId, step, attempt);
      this.sink.report(nodeId, attempt, {
        logs: Array.isArray(event.logs) ? event.logs : undefined,
        droppedLogs: typeof event.droppedLogs === 'number' ? event.droppedLogs : undefined,
      });
      const duration =
        typeof event.durationMs === 'number' ? ` after ${Math.round(event.durationMs)} ms` : '';
      this.failed(nodeId, step, attempt, failure, false, duration);
      return attempt;
    }
    if (event.kind === 'started') {
      if (attempt <= step.started) return undefined;
      const previous = cleanFailure(event.previous);
      if (previous && !told(step, attempt - 1)) {
        this.fillGaps(nodeId, step, attempt - 1);
        this.failed(nodeId, step, attempt - 1, previous, false);
      }
      this.fillGaps(nodeId, step, attempt);
      step.started = attempt;
      this.sink.log('info', `step ${nodeId} attempt ${attempt} started`, nodeId, { attempt });
      return attempt;
    }
    return undefined;
  }

  /**
   * The step's activity failed for good: `attempt` was its last attempt. Earlier attempts no event
   * told get their record first. Call before the engine's own failed record.
   */
  lastAttemptFailed(id: string, attempt: number, failure: AttemptFailure): void {
    const step = this.steps.get(id);
    const clean = cleanFailure(failure);
    if (!step || !isCount(attempt) || !clean || told(step, attempt)) return;
    this.fillGaps(id, step, attempt);
    this.failed(id, step, attempt, clean, true);
  }

  /**
   * The step settled (`attempts`: the attempt that settled it, when it ran as an activity).
   * Earlier attempts no event told get their record now; events that come later are dropped.
   * Call before the engine's own completed / failed record.
   */
  settled(id: string, attempts?: number): void {
    const step = this.steps.get(id);
    if (!step) return;
    this.steps.delete(id);
    if (isCount(attempts)) this.fillGaps(id, step, attempts);
  }

  /** Records for attempts before `attempt` that have none: they failed, and a retry followed. */
  private fillGaps(id: string, step: StepAttempts, attempt: number): void {
    const from = step.toldBelow;
    if (attempt <= from) return;
    step.toldBelow = attempt;
    const why = 'no report of it reached the run (it timed out, or its worker was lost)';
    if (attempt - from > MAX_GAP_RECORDS) {
      // A step retried without limit: one record, not one per attempt.
      this.sink.log('warn', `step ${id} attempts ${from}–${attempt - 1} failed; ${why}`, id, {
        attempt: attempt - 1,
        attemptFailure: { retry: true },
      });
      return;
    }
    for (let n = from; n < attempt; n++) {
      if (step.failed.has(n)) continue;
      step.failed.add(n);
      this.sink.log('warn', `step ${id} attempt ${n} failed; ${why}`, id, {
        attempt: n,
        attemptFailure: { retry: true },
      });
    }
  }

  private failed(
    id: string,
    step: StepAttempts,
    attempt: number,
    failure: AttemptFailure,
    last: boolean,
    duration = '',
  ): void {
    step.failed.add(attempt);
    const sequel = attemptSequel(this.policies.get(id), attempt, failure);
    const record: RunLogAttemptFailure = { retry: !last };
    if (failure.code !== undefined) record.code = failure.code;
    if (failure.status !== undefined) record.status = failure.status;
    let then: string;
    if (last) {
      // The step failed here whatever the policy would allow (a non-retryable failure of its own).
      record.reason = sequel.retry ? 'Temporal stopped retrying' : sequel.reason;
      then = `no more attempts (${record.reason})`;
    } else if (sequel.retry) {
      record.nextAttemptInMs = sequel.delayMs;
      record.delaySource = sequel.delaySource;
      then = `next attempt in ${sequel.delayMs} ms (${sequel.delaySource === 'retry-after' ? 'retry-after' : 'retry policy'})`;
    } else {
      // The worker expected a retry that the policy does not allow: Temporal decides.
      then = 'a retry may follow';
    }
    this.sink.log(
      'warn',
      `step ${id} attempt ${attempt} failed${duration}${describeFailure(failure)}; ${then}`,
      id,
      {
        attempt,
        attemptFailure: record,
      },
    );
  }
}
