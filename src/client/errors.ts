/**
 * The client's errors, and the one place Temporal's errors are translated into them
 * (`translateError`). Users handle these; they never need a `@temporalio/*` error class.
 */
import {
  isGrpcServiceError,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { PipelineError, type BudgetBreach, type PayloadIssue } from '../model';
import { SEARCH_ATTRIBUTES } from '../protocol';
import type { EventRejectionReason } from '../protocol';
import type { Execution } from './executions/executionView';

export { PipelineError, PipelineValidationError } from '../model';

/** A pipeline, run, version or schedule that does not exist. */
export class NotFoundError extends PipelineError {
  static readonly CODE = 'not_found';
  readonly code = 'not_found' as const;
}

/** A pipeline name, run id or schedule id that is already taken. */
export class AlreadyExistsError extends PipelineError {
  static readonly CODE = 'already_exists';
  readonly code = 'already_exists' as const;
}

/**
 * A run did not complete. `status` says how it ended (`failed`, `cancelled`, `terminated`,
 * `timed_out`); for `failed`, `nodeId` is the step that failed it, after `attempts` attempts.
 */
export class PipelineRunFailedError extends PipelineError {
  static readonly CODE: string = 'run_failed';
  readonly code: 'run_failed' | 'budget_exceeded' = 'run_failed';
  constructor(
    readonly taskId: string,
    readonly runError: string,
    readonly nodeId: string | undefined,
    readonly attempts: number | undefined,
    options?: { cause?: unknown; status?: 'failed' | 'cancelled' | 'terminated' | 'timed_out' },
  ) {
    const status = options?.status ?? 'failed';
    const how = {
      failed: 'failed',
      cancelled: 'was cancelled',
      terminated: 'was terminated',
      timed_out: 'timed out',
    }[status];
    super(`Run ${taskId} ${how}: ${runError}`, options);
    this.status = status;
  }

  /** How the run ended. */
  readonly status: 'failed' | 'cancelled' | 'terminated' | 'timed_out';
}

/**
 * A run failed because a token or cost budget ran out: the step that failed it (`nodeId`) is an
 * llm step refused with code `BudgetExceeded` (the steps that completed before keep their
 * outputs). `budget` says which budget, how much was used and the limit, when the run refused
 * the step itself; it is absent when the step's own call found its budget left no room (the
 * message says so). Also a {@link PipelineRunFailedError} (`status: 'failed'`).
 */
export class BudgetExceededError extends PipelineRunFailedError {
  static override readonly CODE = 'budget_exceeded';
  override readonly code = 'budget_exceeded' as const;
  constructor(
    taskId: string,
    runError: string,
    nodeId: string | undefined,
    attempts: number | undefined,
    /** Which budget (`scope` run or step, `limit` max_tokens or max_cost), `used` and `max`. */
    readonly budget: BudgetBreach | undefined,
    options?: { cause?: unknown },
  ) {
    super(taskId, runError, nodeId, attempts, { ...options, status: 'failed' });
  }
}

/**
 * A run refused an event sent to a `wait_for_event` step; nothing was recorded and the step
 * (if it waits) goes on waiting. `reason` says why: `unknown_step`, `not_an_event_step`,
 * `not_waiting` (pending, or already settled), `invalid_payload` (`issues` lists every field
 * that does not fit the step's schema, with paths inside the payload), or `run_closed` (the run
 * has ended).
 */
export class EventRejectedError extends PipelineError {
  static readonly CODE = 'event_rejected';
  readonly code = 'event_rejected' as const;
  constructor(
    readonly executionId: string,
    readonly node: string,
    readonly reason: EventRejectionReason | 'run_closed',
    message: string,
    /** With `invalid_payload`: each problem's path inside the payload and a sentence. */
    readonly issues: readonly PayloadIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(`Run ${executionId} refused the event for step '${node}': ${message}`, options);
  }
}

/** Waiting for a run's result took longer than asked; the run itself goes on. */
export class PollTimeoutError extends PipelineError {
  static readonly CODE = 'poll_timeout';
  readonly code = 'poll_timeout' as const;
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
  ) {
    super(`Run ${taskId} did not finish within ${timeoutMs} ms (it is still going)`);
  }
}

