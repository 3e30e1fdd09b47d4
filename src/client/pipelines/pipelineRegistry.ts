/**
 * `client.pipelines`: the registry of saved, versioned pipelines, kept in Temporal itself
 * (one `pipelineRegistry` entity workflow per pipeline; DESIGN.md decision 7).
 */
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { compile, PipelineValidationError, type CompileOptions, type PipelineIssue } from '../../model';
import type { pipelineRegistry } from '../../workflows';
import {
  deletePipelineUpdate,
  deployVersionUpdate,
  registryStateQuery,
  registryWorkflowId,
  savePipelineUpdate,
  updateMetadataUpdate,
  type PipelineVersion,
  type RegistryMemo,
  type RegistryState,
  type SaveResult,
} from '../../protocol';
import { AlreadyExistsError, NotFoundError, translateError } from '../errors';
import { registryDetails, registrySummary } from '../webUi';
import type { ClientContext } from '../context';
import type {
  PipelineInfo,
  PipelineSummary,
  SavePipelineOptions,
  UpdatePipelineOptions,
} from './registryOptions';

export type {
  PipelineInfo,
  PipelineSummary,
  PipelineVersion,
  RegistryState,
  SavePipelineOptions,
  SaveResult,
  UpdatePipelineOptions,
};

/** The pipeline name in a pipeline id (`pipeline:<name>`) or name. */
export const pipelineName = (idOrName: string): string =>
  idOrName.startsWith(registryWorkflowId('')) ? idOrName.slice(registryWorkflowId('').length) : idOrName;

/** Rebuilds our error from an update the registry's validator rejected. */
function fromUpdateFailure(err: unknown, name: string): unknown {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    if (err.cause.type === 'PipelineValidationError') {
      return new PipelineValidationError((err.cause.details?.[0] as PipelineIssue[] | undefined) ?? [], {
        cause: err,
      });
    }
    return new NotFoundError(`${name}: ${err.cause.message}`, { cause: err });
  }
  return translateError(err);
}

export class PipelineRegistry {
  private readonly temporal: Client;
  private readonly taskQueue: string;
  /** Users' actions known to this client (from `connect({ actions })`). */
  private readonly actions?: CompileOptions['actions'];

  constructor(context: Pick<ClientContext, 'temporal' | 'taskQueue' | 'actions'>) {
    this.temporal = context.temporal;
    this.taskQueue = context.taskQueue;
    this.actions = context.actions;
  }

  /**
   * Validates and saves a definition as a new immutable version (no new version when it equals
   * the latest). Creates the pipeline on first save; names are unique.
   * @throws PipelineValidationError (nothing is stored)
   */
  async save(options: SavePipelineOptions): Promise<SaveResult> {
    const actions = options.actions ?? this.actions;
    const compiled = compile(options.definition, { actions });
    if (!compiled.ok) throw new PipelineValidationError(compiled.issues);
    const at = new Date().toISOString();
    const initial: RegistryState = {
      name: options.name,
      description: options.description,
      createdAt: at,
      updatedAt: at,
      versions: [],
    };
    try {
      return await this.temporal.workflow.executeUpdateWithStart(savePipelineUpdate, {
        args: [
          {
            definition: options.definition,
            deploy: options.deploy,
            knownActions: Object.keys(actions ?? {}),
          },
        ],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof pipelineRegistry>('pipelineRegistry', {
          workflowId: registryWorkflowId(options.name),
          taskQueue: this.taskQueue,
          workflowIdConflictPolicy: 'USE_EXISTING',
          args: [initial],
          staticSummary: registrySummary(options.name),
          staticDetails: registryDetails(options.name),
        }),
      });
    } catch (err) {
      throw fromUpdateFailure(err, options.name);
    }
  }

  /**
   * Saved pipelines, sorted by name, from visibility and each entity's memo (no query per
   * pipeline); a pipeline saved a moment ago may take a moment to appear.
   */
  async list(
    options: { nameContains?: string; limit?: number; offset?: number } = {},
  ): Promise<PipelineSummary[]> {
    const found: PipelineSummary[] = [];
    const query = "WorkflowType = 'pipelineRegistry' AND ExecutionStatus = 'Running'";
    try {
      for await (const execution of this.temporal.workflow.list({ query })) {
        const memo = (execution.memo ?? {}) as Partial<RegistryMemo>;
        const name = memo.name ?? execution.workflowId.slice(registryWorkflowId('').length);
        if (options.nameContains && !name.includes(options.nameContains)) continue;
        found.push({
          id: execution.workflowId,
          name,
          description: memo.description,
          createdAt: memo.createdAt ?? execution.startTime.toISOString(),
          updatedAt: memo.updatedAt ?? execution.startTime.toISOString(),
          currentVersion: memo.currentVersion,
          deployedVersion: memo.deployedVersion,
        });
      }
    } catch (err) {
      throw translateError(err);
    }
    found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const offset = options.offset ?? 0;
    return found.slice(offset, options.limit === undefined ? undefined : offset + options.limit);
  }

  /**
   * Creates a pipeline: its first version, deployed.
   * @throws AlreadyExistsError when the name is taken.
   * @throws PipelineValidationError (nothing is stored)
   */
  async create(options: Omit<SavePipelineOptions, 'deploy'>): Promise<PipelineInfo> {
    if (await this.exists(options.name)) {
      throw new AlreadyExistsError(`A pipeline named ${options.name} exists already`);
    }
    await this.save({ ...options, deploy: true });
    return this.get(options.name);
  }

