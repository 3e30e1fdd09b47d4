/**
 * The pipeline registry's messages (DESIGN.md decision 7): one entity workflow per pipeline,
 * workflow id `pipeline:<name>`. Saves and deploys are updates validated in the update validator;
 * reads are queries; delete ends the entity.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

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

export const registryWorkflowId = (name: string): string => `pipeline:${name}`;

export const savePipelineUpdate = defineUpdate<SaveResult, [SaveRequest]>('savePipeline');
export const deployVersionUpdate = defineUpdate<void, [number]>('deployVersion');
export const deletePipelineUpdate = defineUpdate<void, []>('deletePipeline');
export const registryStateQuery = defineQuery<RegistryState>('registryState');
