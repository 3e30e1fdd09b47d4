/** The signals node activities send the run while they work: streamed text and attempt events. */
import { defineSignal } from '@temporalio/workflow';
import { STREAM_DELTAS_SIGNAL, type StreamDeltaBatch } from '../streamChunks';
import { ATTEMPT_EVENT_SIGNAL, type AttemptEvent } from '../attempts';

/**
 * Node activities send their streamed text with this signal (batched: see `STREAM_BATCH_MS`,
 * `STREAM_BATCH_BYTES`). The run drops batches it has seen (by `nodeId`, `attempt`, `batch`),
 * batches of older attempts, and batches for steps that are not running.
 */
export const streamDeltasSignal = defineSignal<[StreamDeltaBatch]>(STREAM_DELTAS_SIGNAL);

/**
 * Node activities report failed attempts that will be retried, and the start of each retry, with
 * this signal; the run writes them to its log (see {@link RunLogAttemptFailure}). Events for
 * unknown steps, steps not running, or attempts already recorded are dropped.
 */
export const attemptEventSignal = defineSignal<[AttemptEvent]>(ATTEMPT_EVENT_SIGNAL);
