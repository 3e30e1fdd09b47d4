/**
 * The one table of node error codes: each stable code (`ApplicationFailure.type`) a node activity
 * throws, whether Temporal may retry it, and what it means. `NODE_ERROR_CODES`, `isRetryableCode`
 * (the activities' classifier) and `ALWAYS_NON_RETRYABLE` (every plan's retry policy) derive from it.
 */

interface NodeErrorEntry {
  /** Whether Temporal may retry a failure with this code. */
  readonly retryable: boolean;
  /**
   * Non-retryable codes only: whether the code is listed in every activity's retry policy
   * (`nonRetryableErrorTypes`). `false` for codes added after plans were first recorded: the
   * activity always throws them non-retryable, and leaving them out keeps every plan's policy,
   * and so recorded histories, as they were.
   */
  readonly inRetryPolicy?: false;
  readonly meaning: string;
}

/** Every node error code, in a fixed order (the policy's list follows it). */
export const NODE_ERRORS = {
  RateLimited: { retryable: true, meaning: '429 from a provider or API; honours `retry-after`.' },
  UpstreamUnavailable: { retryable: true, meaning: '5xx, 408, 409, connection reset, broken stream.' },
  UpstreamTimeout: { retryable: true, meaning: 'The request timed out.' },
  BadRequest: { retryable: false, meaning: 'Other 4xx: the request is wrong.' },
  Unauthorized: { retryable: false, meaning: '401/403: credentials missing or refused.' },
  ResponseTooLarge: { retryable: false, meaning: "The response was larger than the node's cap." },
  OutputTooLarge: {
    retryable: false,
    meaning:
      "The node's result is larger than a payload may be (Temporal refuses payloads over 2 MiB) and the worker has no claim check to store it outside history.",
  },
  NodeConfigError: {
    retryable: false,
    meaning:
      "The node's configuration cannot work on this worker (unknown provider, missing secret, invalid params, …).",
  },
  InvalidActionParams: {
    retryable: false,
    meaning: "A user action's params failed its schema on the worker.",
  },
  ActionFailed: {
    retryable: true,
    meaning: 'A user action threw; retried unless it threw a non-retryable `ApplicationFailure` of its own.',
  },
  BudgetExceeded: {
    retryable: false,
    inRetryPolicy: false,
    meaning: "The run's or the step's token / cost budget is used up.",
  },
  BudgetUnpriced: {
    retryable: false,
    inRetryPolicy: false,
    meaning: 'A step under a cost budget names a model the worker has no price for.',
  },
  SecretNotFound: {
    retryable: false,
    meaning: "`{{ secrets.NAME }}` names a secret the worker's allow-list does not hold.",
  },
  EgressDenied: {
    retryable: false,
    meaning: "The worker's egress policy refuses the request's destination (loopback, private, …).",
  },
} as const satisfies Record<string, NodeErrorEntry>;

/**
 * Stable error codes (`ApplicationFailure.type`) node activities throw. The retry policy's
 * `nonRetryableErrorTypes` and the users' `retry.non_retryable_errors` speak these.
 */
export type NodeErrorCode = keyof typeof NODE_ERRORS;
export const NODE_ERROR_CODES = Object.freeze(Object.keys(NODE_ERRORS) as NodeErrorCode[]);

function entryOf(code: NodeErrorCode): NodeErrorEntry {
  if (!Object.hasOwn(NODE_ERRORS, code)) throw new TypeError(`unexpected node error code: ${String(code)}`);
  return NODE_ERRORS[code];
}

/** Whether Temporal may retry a failure with this code. @throws TypeError for a code not in the table */
export function isRetryableCode(code: NodeErrorCode): boolean {
  return entryOf(code).retryable;
}

/**
 * Error types never retried whatever the step says: the non-retryable codes listed in every
 * activity's retry policy. Part of every plan: its contents and order must not change.
 */
export const ALWAYS_NON_RETRYABLE: readonly NodeErrorCode[] = Object.freeze(
  NODE_ERROR_CODES.filter((code) => !entryOf(code).retryable && entryOf(code).inRetryPolicy !== false),
);