/** A run reached its own `timeout` (status `timed_out`) while the caller waited for it. */
export class TimeoutError extends PipelineError {
  static readonly CODE = 'run_timed_out';
  readonly code = 'run_timed_out' as const;
  constructor(
    readonly executionId: string,
    /** The timed-out execution, as it stood. */
    readonly execution?: Execution,
  ) {
    super(`Run ${executionId} reached its timeout`);
  }
}

/**
 * Temporal refused the call for load (gRPC RESOURCE_EXHAUSTED): a rate limit, too many
 * concurrent requests or updates, an overloaded server. Back off and retry.
 */
export class RateLimitError extends PipelineError {
  static readonly CODE = 'rate_limited';
  readonly code = 'rate_limited' as const;
  /**
   * Which limit, as Temporal names it (`ResourceExhaustedFailure.cause` without its prefix):
   * `RPS_LIMIT` (requests per second), `CONCURRENT_LIMIT` (e.g. 10 updates in flight per
   * workflow), `SYSTEM_OVERLOADED`, `BUSY_WORKFLOW`, `APS_LIMIT`, `OPS_LIMIT`, `PERSISTENCE_LIMIT`, …;
   * undefined when the server did not say.
   */
  readonly reason?: string;
  /** `NAMESPACE` (this namespace's own limit) or `SYSTEM` (the whole server's); undefined when not said. */
  readonly scope?: string;
  constructor(
    message: string,
    /**
     * How long the server asked the caller to wait, when it said so (a `google.rpc.RetryInfo`
     * detail or `grpc-retry-pushback-ms` metadata). The Temporal server (1.32) sends no such hint,
     * so this is usually undefined: then back off on your own schedule.
     */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown; reason?: string; scope?: string },
  ) {
    super(message, options);
    this.reason = options?.reason;
    this.scope = options?.scope;
  }
}

/** Temporal was unavailable or failed internally; usually transient. */
export class InternalServerError extends PipelineError {
  static readonly CODE = 'internal_server_error';
  readonly code = 'internal_server_error' as const;
}

/**
 * No Temporal server answered at `address` (nothing listens there, or it did not answer in
 * time). The message names the address and how to start a local server.
 */
export class ConnectionError extends PipelineError {
  static readonly CODE = 'connection_failed';
  readonly code = 'connection_failed' as const;
  constructor(
    readonly address: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Cannot reach a Temporal server at ${address} (${reason}). Start one with \`tpipe dev\` ` +
        `(or \`temporal server start-dev\`), or set TEMPORAL_ADDRESS to your server's host:port.`,
      options,
    );
  }
}

/**
 * `ConnectionError` when `err`, from connecting to `address`, says no server answered there
 * (connection refused, unknown host, no answer before the deadline); undefined for other errors
 * (a server that answers and refuses the credentials, say).
 */
export function unreachable(address: string, err: unknown): ConnectionError | undefined {
  if (err instanceof ConnectionError) return err;
  const grpc = err instanceof ServiceError ? err.cause : err;
  const code = (grpc as { code?: unknown } | undefined)?.code;
  const text = err instanceof Error ? `${err.message} ${(grpc as Error | undefined)?.message ?? ''}` : '';
  const reason = /Connection refused|ECONNREFUSED/i.test(text)
    ? 'connection refused'
    : /failed to lookup|ENOTFOUND|Name or service not known|dns error/i.test(text)
      ? 'unknown host'
      : /deadline/i.test(text)
        ? 'no answer in time'
        : code === GrpcStatus.UNAVAILABLE || /TransportError|tcp connect error/.test(text)
          ? 'unavailable'
          : undefined;
  return reason === undefined ? undefined : new ConnectionError(address, reason, { cause: err });
}

