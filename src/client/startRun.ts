/**
 * Starting a run of a pipeline document: compile (every issue reported before anything starts),
 * resolve params and inputs, then start one `runPipeline` workflow.
 */
import { randomBytes } from 'node:crypto';
import { defineSearchAttributeKey, TypedSearchAttributes } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import {
  compile,
  PipelineValidationError,
  resolveRunInputs,
  resolveRunParams,
  SEARCH_ATTRIBUTES,
  type CompileOptions,
  type ExecutionPlan,
} from '../pipeline';
import type { RunPipelineInput } from '../workflows/messages';
import type { runPipeline } from '../workflows';

export interface StartRunOptions {
  inputs?: Record<string, unknown>;
  params?: Record<string, unknown>;
  /** @default 'pipelines' */
  taskQueue?: string;
  /** The workflow id; also the run's `taskId`. @default `<pipeline>-<idempotencyKey or random>` */
  workflowId?: string;
  /**
   * Starts with the same key return the same run, never a second one (concurrent ones included):
   * the key becomes the workflow id, with Temporal's USE_EXISTING / REJECT_DUPLICATE policies.
   */
  idempotencyKey?: string;
  /** At most this many nodes run at once. @default 32 */
  maxParallelism?: number;
  /** Users' own actions known to this client (their params are validated before start). */
  actions?: CompileOptions['actions'];
  pipelineVersion?: string;
}

export type PipelineRunHandle = WorkflowHandle<typeof runPipeline>;

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'pipeline';

/** Compiles and checks a run before anything starts. @throws PipelineValidationError */
export function prepareRun(document: unknown, options: StartRunOptions = {}): RunPipelineInput {
  const compiled = compile(document, { actions: options.actions });
  if (!compiled.ok) throw new PipelineValidationError(compiled.issues);
  const plan: ExecutionPlan = compiled.plan;
  const params = resolveRunParams(plan.params, options.params ?? {});
  const inputs = resolveRunInputs(plan, options.inputs ?? {});
  const issues = [...(params.ok ? [] : params.issues), ...(inputs.ok ? [] : inputs.issues)];
  if (!params.ok || !inputs.ok) throw new PipelineValidationError(issues);
  return {
    plan,
    params: params.params,
    inputs: inputs.inputs,
    traceId: randomBytes(16).toString('hex'),
    pipelineVersion: options.pipelineVersion,
    maxParallelism: options.maxParallelism,
  };
}

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

/** Starts a run that `prepareRun` checked. */
export async function startPreparedRun(
  client: Client,
  input: RunPipelineInput,
  options: StartRunOptions = {},
): Promise<PipelineRunHandle> {
  const { plan } = input;
  const version = options.pipelineVersion ?? plan.definitionHash.slice(0, 12);
  const key = options.idempotencyKey;
  const workflowId = options.workflowId ?? `${slug(plan.name)}-${key ?? randomBytes(6).toString('hex')}`;
  try {
    return await client.workflow.start<typeof runPipeline>('runPipeline', {
      taskQueue: options.taskQueue ?? 'pipelines',
      workflowId,
      args: [input],
      staticSummary: `${plan.name} · ${version}`,
      ...(key !== undefined && {
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
      typedSearchAttributes: new TypedSearchAttributes([
        { key: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName.name, 'KEYWORD'), value: plan.name },
        { key: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineVersion.name, 'KEYWORD'), value: version },
      ]),
    });
  } catch (err) {
    // With a key, a run that already closed under it is that key's run, not a conflict.
    if (key !== undefined && err instanceof WorkflowExecutionAlreadyStartedError) {
      return client.workflow.getHandle<typeof runPipeline>(workflowId);
    }
    throw err;
  }
}
