/**
 * What crosses the `runPipeline` workflow's boundary: its input, its result, and the messages
 * (queries) clients send it. The client imports this module; it must stay free of workflow runtime
 * calls other than the `define*` helpers.
 */
import { defineQuery } from '@temporalio/workflow';
import type { ExecutionPlan, TokenUsage } from '../pipeline';

export interface RunPipelineInput {
  plan: ExecutionPlan;
  /** Resolved run params (declarations' defaults applied, types checked). */
  params: Record<string, unknown>;
  /** Resolved run inputs, keyed by input node name. */
  inputs: Record<string, unknown>;
  /** W3C trace id (32 lower-case hex). */
  traceId: string;
  /** The saved version the run pinned, if it came from the registry. */
  pipelineVersion?: string;
  /** At most this many nodes run at once. @default 32 */
  maxParallelism?: number;
  /** Task queue of the node activities. @default the workflow's task queue */
  activityTaskQueue?: string;
}

export interface RunPipelineResult {
  /** Keyed by output node name (or, with no output nodes, by leaf step id). */
  outputs: Record<string, unknown>;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';
export type NodeStatus =
  'pending' | 'running' | 'retrying' | 'completed' | 'failed' | 'skipped' | 'cancelled';

export interface NodeError {
  message: string;
  /** Our error code (`RateLimited`, `BadRequest`, `TemplateError`, …) when known. */
  code?: string;
}

export interface NodeSnapshot {
  status: NodeStatus;
  kind: string;
  /** Attempts made (activities: as reported by the last attempt; inline nodes: 1). */
  attempts: number;
  /** ISO timestamps (workflow time). */
  startedAt?: string;
  completedAt?: string;
  durationMs?: number;
  output?: unknown;
  error?: NodeError;
  /** Why a node was skipped (`condition false`, `dependency failed: x`, `branch not taken: c`). */
  skipReason?: string;
  usage?: TokenUsage;
}

export interface RunLogEntry {
  at: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  nodeId?: string;
  message: string;
}

export interface RunSnapshot {
  status: RunStatus;
  pipeline: string;
  pipelineVersion?: string;
  definitionHash: string;
  traceId: string;
  startedAt: string;
  completedAt?: string;
  nodes: Record<string, NodeSnapshot>;
  completedSteps: number;
  totalSteps: number;
  /** 0–100: share of nodes that reached a terminal status. */
  progress: number;
  outputs?: Record<string, unknown>;
  error?: { message: string; nodeId?: string; attempts?: number };
  /** Log entries from `log` nodes and node failures (the newest 500). */
  logs: RunLogEntry[];
  /** Token usage summed over the run's LLM nodes. */
  usage: TokenUsage;
}

/** The run's live state: per-node status, attempts, timing, outputs, errors, progress. */
export const statusQuery = defineQuery<RunSnapshot>('status');
