/**
 * The pipeline registry's messages (DESIGN.md decision 7): one entity workflow per pipeline,
 * workflow id `pipeline:<name>`. Saves and deploys are updates validated in the update validator;
 * reads are queries; delete ends the entity.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { REGISTRY_STATE_QUERY, savedPipelineWorkflowId } from '../childPipelines';

export interface PipelineVersion {
  /** 1, 2, 3, … in save order; immutable once saved. */
  version: number;
  /** SHA-256 of the canonical definition. */
  hash: string;
  definition: unknown;
  createdAt: string;
}

export interface RegistryState {
  name: string;
  description?: string;
  createdAt: string;
  updatedAt: string;
  /** The version new runs use; undefined until one is deployed. */
  deployedVersion?: number;
  versions: PipelineVersion[];
  deleted?: boolean;
  /** Set when the pipeline was renamed: its versions moved to the entity of this name. */
  renamedTo?: string;
}

/** What the entity keeps in its memo, so listings need no query per pipeline. */
export interface RegistryMemo {
  name: string;
  description?: string;
  createdAt: string;
  updatedAt: string;
  currentVersion?: number;
  deployedVersion?: number;
}

/** A metadata-only change: no new definition version. */
export interface MetadataRequest {
  description?: string;
}

/**
 * Options of one registry entity, passed on from run to run when it continues-as-new.
 * `pipelineRegistry(state, options)`; the client starts entities with the defaults.
 */
export interface RegistryRunOptions {
  /**
   * Continue-as-new after this many saves and deploys in one run, even before Temporal suggests
   * it (its default suggestion comes at 4,096 history events, about 800 saves). Each save adds
   * about 5 events, so this bounds the history a worker replays, and the time the first query
   * or save waits, when the entity is not in its cache.
   * @default 200
   */
  maxUpdatesPerRun?: number;
}

export interface SaveRequest {
  definition: unknown;
  /** Mark the new version as the one new runs use. */
  deploy?: boolean;
  /** Names of users' own actions the saving client knows (their params it checked itself). */
  knownActions?: string[];
}

export interface SaveResult {
  version: number;
  hash: string;
  /** False when the definition equals the latest version's: no new version was made. */
  created: boolean;
}

/**
 * The entity carries every version into its next run (continue-as-new input), and Temporal refuses
 * payloads over 2 MiB: past that the entity could never continue. Saves that would take its state
 * over this budget are refused (a PipelineValidationError) instead.
 */
export const MAX_REGISTRY_STATE_BYTES = 1_500_000;

export const registryWorkflowId = savedPipelineWorkflowId;

export const savePipelineUpdate = defineUpdate<SaveResult, [SaveRequest]>('savePipeline');
export const deployVersionUpdate = defineUpdate<void, [number]>('deployVersion');
export interface DeleteRequest {
  /** The pipeline was renamed to this name (its versions live there now). */
  renamedTo?: string;
}

export const deletePipelineUpdate = defineUpdate<void, [DeleteRequest]>('deletePipeline');
export const updateMetadataUpdate = defineUpdate<RegistryState, [MetadataRequest]>('updateMetadata');
export const registryStateQuery = defineQuery<RegistryState>(REGISTRY_STATE_QUERY);
