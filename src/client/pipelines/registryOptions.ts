/**
 * What `client.pipelines` takes (save and update options) and shows (a pipeline as `get` and
 * `list` show it).
 */
import type { CompileOptions } from '../../model';
import type { RegistryMemo, RegistryState } from '../../protocol';

/** A pipeline as `get` shows it: the entity's state plus what is derived from it. */
export interface PipelineInfo extends RegistryState {
  /** `pipeline:<name>`: the id of its registry entity in Temporal. */
  id: string;
  /** The latest saved version. */
  currentVersion?: number;
  /** The definition new runs use: the deployed version's, else the latest's. */
  definition: unknown;
  stepCount: number;
}

/** A pipeline as `list` shows it (from visibility and the entity's memo). */
export interface PipelineSummary extends RegistryMemo {
  id: string;
}

export interface UpdatePipelineOptions {
  /** The pipeline's name or id. */
  pipelineId: string;
  /** A new definition: a new version (deployed unless `deploy: false`). */
  definition?: unknown;
  /** Rename (metadata only; no new version). */
  name?: string;
  /** Metadata only; no new version. */
  description?: string;
  /** @default true */
  deploy?: boolean;
  actions?: CompileOptions['actions'];
}

export interface SavePipelineOptions {
  name: string;
  definition: unknown;
  description?: string;
  /** Make the new version the one new runs use. @default false */
  deploy?: boolean;
  /** Users' own actions this client knows; their params are checked before saving. */
  actions?: CompileOptions['actions'];
}
