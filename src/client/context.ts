/**
 * `ClientContext`: what the client's sub-APIs (pipelines, executions, schedules, run starts)
 * share, built once by `connect()` and handed to each of them.
 */
import type { Client } from '@temporalio/client';
import type { CompileOptions } from '../model';
import type { RunStarter } from './runs/loadAwareStarts';

export interface ClientContext {
  /**
   * The Temporal client: its data converter carries the payload options (codec, claim check),
   * its interceptors the tracing.
   */
  readonly temporal: Client;
  readonly namespace: string;
  /** The task queue runs and registry entities are started on. */
  readonly taskQueue: string;
  /** Users' own actions this client knows (from `connect({ actions })`), checked before saving or starting. */
  readonly actions?: CompileOptions['actions'];
  /** Largest run start sent; unset: the default for the data converter (see `defaultMaxInputBytes`). */
  readonly maxInputBytes?: number;
  /** Bounds (`maxConcurrentStarts`) and retries run starts; shared by every way of starting a run. */
  readonly starter: RunStarter;
}