/**
 * The namespace lacks search attributes runs carry (`missing`, with their types), and they could
 * not be added here (no operator rights, or Temporal Cloud). The message gives the commands
 * that add them.
 */
export class SearchAttributesMissingError extends PipelineError {
  static readonly CODE = 'search_attributes_missing';
  readonly code = 'search_attributes_missing' as const;
  constructor(
    readonly namespace: string,
    readonly missing: ReadonlyArray<{ name: string; type: string }>,
    why: string,
    options?: { cause?: unknown },
  ) {
    const commands = missing.map(
      (a) =>
        `  temporal operator search-attribute create --namespace ${namespace} --name ${a.name} --type ${a.type}`,
    );
    super(
      `Namespace ${namespace} has no search attribute ${missing.map((a) => `${a.name} (${a.type})`).join(', ')}, ` +
        `which every run carries, and ${why}. Ask an operator to add ${missing.length === 1 ? 'it' : 'them'} once:\n` +
        `${commands.join('\n')}\n` +
        `(or run deploy/temporal/setup-namespace.sh with TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE set; ` +
        `on Temporal Cloud add them to the namespace with \`tcld namespace search-attributes add\` or the Cloud UI).`,
      options,
    );
  }
}

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** The `details[0]` the `runPipeline` workflow attaches to its `PipelineNodeFailed` failure. */
interface NodeFailedDetails {
  nodeId?: string;
  attempts?: number;
  /** The failing step's error code. */
  code?: string;
  /** With code `BudgetExceeded`: the budget that refused the step. */
  budget?: BudgetBreach;
}

/**
 * Translates an error from a Temporal call into ours; errors that are already ours, and errors
 * this library has no better name for, are returned unchanged.
 */
export function translateError(err: unknown, taskId?: string): unknown {
  if (err instanceof PipelineError) return err;
  if (err instanceof WorkflowNotFoundError) {
    return new NotFoundError(`No run ${err.workflowId || taskId || ''} in this namespace`.trim(), {
      cause: err,
    });
  }
  if (err instanceof ScheduleNotFoundError) {
    return new NotFoundError(`No schedule ${err.scheduleId || taskId || ''} in this namespace`.trim(), {
      cause: err,
    });
  }
  if (err instanceof ScheduleAlreadyRunning) {
    return new AlreadyExistsError(`A schedule with id ${err.scheduleId} already exists`, { cause: err });
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new AlreadyExistsError(`A run with id ${err.workflowId} already exists`, { cause: err });
  }
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    const details =
      cause instanceof ApplicationFailure ? (cause.details?.[0] as NodeFailedDetails | undefined) : undefined;
    const status =
      cause instanceof TerminatedFailure
        ? 'terminated'
        : cause instanceof CancelledFailure
          ? 'cancelled'
          : cause instanceof TimeoutFailure
            ? 'timed_out'
            : 'failed';
    if (status === 'failed' && details?.code === 'BudgetExceeded') {
      return new BudgetExceededError(
        taskId ?? '',
        cause?.message ?? err.message,
        details.nodeId,
        details.attempts,
        details.budget,
        { cause: err },
      );
    }
    return new PipelineRunFailedError(
      taskId ?? '',
      cause?.message ?? err.message,
      details?.nodeId,
      details?.attempts,
      { cause: err, status },
    );
  }
  if (err instanceof ServiceError || isGrpcServiceError(err)) {
    const grpc = err instanceof ServiceError ? err.cause : err;
    const code = (grpc as { code?: number } | undefined)?.code;
    if (code === GrpcStatus.RESOURCE_EXHAUSTED) {
      const hints = rateLimitHints(grpc);
      // "Failed to start Workflow: namespace rate limit exceeded (RPS_LIMIT)"
      let message = err.message;
      if (hints.serverMessage && !message.includes(hints.serverMessage))
        message += `: ${hints.serverMessage}`;
      if (hints.reason) message += ` (${hints.reason})`;
      return new RateLimitError(message, hints.retryAfterMs, {
        cause: err,
        reason: hints.reason,
        scope: hints.scope,
      });
    }
    if (code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.INTERNAL) {
      return new InternalServerError(err.message, { cause: err });
    }
    if (code === GrpcStatus.NOT_FOUND) return new NotFoundError(err.message, { cause: err });
    if (code === GrpcStatus.INVALID_ARGUMENT) return unknownSearchAttribute(err) ?? err;
  }
  return err;
}

