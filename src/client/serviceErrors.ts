/**
 * The client's errors about the server and what it holds: not found, already exists, refused
 * for load, failed internally, unreachable, and a namespace without our search attributes.
 */
import { PipelineError } from '../model';

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
