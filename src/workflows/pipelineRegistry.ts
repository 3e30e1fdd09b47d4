/**
 * `pipelineRegistry`: the long-lived entity workflow that holds one pipeline's versions.
 * An invalid definition is rejected in the update validator, so it never enters history as saved.
 * The entity continues-as-new (carrying its state) before its history grows large.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { compile, PipelineValidationError } from '../pipeline';
import {
  deletePipelineUpdate,
  deployVersionUpdate,
  registryStateQuery,
  savePipelineUpdate,
  type RegistryState,
  type SaveRequest,
} from './registryMessages';

const now = () => new Date(Date.now()).toISOString();

function compileForSave(request: SaveRequest) {
  const actions = Object.fromEntries((request.knownActions ?? []).map((name) => [name, {}]));
  const compiled = compile(request.definition, { actions });
  if (!compiled.ok) {
    // The issues travel as details so the client can rebuild the same PipelineValidationError.
    throw ApplicationFailure.create({
      type: 'PipelineValidationError',
      message: new PipelineValidationError(compiled.issues).message,
      details: [compiled.issues],
      nonRetryable: true,
    });
  }
  return compiled.plan;
}

export async function pipelineRegistry(initial: RegistryState): Promise<RegistryState> {
  const state: RegistryState = initial;
  setHandler(registryStateQuery, () => state);

  setHandler(
    savePipelineUpdate,
    (request) => {
      const plan = compileForSave(request);
      const latest = state.versions[state.versions.length - 1];
      let version = latest?.version ?? 0;
      const created = latest?.hash !== plan.definitionHash;
      if (created) {
        version += 1;
        state.versions.push({
          version,
          hash: plan.definitionHash,
          definition: request.definition,
          createdAt: now(),
        });
        state.updatedAt = now();
      }
      if (request.deploy) state.deployedVersion = version;
      return Promise.resolve({ version, hash: plan.definitionHash, created });
    },
    {
      validator: (request: SaveRequest) => {
        compileForSave(request);
      },
    },
  );

  setHandler(
    deployVersionUpdate,
    (version) => {
      state.deployedVersion = version;
      state.updatedAt = now();
      return Promise.resolve();
    },
    {
      validator: (version) => {
        if (!state.versions.some((v) => v.version === version)) {
          throw new Error(`pipeline ${state.name} has no version ${version}`);
        }
      },
    },
  );

  setHandler(deletePipelineUpdate, () => {
    state.deleted = true;
    return Promise.resolve();
  });

  await condition(() => state.deleted === true || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  if (state.deleted) return state;
  return continueAsNew<typeof pipelineRegistry>(state);
}