/**
 * A start the server refused because the namespace lacks one of our search attributes
 * ("Namespace default has no mapping defined for search attribute PipelineName"), as
 * `SearchAttributesMissingError` naming the command that adds it; undefined for other errors.
 */
function unknownSearchAttribute(err: Error): SearchAttributesMissingError | undefined {
  const grpc = err.cause instanceof Error ? err.cause.message : '';
  const match = /Namespace (\S+) has no mapping defined for search attribute (\w+)/.exec(
    `${err.message} ${grpc}`,
  );
  const attribute = Object.values(SEARCH_ATTRIBUTES).find((a) => a.name === match?.[2]);
  if (!match || !attribute) return undefined;
  return new SearchAttributesMissingError(
    match[1] as string,
    [{ name: attribute.name, type: attribute.type }],
    'the server refused to start the run without it (a worker adds the missing ones at start when it has operator rights)',
    { cause: err },
  );
}

// ---------------------------------------------------------------------------------------------
// What a RESOURCE_EXHAUSTED says about itself. Temporal puts a `google.rpc.Status` in the
// `grpc-status-details-bin` trailer whose details hold a `temporal.api.errordetails.v1.
// ResourceExhaustedFailure { cause, scope }`; a server or proxy may add a standard
// `google.rpc.RetryInfo { retry_delay }` or `grpc-retry-pushback-ms`. These few protobuf messages
// are decoded here from the wire format so the client needs no protobuf runtime of its own.

interface RateLimitHints {
  serverMessage?: string;
  reason?: string;
  scope?: string;
  retryAfterMs?: number;
}

/** `temporal.api.enums.v1.ResourceExhaustedCause`, without its `RESOURCE_EXHAUSTED_CAUSE_` prefix. */
const RESOURCE_EXHAUSTED_CAUSES: Record<number, string> = {
  1: 'RPS_LIMIT',
  2: 'CONCURRENT_LIMIT',
  3: 'SYSTEM_OVERLOADED',
  4: 'PERSISTENCE_LIMIT',
  5: 'BUSY_WORKFLOW',
  6: 'APS_LIMIT',
  7: 'PERSISTENCE_STORAGE_LIMIT',
  8: 'CIRCUIT_BREAKER_OPEN',
  9: 'OPS_LIMIT',
  10: 'WORKER_DEPLOYMENT_LIMITS',
};
/** `temporal.api.enums.v1.ResourceExhaustedScope`, without its prefix. */
const RESOURCE_EXHAUSTED_SCOPES: Record<number, string> = { 1: 'NAMESPACE', 2: 'SYSTEM' };

interface GrpcErrorLike {
  details?: unknown;
  metadata?: { get(key: string): unknown[] };
}

function rateLimitHints(grpc: unknown): RateLimitHints {
  const hints: RateLimitHints = {};
  const { details, metadata } = (grpc ?? {}) as GrpcErrorLike;
  if (typeof metadata?.get === 'function') {
    const pushback = metadata.get('grpc-retry-pushback-ms')[0];
    if (typeof pushback === 'string' && /^\d+$/.test(pushback)) hints.retryAfterMs = Number(pushback);
    const status = metadata.get('grpc-status-details-bin')[0];
    try {
      if (status instanceof Uint8Array) readStatus(status, hints);
    } catch {
      // Details we cannot read are no hints.
    }
  }
  // Without a readable status, the gRPC error's own text (the SDK may have replaced it with bytes
  // for Update-with-Start, hence the check for control characters).
  // eslint-disable-next-line no-control-regex
  if (hints.serverMessage === undefined && typeof details === 'string' && !/[\x00-\x08]/.test(details)) {
    hints.serverMessage = details || undefined;
  }
  return hints;
}

