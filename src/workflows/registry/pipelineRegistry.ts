/**
 * `pipelineRegistry`: the long-lived entity workflow that holds one pipeline's versions.
 * An invalid definition is rejected in the update validator, so it never enters history as saved.
 * The entity continues-as-new (carrying its state and options) when Temporal suggests it or after
 * `maxUpdatesPerRun` saves and deploys, whichever comes first, once no handler is running. A save
 * that reaches the closing run before it was accepted is retried by Temporal on the new run.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { PipelineValidationError } from '../../model';
import type { compile } from '../../model';
import type { PipelineIssue } from '../../model';
import { utf8Length } from '../../protocol';
import {
  deletePipelineUpdate,
  deployVersionUpdate,
  registryStateQuery,
  savePipelineUpdate,
  updateMetadataUpdate,
  MAX_REGISTRY_STATE_BYTES,
  type DeleteRequest,
  type RegistryMemo,
  type RegistryRunOptions,
  type RegistryState,
  type SaveRequest,
} from '../../protocol';
import { nowIso as now } from '../run/clock';

/** See `RegistryRunOptions.maxUpdatesPerRun`. */
const DEFAULT_MAX_UPDATES_PER_RUN = 200;

function memoOf(state: RegistryState): RegistryMemo {
  return {
    name: state.name,
    description: state.description,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    currentVersion: state.versions[state.versions.length - 1]?.version,
    deployedVersion: state.deployedVersion,
  };
}

/**
 * The compiler, loaded on first use. Every workflow run loads its imports afresh (the SDK isolates
 * module state per run), and the compiler brings the zod schemas: a static import would build them
 * for every pipeline run started, not only for the registry's saves.
 */
function loadCompiler(): { compile: typeof compile } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy by design, see above
  return require('../../model') as { compile: typeof compile };
}

function compileForSave(request: SaveRequest) {
  const actions = Object.fromEntries((request.knownActions ?? []).map((name) => [name, {}]));
  const compiled = loadCompiler().compile(request.definition, { actions });
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

function checkStateSize(state: RegistryState, request: SaveRequest): void {
  const bytes = utf8Length(JSON.stringify(state)) + utf8Length(JSON.stringify(request.definition));
  if (bytes <= MAX_REGISTRY_STATE_BYTES) return;
  const issues: PipelineIssue[] = [
    {
      path: [],
      code: 'invalid_document',
      message:
        `Saving this version would make pipeline ${state.name}'s stored versions ${bytes} bytes, over the ` +
        `${MAX_REGISTRY_STATE_BYTES}-byte budget (Temporal payloads stop at 2 MiB). Save it under a new name.`,
    },
  ];
  throw ApplicationFailure.create({
    type: 'PipelineValidationError',
    message: new PipelineValidationError(issues).message,
    details: [issues],
    nonRetryable: true,
  });
}

export async function pipelineRegistry(
  initial: RegistryState,
  options: RegistryRunOptions = {},
): Promise<RegistryState> {
  const state: RegistryState = initial;
  // At least 1: a run that continued-as-new before handling anything would loop forever.
  const maxUpdates = Math.max(1, options.maxUpdatesPerRun ?? DEFAULT_MAX_UPDATES_PER_RUN);
  /** Saves and deploys handled by this run. */
  let updates = 0;
  setHandler(registryStateQuery, () => state);
  upsertMemo({ ...memoOf(state) });

  setHandler(
    savePipelineUpdate,
    (request) => {
      updates += 1;
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
      upsertMemo({ ...memoOf(state) });
      return Promise.resolve({ version, hash: plan.definitionHash, created });
    },
    {
      validator: (request: SaveRequest) => {
        compileForSave(request);
        checkStateSize(state, request);
      },
    },
  );

  setHandler(
    deployVersionUpdate,
    (version) => {
      updates += 1;
      state.deployedVersion = version;
      state.updatedAt = now();
      upsertMemo({ ...memoOf(state) });
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

  setHandler(updateMetadataUpdate, (request) => {
    updates += 1;
    if (request.description !== undefined) state.description = request.description;
    state.updatedAt = now();
    upsertMemo({ ...memoOf(state) });
    return Promise.resolve(state);
  });

  setHandler(deletePipelineUpdate, (request?: DeleteRequest) => {
    state.deleted = true;
    if (request?.renamedTo) state.renamedTo = request.renamedTo;
    return Promise.resolve();
  });

  await condition(
    () => state.deleted === true || workflowInfo().continueAsNewSuggested || updates >= maxUpdates,
  );
  await condition(allHandlersFinished);
  if (state.deleted) return state;
  return continueAsNew<typeof pipelineRegistry>(state, options);
}
