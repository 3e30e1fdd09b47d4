/**
 * The `pipeline` kind: a saved pipeline run as a child workflow.
 */
import { z } from 'zod';
import { PARAM_ROLES } from './paramRoles';
import type { KindSpec } from './kindSpec';

export const SubPipelineParams = z.strictObject({
  /** The saved pipeline's name (as given to `client.pipelines.save`). */
  pipeline: z.string().min(1).max(128),
  /** The saved version to run. @default the version deployed (else the latest) when the step starts */
  version: z.number().int().positive().optional(),
  /** The child's inputs, keyed by its input names; strings may hold templates, rendered deeply. */
  inputs: z.record(z.string(), z.unknown()).optional(),
  /** The child's params, keyed by its param names; strings may hold templates, rendered deeply. */
  params: z.record(z.string(), z.unknown()).optional(),
});
export type SubPipelineParams = z.infer<typeof SubPipelineParams>;

/** The `pipeline` kind. */
export const SUB_PIPELINE_KIND: KindSpec = Object.freeze({
  execution: 'child',
  params: SubPipelineParams,
  defaults: {},
  outputs: ['outputs', 'executionId', 'version'],
  ...PARAM_ROLES.pipeline,
  description:
    'Runs another saved pipeline as a child workflow (id `<run id>/<step id>`, same task queue and trace): ' +
    "`version` pins one, else the version deployed (none deployed: the latest) when the step starts. `inputs` and `params` map this run's " +
    "values into the child's; the child's run inputs and params are checked against its declarations before it " +
    "starts. Output: { outputs, executionId, version }: `outputs` is the child's `result().outputs`. An unknown " +
    'pipeline or version fails the step with code `PipelineNotFound`, a mapping the child refuses with ' +
    '`InvalidChildInputs`, a failed child with `ChildPipelineFailed`. Cancelling this run cancels the child; ' +
    "terminating it terminates the child. Once the child starts, the step's status shows " +
    "`child: { executionId, pipeline, version }`; read the child's steps with `executions.get(executionId)`.",
});
