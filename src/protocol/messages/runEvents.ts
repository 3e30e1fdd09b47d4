/** Events for a waiting `wait_for_event` step: the `sendEvent` update, its answer and its refusals. */
import { defineUpdate } from '@temporalio/workflow';
import type { PayloadIssue } from '../../model';

/** An event for a waiting `wait_for_event` step (the {@link sendEventUpdate}'s argument). */
export interface SendEventRequest {
  /** The step id of the `wait_for_event` step. */
  node: string;
  /** Checked against the step's `schema`; becomes the step's `output.payload`. */
  payload: unknown;
  /** Who sends it (at most 256 characters); the step's `output.by` and the run log say so. */
  by?: string;
}

/** What the run answers an event it accepted with. */
export interface SendEventResult {
  node: string;
  event: string;
  /** When the run accepted it (ISO, workflow time). */
  receivedAt: string;
}

/** Why the run refused an event. */
export type EventRejectionReason =
  /** No step with that id in the run. */
  | 'unknown_step'
  /** The step is not a `wait_for_event` step. */
  | 'not_an_event_step'
  /** The step has not started waiting yet (pending), or has settled (an event already arrived, it timed out, was skipped or cancelled). */
  | 'not_waiting'
  /** The payload does not fit the step's `schema` (see `issues`), or the request is malformed. */
  | 'invalid_payload';

/** `details[0]` of the `EventRejected` failure the update's validator throws. */
export interface EventRejection {
  reason: EventRejectionReason;
  node: string;
  /** With `invalid_payload`: every way the payload does not fit (paths inside the payload). */
  issues?: PayloadIssue[];
}

/** The failure type of a refused event (the validator's `ApplicationFailure.type`). */
export const EVENT_REJECTED = 'EventRejected';

/**
 * Sends an event to a waiting `wait_for_event` step. The validator refuses (and nothing enters
 * the run's history) an unknown step, a step of another kind, a step not waiting, and a payload
 * that does not fit the step's schema; an accepted event completes the step.
 */
export const sendEventUpdate = defineUpdate<SendEventResult, [SendEventRequest]>('sendEvent');
