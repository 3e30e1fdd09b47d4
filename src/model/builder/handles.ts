/** The handles `add()` returns per node kind: the step's id and name, and references to its output. */
import type { TokenUsage } from '../kinds/nodeRun';
import type { MapItemError } from '../plan/mapItems';
import type { Ref } from './refs';

/** What every node handle has. */
export interface StepHandle {
  readonly id: string;
  readonly name: string;
  /** The step's status while the run goes on (`completed`, `skipped`, …). */
  readonly status: Ref<string>;
}

export type InputHandle<V> = StepHandle & { readonly value: Ref<V> } & (V extends string
    ? { /** The input's text (same as `value`). */ readonly text: Ref<string> }
    : unknown);

export interface LlmHandle extends StepHandle {
  /** The model's answer (parsed JSON when `json: true`). */
  readonly response: Ref<string>;
  readonly usage: Ref<TokenUsage>;
  readonly model: Ref<string>;
  readonly finishReason: Ref<string>;
}

export interface ApiCallHandle<Body = unknown> extends StepHandle {
  readonly status: Ref<string>;
  /** The HTTP status code. */
  readonly httpStatus: Ref<number>;
  readonly ok: Ref<boolean>;
  readonly headers: Ref<Record<string, string>>;
  readonly body: Ref<Body>;
}

export interface NotificationHandle extends StepHandle {
  readonly httpStatus: Ref<number>;
  readonly delivered: Ref<boolean>;
}

export interface ConditionHandle extends StepHandle {
  readonly result: Ref<boolean>;
}

export interface ValueHandle<T> extends StepHandle {
  /** The step's whole output. */
  readonly output: Ref<T>;
}

export interface LogHandle extends StepHandle {
  readonly message: Ref<string>;
}

/** A `pipeline` step: another saved pipeline run as a child (see {@link SubPipelineOptions}). */
export interface SubPipelineHandle<O = Record<string, unknown>> extends StepHandle {
  /** The whole output: `{ outputs, executionId, version }`. */
  readonly output: Ref<{ outputs: O; executionId: string; version: number }>;
  /** The child run's `result().outputs`. */
  readonly outputs: Ref<O>;
  /** The child run's execution id (`<this run's id>/<step id>`). */
  readonly executionId: Ref<string>;
  /** The saved version the child ran. */
  readonly version: Ref<number>;
}

/** A `wait_for_event` step: its output's fields (see `WaitForEventOutput`). */
export interface EventHandle<P = unknown> extends StepHandle {
  /** The whole output: `{ payload, timedOut, receivedAt, by }`. */
  readonly output: Ref<{ payload: P; timedOut: boolean; receivedAt: string | null; by: string | null }>;
  /** The event's payload (or the default, when it timed out). */
  readonly payload: Ref<P>;
  /** No event arrived in time and the default was taken. */
  readonly timedOut: Ref<boolean>;
  /** When the event was accepted (ISO); null when it timed out. */
  readonly receivedAt: Ref<string | null>;
  /** Who sent the event, when the sender said; else null. */
  readonly by: Ref<string | null>;
}

/** The payload of an approval (see `APPROVAL_SCHEMA`). */
export interface ApprovalPayload {
  approved: boolean;
  comment?: string;
  by?: string;
}

export interface ApprovalHandle extends EventHandle<ApprovalPayload> {
  /** The decision: `payload.approved` (a boolean; use it as a `condition`). */
  readonly approved: Ref<boolean>;
}

/** A `map` step: `R` is what one item yields (an item step's output, or a child run's outputs). */
export interface MapHandle<R = unknown> extends StepHandle {
  /** The whole output: `{ results, errors, executionId }`. */
  readonly output: Ref<{ results: (R | null)[]; errors: MapItemError[]; executionId: string }>;
  /** One result per item, in the items' order (null for an item that failed, with `onItemFailure: 'continue'`). */
  readonly results: Ref<R[]>;
  /** The items that failed for good, by index (only with `onItemFailure: 'continue'`). */
  readonly errors: Ref<MapItemError[]>;
  /** The map workflow's execution id (`<this run's id>/<step id>`). */
  readonly executionId: Ref<string>;
}
