/**
 * The engine activity behind `pipeline` steps: it reads the saved pipeline's version from its
 * registry entity (a query), compiles it, and checks the child's inputs and params against the
 * child's declarations, so the workflow starts the child only with a run the child accepts.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { KIND_DEFAULTS, isBuiltinKind } from '../../model';
import { compile } from '../../model';
import type { PipelineIssue } from '../../model';
import { packPlan } from '../../model';
import { resolveRunInputs, resolveRunParams } from '../../model';
import {
  formatPipelineIssues,
  REGISTRY_STATE_QUERY,
  RESOLVE_SAVED_PIPELINE_ACTIVITY,
  SUB_PIPELINE_ERRORS,
  savedPipelineWorkflowId,
  type ResolvedSavedPipeline,
  type ResolveSavedPipelineInput,
} from '../../protocol';

/** What the activity reads of a registry entity's state. */
interface SavedVersions {
  deployedVersion?: number;
  versions: Array<{ version: number; definition: unknown }>;
  deleted?: boolean;
  renamedTo?: string;
}

export interface SubPipelineActivities {
  [RESOLVE_SAVED_PIPELINE_ACTIVITY]: (input: ResolveSavedPipelineInput) => Promise<ResolvedSavedPipeline>;
}

const fail = (type: string, message: string, issues?: PipelineIssue[]) =>
  ApplicationFailure.create({ type, message, nonRetryable: true, ...(issues && { details: [issues] }) });

/** The users' actions a saved definition names: it was checked against them when it was saved. */
function actionsNamedIn(definition: unknown): Record<string, object> {
  const steps = (definition as { steps?: unknown } | null)?.steps;
  const actions: Record<string, object> = {};
  if (!Array.isArray(steps)) return actions;
  for (const step of steps as Array<{ action?: unknown } | null>) {
    const action = step?.action;
    if (typeof action === 'string' && !isBuiltinKind(action)) actions[action] = {};
  }
  return actions;
}

export function createSubPipelineActivities(): SubPipelineActivities {
  return {
    async [RESOLVE_SAVED_PIPELINE_ACTIVITY]({ pipeline, version, inputs, params, planOnly }) {
      let state: SavedVersions;
      try {
        state = await Context.current()
          .client.workflow.getHandle(savedPipelineWorkflowId(pipeline))
          .query<SavedVersions>(REGISTRY_STATE_QUERY);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          throw fail(SUB_PIPELINE_ERRORS.notFound, `No saved pipeline named '${pipeline}'`);
        throw err; // retried: the server or the registry's worker may be back soon
      }
      if (state.deleted || state.renamedTo) {
        const why = state.renamedTo ? `it was renamed to '${state.renamedTo}'` : 'it was deleted';
        throw fail(SUB_PIPELINE_ERRORS.notFound, `No saved pipeline named '${pipeline}' (${why})`);
      }
      const wanted = version ?? state.deployedVersion ?? state.versions[state.versions.length - 1]?.version;
      const found = state.versions.find((v) => v.version === wanted);
      if (!found) {
        throw fail(
          SUB_PIPELINE_ERRORS.notFound,
          wanted === undefined
            ? `Saved pipeline '${pipeline}' has no version`
            : `Saved pipeline '${pipeline}' has no version ${wanted}`,
        );
      }
      const compiled = compile(found.definition, { actions: actionsNamedIn(found.definition) });
      if (!compiled.ok) {
        throw fail(
          'NodeConfigError',
          `Saved pipeline '${pipeline}' version ${found.version} does not compile: ${formatPipelineIssues(compiled.issues)}`,
          compiled.issues,
        );
      }
      const plan = packPlan(compiled.plan, KIND_DEFAULTS);
      if (planOnly) return { version: found.version, plan, inputs, params };
      const resolvedParams = resolveRunParams(compiled.plan.params, params);
      const resolvedInputs = resolveRunInputs(compiled.plan, inputs);
      if (!resolvedParams.ok || !resolvedInputs.ok) {
        const issues = [
          ...(resolvedParams.ok ? [] : resolvedParams.issues),
          ...(resolvedInputs.ok ? [] : resolvedInputs.issues),
        ];
        throw fail(
          SUB_PIPELINE_ERRORS.invalidInputs,
          `Saved pipeline '${pipeline}' version ${found.version} refuses the step's mapping: ${formatPipelineIssues(issues)}`,
          issues,
        );
      }
      return {
        version: found.version,
        plan,
        inputs: resolvedInputs.inputs,
        params: resolvedParams.params,
      };
    },
  };
}
