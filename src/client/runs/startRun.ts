/**
 * Starting a run of a pipeline document: compile (every issue reported before anything starts),
 * resolve params and inputs, then start one `runPipeline` workflow.
 */
import { randomBytes } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { PipelineValidationError } from '../../model';
import type { RunPipelineInput } from '../../protocol';
import { withRunTrace } from '../../shared';
import type { runPipeline } from '../../workflows';
import { defaultMaxInputBytes, inputSizeIssues } from './inputSize';
import { prepareRun } from './prepareRun';
import { releaseReservedSlot, reserveSlot } from './reserveSlot';
import { callbackIssues, MAX_RUN_TIMEOUT_MS } from './runOptionChecks';
import { priorityKey, type ClientDuration, type PriorityOption, type StartRunOptions } from './runOptions';
import { runStartFields } from './runStartFields';
import { queryRunSnapshot } from './runSnapshot';

export type { ClientDuration, PriorityOption, StartRunOptions };
export {
  callbackIssues,
  defaultMaxInputBytes,
  inputSizeIssues,
  MAX_RUN_TIMEOUT_MS,
  prepareRun,
  priorityKey,
  runStartFields,
};

export type PipelineRunHandle = WorkflowHandleWithFirstExecutionRunId<typeof runPipeline>;

export const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'pipeline';

/**
 * Starts a run and returns its Temporal handle at once.
 * @throws PipelineValidationError when the document, params or inputs are invalid (nothing is started).
 */
export async function startPipelineRun(
  client: Client,
  document: unknown,
  options: StartRunOptions = {},
): Promise<PipelineRunHandle> {
  return startPreparedRun(client, prepareRun(document, options), options);
}

/** A run a start call returned: the one it started, or the one its idempotency key found. */
export interface StartedRun {
  workflow: PipelineRunHandle;
  /** Temporal's run id of the run's first execution. */
  runId: string;
  /** The run's W3C trace id (the existing run's own when the key found one; unknown only for runs older than the memo field). */
  traceId?: string;
  /** False when the idempotency key found a run already there (running or closed). */
  started: boolean;
}

/**
 * Starts a run that `prepareRun` checked.
 * @throws PipelineValidationError (code `too_large`) when the run's start is over `maxInputBytes`.
 */
export async function startPreparedRun(
  client: Client,
  input: RunPipelineInput,
  options: StartRunOptions = {},
): Promise<PipelineRunHandle> {
  return (await startRun(client, input, options)).workflow;
}

/**
 * Starts a run that `prepareRun` checked, or, with an idempotency key that already names a run
 * (running, completed, failed, cancelled, terminated or timed out), returns that run: its handle,
 * its own run id and trace id.
 * @throws PipelineValidationError (code `too_large`) when the run's start is over `maxInputBytes`.
 */
export async function startRun(
  client: Client,
  input: RunPipelineInput,
  options: StartRunOptions = {},
): Promise<StartedRun> {
  const sizeIssues = inputSizeIssues(input, options.maxInputBytes ?? defaultMaxInputBytes(client));
  if (sizeIssues.length > 0) throw new PipelineValidationError(sizeIssues);
  const { plan } = input;
  const key = options.idempotencyKey;
  const workflowId = options.workflowId ?? `${slug(plan.name)}-${key ?? randomBytes(6).toString('hex')}`;
  const taskQueue = options.taskQueue ?? 'pipelines';
  // `onLimit: 'reject'`: the slot is reserved before the run starts, or nothing starts.
  const reserved = input.concurrency?.onLimit === 'reject';
  if (reserved) {
    await reserveSlot(client, input.concurrency!, workflowId, taskQueue);
    input = { ...input, concurrency: { ...input.concurrency!, reserved: true } };
  }
  let workflow: PipelineRunHandle;
  try {
    // The start is the first span of the run's trace (with `connect({ tracing: true })`).
    workflow = await withRunTrace(input.traceId, () =>
      client.workflow.start<typeof runPipeline>('runPipeline', {
        ...runStartFields(input, { ...options, taskQueue }),
        workflowId,
        ...(key !== undefined && {
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
      }),
    );
  } catch (err) {
    // With a key, a run that already closed under it is that key's run, not a conflict; the slot
    // reserved for a new run goes back (the closed run holds none).
    if (key !== undefined && err instanceof WorkflowExecutionAlreadyStartedError) {
      if (reserved) await releaseReservedSlot(client, input.concurrency!, workflowId);
      return existingRun(client, workflowId);
    }
    if (reserved) await releaseReservedSlot(client, input.concurrency!, workflowId);
    throw err;
  }
  const runId = workflow.firstExecutionRunId;
  if (key === undefined) return { workflow, runId, traceId: input.traceId, started: true };
  // USE_EXISTING answers with the running run's id and does not say whether it started one:
  // the run's memo does (its trace id is this start's only if this start made it).
  const found = await existingRun(client, workflowId);
  return found.traceId === input.traceId ? { ...found, started: true } : found;
}

/**
 * The run under `workflowId` as a started run: a handle that follows its chain from the first
 * execution, its first run id and its trace id (from the memo; for runs started before the memo
 * carried it, from the run's status query when a worker answers).
 */
async function existingRun(client: Client, workflowId: string): Promise<StartedRun> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const runId = description.raw.workflowExecutionInfo?.firstRunId || description.runId;
  const handle = client.workflow.getHandle<typeof runPipeline>(workflowId, undefined, {
    firstExecutionRunId: runId,
  });
  const workflow = { ...handle, firstExecutionRunId: runId } as PipelineRunHandle;
  const memoTraceId = description.memo?.traceId;
  const traceId =
    typeof memoTraceId === 'string'
      ? memoTraceId || runId.replace(/-/g, '')
      : await queryRunSnapshot(handle).then(
          (snapshot) => snapshot.traceId,
          () => undefined,
        );
  return { workflow, runId, traceId, started: false };
}