  /**
   * Changes a pipeline. A `definition` becomes a new version (none if it equals the latest),
   * deployed unless `deploy: false`; `description` and `name` change metadata only and make no
   * new version. Renaming moves the pipeline (its versions and deployed version) to the new name,
   * whose id is `pipeline:<new name>`; runs keep the name they started under.
   * @throws NotFoundError, AlreadyExistsError (the new name is taken), PipelineValidationError
   */
  async update(options: UpdatePipelineOptions): Promise<PipelineInfo> {
    let name = pipelineName(options.pipelineId);
    await this.get(name);
    if (options.definition !== undefined) {
      await this.save({
        name,
        definition: options.definition,
        deploy: options.deploy ?? true,
        actions: options.actions,
      });
    }
    if (options.description !== undefined) {
      try {
        await this.temporal.workflow
          .getHandle(registryWorkflowId(name))
          .executeUpdate(updateMetadataUpdate, { args: [{ description: options.description }] });
      } catch (err) {
        throw fromUpdateFailure(err, name);
      }
    }
    if (options.name !== undefined && options.name !== name) {
      await this.rename(name, options.name);
      name = options.name;
    }
    return this.get(name);
  }

  private async rename(from: string, to: string): Promise<void> {
    if (await this.exists(to)) throw new AlreadyExistsError(`A pipeline named ${to} exists already`);
    const state = await this.state(from);
    try {
      await this.temporal.workflow.start<typeof pipelineRegistry>('pipelineRegistry', {
        workflowId: registryWorkflowId(to),
        taskQueue: this.taskQueue,
        workflowIdConflictPolicy: 'FAIL',
        args: [{ ...state, name: to, updatedAt: new Date().toISOString() }],
        staticSummary: registrySummary(to),
        staticDetails: registryDetails(to),
      });
      await this.temporal.workflow
        .getHandle(registryWorkflowId(from))
        .executeUpdate(deletePipelineUpdate, { args: [{ renamedTo: to }] });
    } catch (err) {
      throw fromUpdateFailure(err, from);
    }
  }

  private async exists(name: string): Promise<boolean> {
    return this.state(name).then(
      () => true,
      (err: unknown) => {
        if (err instanceof NotFoundError) return false;
        throw err;
      },
    );
  }

  /**
   * A pipeline by name or id (`pipeline:<name>`): metadata, current and deployed version, the
   * definition new runs use (deployed, else latest), its step count, and every version.
   * @throws NotFoundError
   */
  async get(idOrName: string): Promise<PipelineInfo> {
    const state = await this.state(pipelineName(idOrName));
    const current = state.versions[state.versions.length - 1];
    const active = state.versions.find((v) => v.version === state.deployedVersion) ?? current;
    const steps = (active?.definition as { steps?: unknown[] } | undefined)?.steps;
    return {
      ...state,
      id: registryWorkflowId(state.name),
      currentVersion: current?.version,
      definition: active?.definition,
      stepCount: Array.isArray(steps) ? steps.length : 0,
    };
  }

  private async state(name: string): Promise<RegistryState> {
    try {
      const state = await this.temporal.workflow
        .getHandle(registryWorkflowId(name))
        .query(registryStateQuery);
      if (state.renamedTo)
        throw new NotFoundError(`No pipeline named ${name} (it was renamed to ${state.renamedTo})`);
      if (state.deleted) throw new NotFoundError(`No pipeline named ${name} (it was deleted)`);
      return state;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw new NotFoundError(
          `No saved pipeline named ${name} in namespace ${this.temporal.options.namespace}`,
          {
            cause: err,
          },
        );
      }
      throw translateError(err, name);
    }
  }

  /** One version's definition: `version`, else the deployed one, else the latest. @throws NotFoundError */
  async version(idOrName: string, version?: number): Promise<PipelineVersion> {
    const name = pipelineName(idOrName);
    const state = await this.state(name);
    const wanted = version ?? state.deployedVersion ?? state.versions[state.versions.length - 1]?.version;
    const found = state.versions.find((v) => v.version === wanted);
    if (!found) throw new NotFoundError(`Pipeline ${name} has no version ${wanted ?? '(none saved)'}`);
    return found;
  }

  /** Marks `version` as the one new runs use. @throws NotFoundError */
  async deploy(idOrName: string, version: number): Promise<void> {
    const name = pipelineName(idOrName);
    try {
      await this.temporal.workflow
        .getHandle(registryWorkflowId(name))
        .executeUpdate(deployVersionUpdate, { args: [version] });
    } catch (err) {
      throw fromUpdateFailure(err, name);
    }
  }

  /**
   * Deletes a pipeline (by name, id, or `{ pipelineId }`): its entity ends; existing executions are
   * untouched and stay readable.
   * @throws NotFoundError
   */
  async delete(pipeline: string | { pipelineId: string }): Promise<void> {
    const name = pipelineName(typeof pipeline === 'string' ? pipeline : pipeline.pipelineId);
    await this.state(name);
    try {
      await this.temporal.workflow
        .getHandle(registryWorkflowId(name))
        .executeUpdate(deletePipelineUpdate, { args: [{}] });
    } catch (err) {
      throw fromUpdateFailure(err, name);
    }
  }
}