/**
 * Reads a `google.rpc.Status` { code, message, details: Any[] } into `hints`. Temporal's
 * `MultiOperationExecutionFailure` (Update-with-Start, as `pipelines.save` uses) wraps one such
 * status per operation: the one that was RESOURCE_EXHAUSTED is read the same way.
 */
function readStatus(bytes: Uint8Array, hints: RateLimitHints): void {
  const status = fieldsOf(bytes);
  const message = textOf(status.find((f) => f.field === 2));
  if (message) hints.serverMessage = message;
  for (const any of status.filter((f) => f.field === 3)) {
    const parts = fieldsOf(bytesOf(any));
    const typeUrl = textOf(parts.find((f) => f.field === 1));
    const value = bytesOf(parts.find((f) => f.field === 2));
    const type = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    if (type === 'temporal.api.errordetails.v1.ResourceExhaustedFailure') {
      const failure = fieldsOf(value);
      const cause = numberOf(failure.find((f) => f.field === 1));
      const scope = numberOf(failure.find((f) => f.field === 2));
      if (cause) hints.reason = RESOURCE_EXHAUSTED_CAUSES[cause] ?? `CAUSE_${cause}`;
      if (scope) hints.scope = RESOURCE_EXHAUSTED_SCOPES[scope] ?? `SCOPE_${scope}`;
    } else if (type === 'google.rpc.RetryInfo') {
      const delay = fieldsOf(bytesOf(fieldsOf(value).find((f) => f.field === 1)));
      const seconds = numberOf(delay.find((f) => f.field === 1)) ?? 0;
      const nanos = numberOf(delay.find((f) => f.field === 2)) ?? 0;
      // A negative or absurd delay (a 10-byte varint) is no hint.
      if (seconds < 1e9 && nanos < 1e9) hints.retryAfterMs = Math.ceil(seconds * 1000 + nanos / 1e6);
    } else if (type === 'temporal.api.errordetails.v1.MultiOperationExecutionFailure') {
      for (const operation of fieldsOf(value).filter((f) => f.field === 1)) {
        const code = numberOf(fieldsOf(bytesOf(operation)).find((f) => f.field === 1));
        if (code === GrpcStatus.RESOURCE_EXHAUSTED) readStatus(bytesOf(operation), hints);
      }
    }
  }
}

/** One field of a protobuf message: a varint (wire type 0) or length-delimited bytes (2). */
interface WireField {
  field: number;
  value: number | Uint8Array;
}

const bytesOf = (f: WireField | undefined): Uint8Array =>
  f?.value instanceof Uint8Array ? f.value : new Uint8Array();
const numberOf = (f: WireField | undefined): number | undefined =>
  typeof f?.value === 'number' ? f.value : undefined;
const textOf = (f: WireField | undefined): string => new TextDecoder().decode(bytesOf(f));

/** The top-level fields of a protobuf message (fixed-width fields are skipped). */
function fieldsOf(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 1; ; shift *= 128) {
      if (at >= bytes.length) throw new RangeError('truncated varint');
      const byte = bytes[at++] as number;
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) fields.push({ field, value: varint() });
    else if (wireType === 2) {
      const length = varint();
      if (at + length > bytes.length) throw new RangeError('truncated field');
      fields.push({ field, value: bytes.subarray(at, at + length) });
      at += length;
    } else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else throw new RangeError(`unsupported wire type ${wireType}`);
  }
  return fields;
}
