/**
 * `wait_for_event` steps: the run's open waits, the `sendEvent` update's validator and handler,
 * and the wait itself. A wait is a `condition` in the workflow (with a durable timer when the step
 * has a timeout): it holds no worker slot and writes nothing to history while it waits.
 *
 * Events are taken only while their step waits: an event for a step that has not started waiting
 * (pending) or has settled is refused, as is one whose payload does not fit the step's schema.
 * The validator refuses, so a refused event leaves nothing in history.
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { checkEventPayload, type EventSchema, type PayloadIssue } from '../../model';
import type { Duration } from '../../model';
import { durationToMs } from '../../model';
import type { EventWaitNode, ExecutionPlan } from '../../model';
import { utf8Length } from '../../protocol';
import { didYouMean } from '../../model';
import { isRecord } from '../../model';
import { nowIso } from '../run/clock';
import {
  EVENT_REJECTED,
  type EventRejection,
  type EventRejectionReason,
  type EventWait,
  type SendEventRequest,
  type SendEventResult,
} from '../../protocol';
import type { StepOutcome } from './types';
import type { RunState } from '../run/runState';

/** The largest event payload a run takes (its JSON, UTF-8). */
export const MAX_EVENT_PAYLOAD_BYTES = 256 * 1024;
/** The longest `by` an event may carry. */
const MAX_BY_LENGTH = 256;

interface OpenWait {
  event: string;
  schema?: EventSchema;
  received?: { payload: unknown; at: string; by?: string };
}

export class EventWaits {
  private readonly open = new Map<string, OpenWait>();
  private readonly kinds: ReadonlyMap<string, string>;

  constructor(
    plan: ExecutionPlan,
    private readonly state: RunState,
  ) {
    this.kinds = new Map(plan.nodes.map((node) => [node.id, node.kind]));
  }

  /** The `sendEvent` validator: throws an `EventRejected` failure for an event the run refuses. */
  validate(request: SendEventRequest): void {
    const req: Partial<SendEventRequest> = typeof request === 'object' && request !== null ? request : {};
    const id = typeof req.node === 'string' ? req.node : '';
    if (id === '') reject('invalid_payload', '', 'An event needs { node, payload }: node is missing.');
    const kind = this.kinds.get(id);
    if (kind === undefined) {
      const waitSteps = [...this.kinds].filter(([, k]) => k === 'wait_for_event').map(([step]) => step);
      reject(
        'unknown_step',
        id,
        `No step '${id}' in this run.${didYouMean(id, waitSteps)}` +
          (waitSteps.length > 0 ? ` Its wait_for_event steps: ${waitSteps.join(', ')}.` : ''),
      );
    }
    if (kind !== 'wait_for_event') {
      reject('not_an_event_step', id, `Step '${id}' is a ${kind} step, not a wait_for_event step.`);
    }
    const wait = this.open.get(id);
    if (!wait || wait.received) {
      const status = this.state.status(id);
      const why = wait?.received
        ? 'an event for it was already accepted'
        : status === 'pending'
          ? 'it has not started waiting yet (pending); send the event once it waits'
          : `it is ${status}`;
      reject('not_waiting', id, `Step '${id}' is not waiting for an event: ${why}.`);
    }
    if (req.by !== undefined && (typeof req.by !== 'string' || req.by.length > MAX_BY_LENGTH)) {
      reject('invalid_payload', id, `by must be a string of at most ${MAX_BY_LENGTH} characters.`);
    }
    if (req.payload === undefined) {
      reject('invalid_payload', id, `The event for step '${id}' has no payload.`);
    }
    const bytes = utf8Length(JSON.stringify(req.payload) ?? '');
    if (bytes > MAX_EVENT_PAYLOAD_BYTES) {
      reject(
        'invalid_payload',
        id,
        `The payload is ${bytes} bytes of JSON; an event's payload is at most ${MAX_EVENT_PAYLOAD_BYTES}.`,
      );
    }
    const issues = wait.schema ? checkEventPayload(wait.schema, req.payload) : [];
    if (issues.length > 0) {
      reject(
        'invalid_payload',
        id,
        `The payload does not fit the schema of step '${id}': ${issues.map((i) => i.message).join('; ')}.`,
        issues,
      );
    }
  }

