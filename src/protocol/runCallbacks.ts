/**
 * End-of-run callbacks: the contract between the `runPipeline` workflow, which decides when and
 * what to send, and the worker's `pipelineCallback` activity, which POSTs it (and signs it when
 * the worker has a secret). Plain JSON types; pure.
 */

/** The activity type of the callback activity. A user action cannot take this name. */
export const PIPELINE_CALLBACK_ACTIVITY = 'pipelineCallback';

/** The header carrying the callback's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const CALLBACK_SIGNATURE_HEADER = 'x-pipeline-signature';

/** The header repeating the body's `deliveryId` (the signed copy is the one in the body). */
export const CALLBACK_DELIVERY_HEADER = 'x-pipeline-delivery';

/** Default number of delivery attempts of a callback. */
export const DEFAULT_CALLBACK_MAX_ATTEMPTS = 5;
/** Most delivery attempts a run may ask for. */
export const MAX_CALLBACK_ATTEMPTS = 20;

/** How a run ended, as its callback reports it. */
export type CallbackRunStatus = 'completed' | 'failed' | 'cancelled';

/**
 * The JSON body POSTed to `callbacks.onComplete` (status `completed`) or `callbacks.onFailure`
 * (status `failed` or `cancelled`).
 */
export interface PipelineCallbackBody {
  /**
   * This delivery's id: the same on every attempt to deliver it, different for every run. The
   * signature covers it, so a receiver that keeps the ids it has processed (for as long as a
   * signature stays valid, 2 × 300 s) can drop a repeated request — a retry whose answer was
   * lost, or a replay of a captured one. See `DeliveryLog`.
   */
  deliveryId: string;
  /** The run's workflow id (its `taskId`). */
  executionId: string;
  /** The pipeline's name. */
  pipelineId: string;
  /** The saved version the run pinned, else the first 12 hex digits of the definition hash. */
  pipelineVersion: string;
  status: CallbackRunStatus;
  /** `completed`: the run's outputs; `failed`: the outputs that were produced before it failed. */
  outputs?: Record<string, unknown>;
  /** `failed`: the step that failed the run, its attempt count and the cause. */
  error?: { message: string; stepId?: string; attempts?: number };
  /** ISO 8601: when the run ended (workflow time). */
  completedAt: string;
  /** The run this one retried, when it is a retry. */
  retryOf?: string;
}

/** The body as the workflow builds it; the worker's callback activity adds the `deliveryId`. */
export type PipelineCallbackReport = Omit<PipelineCallbackBody, 'deliveryId'>;

/** What the workflow passes to the callback activity. The signing secret is not here: only the worker has it. */
export interface PipelineCallbackInput {
  url: string;
  body: PipelineCallbackReport;
  /** The run's W3C trace id, sent on as `traceparent`. */
  traceId: string;
}

/** What the callback activity returns when the receiver answered 2xx. */
export interface PipelineCallbackResult {
  /** The receiver's HTTP status. */
  status: number;
  /** The attempt that was delivered (1-based). */
  attempt: number;
}
