/**
 * What a run start accepts (`StartRunOptions`), the client's durations and priorities.
 */
import type { CompileOptions, DurationText, RunBudgetOptions } from '../../model';
import type { OnLimit } from '../../model';
import type { RunCallbacks } from '../../protocol';

/** A duration in the client's options: milliseconds, or a string with a unit such as `'30s'`. */
export type ClientDuration = number | DurationText;

export interface StartRunOptions {
  inputs?: Record<string, unknown>;
  params?: Record<string, unknown>;
  /** @default 'pipelines' */
  taskQueue?: string;
  /** The workflow id; also the run's `taskId`. @default `<pipeline>-<idempotencyKey or random>` */
  workflowId?: string;
  /**
   * Starts with the same key return the same run, never a second one (concurrent ones included):
   * the key becomes the workflow id, with Temporal's USE_EXISTING / REJECT_DUPLICATE policies.
   */
  idempotencyKey?: string;
  /** At most this many nodes run at once. @default 32 */
  maxParallelism?: number;
  /**
   * A long run continues as new (same id, a fresh history, its state carried) once its history
   * has this many events; lower it to exercise that path in tests. @default 8000
   */
  continueAsNewAfterEvents?: number;
  /** Users' own actions known to this client (their params are validated before start). */
  actions?: CompileOptions['actions'];
  pipelineVersion?: string;
  /** Labels to find the run by (the `PipelineTags` search attribute). */
  tags?: string[];
  /**
   * The run's own time limit (ms, or a string such as `'10m'`); when it passes the run ends with
   * status `timed_out`. @default none
   */
  timeout?: ClientDuration;
  /**
   * Task-queue priority of the run and all its activities: `'high'` (1), `'normal'` (3), `'low'`
   * (5), or a key 1–5 (lower runs first when workers are saturated). @default 'normal'
   */
  priority?: PriorityOption;
  /**
   * The run's fairness key, e.g. a tenant id: when workers are saturated, Temporal dispatches the
   * waiting tasks of different keys in turn (in proportion to their weights) instead of first come,
   * first served, so one tenant's burst of runs cannot starve another tenant's single run. The run
   * and all its activities carry it. The run is also tagged `fairness:<key>`, so runs can be
   * listed by key (`tags: ['fairness:acme']`). At most 64 bytes (UTF-8). Takes effect on servers
   * with fairness enabled (`startLocalServer` enables it; see docs/flow-control.md for clusters);
   * elsewhere it is ignored. @default none: the run shares one queue with every run without a key
   */
  fairnessKey?: string;
  /**
   * The share of dispatches the run's `fairnessKey` gets relative to other keys (a key with
   * weight 3 gets about three times the dispatches of a key with weight 1 while both wait).
   * A positive number; Temporal clamps it to 0.001–1000. Needs `fairnessKey`. @default 1
   */
  fairnessWeight?: number;
  /**
   * URLs the worker POSTs the run's outcome to when it ends: `onComplete` when it completed,
   * `onFailure` when it failed or was cancelled (terminated and timed-out runs send none). The
   * body is a {@link PipelineCallbackBody}; with a worker secret it is signed
   * (`x-pipeline-signature`, see `verifyCallbackSignature`). Delivery is retried (`maxAttempts`,
   * default 5) and never changes the run's status; the run closes once it is settled.
   * @example { onComplete: 'https://api.example.com/hooks/done', onFailure: 'https://api.example.com/hooks/failed' }
   */
  callbacks?: RunCallbacks;
  /**
   * The run's token / cost budget over its llm steps (`maxTokens`: prompt + completion tokens;
   * `maxCost`: US dollars at the worker's prices). Each field set here replaces the definition's
   * `budget` field of the same name. Once the budget is used up, llm steps not started yet fail
   * with `BudgetExceeded`, the run ends `failed`, and `result()` throws `BudgetExceededError`;
   * completed steps keep their outputs. See docs/flow-control.md, "Token and cost budgets".
   * @example { maxTokens: 20_000, maxCost: 0.25 }
   */
  budget?: RunBudgetOptions;
  /**
   * Largest run start (inputs, params and plan, as encoded JSON) to send; a bigger one is refused
   * with `PipelineValidationError` (code `too_large`) before anything starts.
   * @default 1.94 MiB without a claim check (Temporal refuses payloads over 2 MiB); 64 MiB with one
   */
  maxInputBytes?: number;
  /**
   * Runs with the same key share a concurrency limit (e.g. a tenant id): at most
   * `maxConcurrentRuns` of them execute at once, across all workers and clients. Needs a limit,
   * from `maxConcurrentRuns` or the definition's `max_concurrent_runs`.
   * @default `pipeline:<name>` when the definition declares `max_concurrent_runs`
   */
  concurrencyKey?: string;
  /**
   * At most this many runs of the `concurrencyKey` execute at once; the others wait as `pending`
   * (in start order, higher priority first) until a slot frees. Overrides `max_concurrent_runs`.
   */
  maxConcurrentRuns?: number;
  /**
   * At the limit: `'queue'` waits for a slot; `'reject'` makes `start` throw `RateLimitError`
   * (reason `CONCURRENCY_LIMIT`, with a `retryAfterMs` hint) and starts nothing.
   * @default the definition's `on_limit`, else 'queue'
   */
  onLimit?: OnLimit;
}

export type PriorityOption = 'high' | 'normal' | 'low' | 1 | 2 | 3 | 4 | 5;

const PRIORITY_KEYS = { high: 1, normal: 3, low: 5 } as const;

/** The Temporal priority key (1–5) of a priority option. */
export function priorityKey(priority: PriorityOption): number {
  return typeof priority === 'number' ? priority : PRIORITY_KEYS[priority];
}
