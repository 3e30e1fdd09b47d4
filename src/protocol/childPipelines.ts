/**
 * Sub-pipelines (the `pipeline` node kind): what the interpreter workflow and the engine activity
 * that resolves a saved pipeline share. Plain data and names only.
 */
import type { PipelineIssue } from '../model';
import type { PackedPlan } from '../model';

/** The engine activity that reads a saved pipeline's version and checks a child's inputs and params. */
export const RESOLVE_SAVED_PIPELINE_ACTIVITY = 'resolveSavedPipeline';

/** The id of a saved pipeline's registry entity workflow (DESIGN.md decision 7). */
export const savedPipelineWorkflowId = (name: string): string => `pipeline:${name}`;

/** The name of the registry entity's query that returns its state. */
export const REGISTRY_STATE_QUERY = 'registryState';

/** Error codes a `pipeline` step fails with. */
export const SUB_PIPELINE_ERRORS = {
  /** No saved pipeline of that name, or no such version (not retried). */
  notFound: 'PipelineNotFound',
  /** The child's declarations refuse the mapped inputs or params (not retried). */
  invalidInputs: 'InvalidChildInputs',
  /** The child run failed, timed out or was terminated. */
  childFailed: 'ChildPipelineFailed',
} as const;

export interface ResolveSavedPipelineInput {
  pipeline: string;
  /** Pinned version; absent: the deployed one, else the latest. */
  version?: number;
  inputs: Record<string, unknown>;
  params: Record<string, unknown>;
  /**
   * Only read the version and compile it; `inputs` and `params` are not checked and come back as
   * given (a map step checks each item's mapping itself).
   */
  planOnly?: boolean;
}

export interface ResolvedSavedPipeline {
  version: number;
  /** The version's compiled plan, packed (see `packPlan`). */
  plan: PackedPlan;
  /** The child's inputs and params, its declarations' defaults applied and types checked. */
  inputs: Record<string, unknown>;
  params: Record<string, unknown>;
}

/** What a `pipeline` step's snapshot shows about its child run. */
export interface ChildRun {
  /** The child's execution id (Temporal workflow id): `<parent id>/<step id>`. */
  executionId: string;
  pipeline: string;
  version: number;
}

/** The output of a `pipeline` step. */
export interface SubPipelineOutput {
  /** The child's `result().outputs`. */
  outputs: Record<string, unknown>;
  executionId: string;
  version: number;
}

/** The child run's id: the parent's id and the step's, so it is unique and easy to find. */
export const childExecutionId = (parentId: string, stepId: string): string => `${parentId}/${stepId}`;

/** Issues in one line, `path: message; …` (for a refused child mapping's message). */
export const formatPipelineIssues = (issues: readonly PipelineIssue[]): string =>
  issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