  /** The `sendEvent` handler (after the validator accepted): the waiting step takes the event. */
  deliver(request: SendEventRequest): SendEventResult {
    const wait = this.open.get(request.node);
    // The validator ran before (and on replay the same state holds); guard against a bug anyway.
    if (!wait || wait.received)
      throw ApplicationFailure.nonRetryable('the step is not waiting', EVENT_REJECTED);
    const at = nowIso();
    wait.received = { payload: request.payload, at, ...(request.by !== undefined && { by: request.by }) };
    this.state.log(
      'info',
      `step ${request.node} received event '${wait.event}'${request.by !== undefined ? ` from ${request.by}` : ''}`,
      request.node,
    );
    return { node: request.node, event: wait.event, receivedAt: at };
  }

  /**
   * Waits for the step's event (or its timeout). Rejects only with a cancellation; everything
   * else is an outcome. `params` are the step's rendered params.
   */
  async wait(node: EventWaitNode, params: Record<string, unknown>): Promise<StepOutcome> {
    const event = typeof params.event === 'string' ? params.event : node.id;
    const schema = isRecord(params.schema) ? (params.schema as unknown as EventSchema) : undefined;
    const timeoutMs = params.timeout !== undefined ? durationToMs(params.timeout as Duration) : undefined;
    const onTimeout = params.on_timeout === 'default' ? 'default' : 'fail';
    const since = nowIso();
    const waitingFor: EventWait = { event, since };
    if (typeof params.prompt === 'string') waitingFor.prompt = params.prompt;
    if (schema) waitingFor.schema = schema;
    if (timeoutMs !== undefined) {
      waitingFor.timeoutAt = new Date(Date.parse(since) + timeoutMs).toISOString();
      waitingFor.onTimeout = onTimeout;
    }
    const wait: OpenWait = { event, ...(schema && { schema }) };
    this.open.set(node.id, wait);
    this.state.waiting(node.id, waitingFor);
    const arrived = () => wait.received !== undefined;
    try {
      if (timeoutMs === undefined) await condition(arrived);
      else await condition(arrived, timeoutMs, { summary: `${node.id} · waiting for ${event}` });
    } finally {
      this.open.delete(node.id);
    }
    // An event accepted in the workflow task in which the timer fired still counts.
    if (wait.received) {
      const { payload, at, by } = wait.received;
      return {
        status: 'completed',
        attempts: 1,
        output: { payload, timedOut: false, receivedAt: at, by: by ?? null },
      };
    }
    const after = formatMs(timeoutMs ?? 0);
    if (onTimeout === 'fail') {
      return {
        status: 'failed',
        attempts: 1,
        error: { code: 'EventTimeout', message: `no event '${event}' arrived within ${after}` },
      };
    }
    const fallback = params.default ?? null;
    const issues = schema ? checkEventPayload(schema, fallback) : [];
    if (issues.length > 0) {
      return {
        status: 'failed',
        attempts: 1,
        error: {
          code: 'InvalidDefault',
          message: `no event '${event}' arrived within ${after}, and the default does not fit the schema: ${issues.map((i) => i.message.replace(/^payload/, 'default')).join('; ')}`,
        },
      };
    }
    this.state.log('info', `step ${node.id}: no event '${event}' within ${after}; took the default`, node.id);
    return {
      status: 'completed',
      attempts: 1,
      output: { payload: fallback, timedOut: true, receivedAt: null, by: null },
    };
  }
}

function reject(reason: EventRejectionReason, node: string, message: string, issues?: PayloadIssue[]): never {
  const details: EventRejection = { reason, node, ...(issues && { issues }) };
  throw ApplicationFailure.create({ type: EVENT_REJECTED, message, nonRetryable: true, details: [details] });
}

/** `90 s`, `2 h`, `1.5 d`. */
function formatMs(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size) return `${Number((ms / size).toFixed(2))} ${unit}`;
  }
  return `${ms} ms`;
}
