/**
 * Users' own actions: typed activities the worker registers and steps name in `action`.
 */
import type { z } from 'zod';
import { isBuiltinKind } from './catalog';
import type { RunLogLevel } from './nodeRun';

/**
 * Logs attributed to the step: `ctx.log('info', 'charged')` or `ctx.log.info('charged', attrs)`.
 * Each record goes to the worker's logger (with `nodeId`, `taskId`, `traceId` and `attrs`) and,
 * message only, into the run's log (`source: 'action'`, with the step id and attempt). Never log
 * secrets: the run's log is readable by anyone who can query the run.
 *
 * The run keeps what the attempt that settled the step logged (at most 100 records per attempt,
 * messages cut at 2 KiB). Records of attempts that failed and were retried, or of an attempt that
 * threw its own `ApplicationFailure`, reach only the worker's logger.
 */
export interface ActionLogger {
  (level: RunLogLevel, message: string): void;
  debug(message: string, attrs?: Record<string, unknown>): void;
  info(message: string, attrs?: Record<string, unknown>): void;
  warn(message: string, attrs?: Record<string, unknown>): void;
  error(message: string, attrs?: Record<string, unknown>): void;
}

/** What an action's `run` gets besides its params. Implemented by the activities layer. */
export interface ActionContext {
  /** The step id. */
  readonly nodeId: string;
  /** The current attempt, 1-based. */
  readonly attempt: number;
  /** The run's workflow id. */
  readonly taskId: string;
  /** W3C trace id of the run. */
  readonly traceId: string;
  /** Aborted when the activity is cancelled or times out: pass it to every I/O call. */
  readonly signal: AbortSignal;
  /** Records progress; long actions should call it regularly so cancellation reaches them. */
  heartbeat(details?: unknown): void;
  /** Logs to the worker's logger and the run's log; see {@link ActionLogger}. */
  readonly log: ActionLogger;
}

/**
 * A registered action. `P` is what `run` receives (the schema's output, after the worker
 * validated the rendered params), `O` what it returns (the node's output; keep it JSON).
 *
 * @template P params after validation
 * @template O the action's output
 */
export interface ActionDefinition<P = unknown, O = unknown> {
  readonly name: string;
  readonly description?: string;
  /** Validates the rendered params on the worker (failures are `InvalidActionParams`, not retried). */
  readonly params: z.ZodType<P>;
  /** The output's fields, when fixed: lets the compiler check `steps.<id>.output.<field>`. */
  readonly outputs?: readonly string[];
  run(params: P, ctx: ActionContext): Promise<O>;
}

/** The name rule for actions: it becomes an activity type and appears in definitions. */
export const ACTION_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Declares an action. Pass it to the worker (it becomes an activity named `name`) and to
 * `compile(doc, { actions })` so steps using it are checked.
 *
 * @throws TypeError when the name is invalid or is a built-in kind.
 * @example
 * const chargeCard = defineAction({
 *   name: 'charge_card',
 *   params: z.object({ to: z.string(), amount: z.number().positive() }),
 *   outputs: ['receipt'],
 *   run: async ({ to, amount }, ctx) => ({ receipt: await charge(to, amount, { signal: ctx.signal }) }),
 * });
 */
export function defineAction<S extends z.ZodType, O>(definition: {
  name: string;
  description?: string;
  params: S;
  outputs?: readonly string[];
  run: (params: z.output<S>, ctx: ActionContext) => Promise<O>;
}): ActionDefinition<z.output<S>, O> {
  const { name, description, params, outputs, run } = definition;
  if (typeof name !== 'string' || name.length > 128 || !ACTION_NAME_RE.test(name)) {
    throw new TypeError(
      `Invalid action name ${JSON.stringify(name)}: use letters, digits, '_', '.', '-', not starting with a digit (at most 128 characters)`,
    );
  }
  if (isBuiltinKind(name)) {
    throw new TypeError(`Action name "${name}" is a built-in node kind; choose another name`);
  }
  if (typeof run !== 'function') throw new TypeError(`Action "${name}" needs a run function`);
  return Object.freeze({
    name,
    ...(description !== undefined && { description }),
    params: params as z.ZodType<z.output<S>>,
    ...(outputs !== undefined && { outputs: Object.freeze([...outputs]) }),
    run,
  });
}

/** What the compiler needs to know about an action: its params schema and output fields. */
export interface ActionSpec {
  params?: z.ZodType;
  outputs?: readonly string[];
}

/** `{ [action.name]: action }` for `compile(doc, { actions: actionsByName(list) })`. */
export function actionsByName(actions: readonly ActionDefinition[]): Record<string, ActionSpec> {
  const out: Record<string, ActionSpec> = {};
  for (const action of actions) out[action.name] = action;
  return out;
}
