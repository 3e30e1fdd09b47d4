/**
 * Shared bits of the activity tests: a quiet `MockActivityEnvironment`, node inputs, and a
 * helper that captures the `ApplicationFailure` an activity throws.
 */
import { ApplicationFailure, type Logger, type LogLevel, type LogMetadata } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Info } from '@temporalio/activity';
import { NodeActivityError } from '../../../src/activities/nodes/nodeFailures';
import type { NodeActivity } from '../../../src/activities/nodes/wrapNodeActivity';
import type {
  NodeActivityInput,
  NodeActivityResult,
  NodeFailureDetails,
} from '../../../src/protocol/nodeActivity';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

export function nodeInput(
  params: Record<string, unknown>,
  overrides: Partial<NodeActivityInput> = {},
): NodeActivityInput {
  return {
    nodeId: 'step_1',
    params,
    run: { taskId: 'task-123', traceId: TRACE_ID, pipeline: 'unit-pipeline' },
    ...overrides,
  };
}

export interface LogEntry {
  level: LogLevel;
  message: string;
  meta?: LogMetadata;
}

/** A logger that keeps entries instead of printing them. */
export function memoryLogger(entries: LogEntry[] = []): Logger & { entries: LogEntry[] } {
  const push = (level: LogLevel) => (message: string, meta?: LogMetadata) =>
    void entries.push({ level, message, meta });
  return {
    entries,
    log: (level, message, meta) => void entries.push({ level, message, meta }),
    trace: push('TRACE'),
    debug: push('DEBUG'),
    info: push('INFO'),
    warn: push('WARN'),
    error: push('ERROR'),
  };
}

export interface TestEnv {
  env: MockActivityEnvironment;
  heartbeats: unknown[];
  logs: LogEntry[];
}

/** A mock activity environment that records heartbeats and logs. */
export function mockEnv(info: Partial<Info> = {}): TestEnv {
  const logger = memoryLogger();
  const env = new MockActivityEnvironment({ attempt: 1, ...info }, { logger });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  return { env, heartbeats, logs: logger.entries };
}

/** Runs a node activity in the mock environment (typed: `MockActivityEnvironment.run` infers `unknown`). */
export function runNode(
  env: MockActivityEnvironment,
  act: NodeActivity,
  input: NodeActivityInput,
): Promise<NodeActivityResult> {
  return env.run(act, input);
}

/** Awaits a promise expected to reject with an `ApplicationFailure`, and returns it. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw new Error(`expected an ApplicationFailure, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected the activity to fail, it succeeded');
}

export function detailsOf(failure: ApplicationFailure): NodeFailureDetails {
  return failure.details?.[0] as NodeFailureDetails;
}

/** Captures the rejection of `promise` (whatever it is). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** The `EgressDenied` NodeActivityError `promise` rejects with (asserted). */
export async function egressDenial(promise: Promise<unknown>): Promise<NodeActivityError> {
  const err = await rejectionOf(promise);
  expect(NodeActivityError.is(err)).toBe(true);
  expect((err as NodeActivityError).code).toBe('EgressDenied');
  return err as NodeActivityError;
}
