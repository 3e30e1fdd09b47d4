/**
 * Starting a run of a pipeline document: compile (every issue reported before anything starts),
 * resolve params and inputs, then start one `runPipeline` workflow.
 */
import { randomBytes } from 'node:crypto';
import {
  defineSearchAttributeKey,
  msToNumber,
  TypedSearchAttributes,
  type Priority,
} from '@temporalio/common';
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import {
  compile,
  formatBytes,
  MAX_CLAIM_CHECKED_INPUT_BYTES,
  MAX_INLINE_PAYLOAD_BYTES,
  PipelineValidationError,
  resolveRunInputs,
  resolveRunParams,
  runBudgetIssues,
  type CompileOptions,
  type DurationText,
  type ExecutionPlan,
  type PipelineIssue,
  type RunBudgetOptions,
} from '../../model';
import { MAX_CALLBACK_ATTEMPTS, SEARCH_ATTRIBUTES } from '../../protocol';
import { hasClaimCheck } from '../../codec';
import { runDetails, userValuesFirst, versionLabel } from '../webUi';
import { activeTraceId, withRunTrace } from '../../shared';
import { KIND_DEFAULTS } from '../../model';
import { packPlan } from '../../model';
import {
  concurrencyKeyIssues,
  concurrencyLimitIssues,
  defaultConcurrencyKey,
  onLimitIssues,
  type OnLimit,
  type RunConcurrency,
} from '../../model';
import { releaseReservedSlot, reserveSlot } from './reserveSlot';
import { fairnessIssues, fairnessTag } from './fairness';
import { queryRunSnapshot } from './runSnapshot';
import type { RunCallbacks, RunPipelineInput } from '../../protocol';
import type { runPipeline } from '../../workflows';

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

type TaskPriorityOptions = Pick<StartRunOptions, 'priority' | 'fairnessKey' | 'fairnessWeight'>;

const hasTaskPriority = (options: TaskPriorityOptions) =>
  options.priority !== undefined || options.fairnessKey !== undefined;

/** Temporal's task-queue priority of a run: its activities inherit every field. */
function taskPriority(options: TaskPriorityOptions): Priority {
  return {
    ...(options.priority !== undefined && { priorityKey: priorityKey(options.priority) }),
    ...(options.fairnessKey !== undefined && { fairnessKey: options.fairnessKey }),
    ...(options.fairnessWeight !== undefined && { fairnessWeight: options.fairnessWeight }),
  };
}

/** Params are kept in the run's memo (for listings) only up to this size. */
const MAX_MEMO_PARAMS_BYTES = 2000;

export type PipelineRunHandle = WorkflowHandleWithFirstExecutionRunId<typeof runPipeline>;

export const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'pipeline';

const MAX_TAGS = 20;
const MAX_TAG_LENGTH = 128;

function tagIssues(tags: readonly unknown[]): PipelineIssue[] {
  const issues: PipelineIssue[] = [];
  if (tags.length > MAX_TAGS) {
    issues.push({
      path: ['tags'],
      code: 'invalid_type',
      message: `At most ${MAX_TAGS} tags, got ${tags.length}.`,
    });
  }
  tags.forEach((tag, i) => {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH) {
      issues.push({
        path: ['tags', i],
        code: 'invalid_type',
        message: `A tag must be a non-empty string of at most ${MAX_TAG_LENGTH} characters.`,
      });
    }
  });
  return issues;
}

function runMemo(input: RunPipelineInput): Record<string, unknown> {
  const params = JSON.stringify(input.params);
  return {
    ...(input.concurrency && { concurrencyKey: input.concurrency.key }),
    ...(params.length <= MAX_MEMO_PARAMS_BYTES ? { params: input.params } : { paramsOmitted: true }),
    // A start that finds this run under its idempotency key reads the run's trace id here ('' for
    // a schedule's runs: each takes the first run id of its chain, without dashes).
    traceId: input.traceId,
    // A retry names the run it retries (read it from describe().memo).
    ...(input.resume && { retryOf: input.resume.retryOf }),
  };
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Problems with `callbacks`: each URL must be an absolute http(s) URL; `maxAttempts` 1–20. */
export function callbackIssues(callbacks: unknown): PipelineIssue[] {
  if (callbacks === undefined) return [];
  if (typeof callbacks !== 'object' || callbacks === null || Array.isArray(callbacks)) {
    return [
      {
        path: ['callbacks'],
        code: 'invalid_type',
        message: 'callbacks must be an object: { onComplete?, onFailure?, maxAttempts? }.',
      },
    ];
  }
  const issues: PipelineIssue[] = [];
  const given = callbacks as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== 'onComplete' && key !== 'onFailure' && key !== 'maxAttempts') {
      issues.push({
        path: ['callbacks', key],
        code: 'invalid_type',
        message: `Unknown callbacks option '${key}'; use onComplete, onFailure or maxAttempts.`,
      });
    }
  }
  for (const key of ['onComplete', 'onFailure'] as const) {
    const value = given[key];
    if (value !== undefined && !isHttpUrl(value)) {
      issues.push({
        path: ['callbacks', key],
        code: 'invalid_type',
        message: `callbacks.${key} must be an absolute http(s) URL, got ${JSON.stringify(value)}.`,
      });
    }
  }
  const attempts = given.maxAttempts;
  if (
    attempts !== undefined &&
    !(
      Number.isInteger(attempts) &&
      (attempts as number) >= 1 &&
      (attempts as number) <= MAX_CALLBACK_ATTEMPTS
    )
  ) {
    issues.push({
      path: ['callbacks', 'maxAttempts'],
      code: 'invalid_type',
      message: `callbacks.maxAttempts must be an integer 1–${MAX_CALLBACK_ATTEMPTS}, got ${JSON.stringify(attempts)}.`,
    });
  }
  return issues;
}

/** The longest run `timeout`: a year and a day (a run with no limit needs no timeout). */
export const MAX_RUN_TIMEOUT_MS = 366 * 86_400_000;

/** Problems with a run's own `timeout`: a positive duration of at most {@link MAX_RUN_TIMEOUT_MS}. */
function runTimeoutIssues(timeout: unknown): PipelineIssue[] {
  if (timeout === undefined) return [];
  let ms: number | undefined;
  try {
    ms = typeof timeout === 'number' || typeof timeout === 'string' ? msToNumber(timeout) : undefined;
  } catch {
    ms = undefined;
  }
  if (ms !== undefined && Number.isFinite(ms) && ms > 0 && ms <= MAX_RUN_TIMEOUT_MS) return [];
  return [
    {
      path: ['timeout'],
      code: 'invalid_type',
      message: `timeout must be a positive duration of at most 366d (ms, or a string such as '10m'), got ${JSON.stringify(timeout)}.`,
    },
  ];
}

function priorityIssues(priority: unknown): PipelineIssue[] {
  if (priority === undefined || priority === 'high' || priority === 'normal' || priority === 'low') return [];
  if (typeof priority === 'number' && Number.isInteger(priority) && priority >= 1 && priority <= 5) return [];
  return [
    {
      path: ['priority'],
      code: 'invalid_type',
      message: `Priority must be 'high', 'normal', 'low' or an integer 1–5, got ${JSON.stringify(priority)}.`,
    },
  ];
}

/**
 * What a run's issues are about, for the error's first line: `inputs`, `params`, `params and
 * inputs`, else `run options` (tags, priority, timeout, callbacks, …). The definition itself was
 * valid by then.
 */
function runIssuesSubject(issues: readonly PipelineIssue[]): string {
  const kinds = new Set(
    issues.map((i) => (i.path[0] === 'inputs' || i.path[0] === 'params' ? i.path[0] : 'other')),
  );
  if (kinds.has('other')) return 'run options';
  return kinds.size === 2 ? 'params and inputs' : (issues[0]?.path[0] as string);
}

/** Compiles and checks a run before anything starts. @throws PipelineValidationError */
export function prepareRun(document: unknown, options: StartRunOptions = {}): RunPipelineInput {
  const compiled = compile(document, { actions: options.actions });
  if (!compiled.ok) throw new PipelineValidationError(compiled.issues);
  const plan: ExecutionPlan = compiled.plan;
  const params = resolveRunParams(plan.params, options.params ?? {});
  const inputs = resolveRunInputs(plan, options.inputs ?? {});
  const issues = [
    ...(params.ok ? [] : params.issues),
    ...(inputs.ok ? [] : inputs.issues),
    ...tagIssues(options.tags ?? []),
    ...priorityIssues(options.priority),
    ...runTimeoutIssues(options.timeout),
    ...fairnessIssues(options),
    ...callbackIssues(options.callbacks),
    ...concurrencyIssues(plan, options),
    ...runBudgetIssues(options.budget),
  ];
  if (!params.ok || !inputs.ok || issues.length > 0)
    throw new PipelineValidationError(issues, { subject: runIssuesSubject(issues) });
  return {
    plan: packPlan(plan, KIND_DEFAULTS),
    params: params.params,
    inputs: inputs.inputs,
    // Inside an active OpenTelemetry span, the run joins that trace.
    traceId: activeTraceId() ?? randomBytes(16).toString('hex'),
    pipelineVersion: options.pipelineVersion,
    maxParallelism: options.maxParallelism,
    ...(options.continueAsNewAfterEvents !== undefined && {
      continueAsNewAfterEvents: options.continueAsNewAfterEvents,
    }),
    ...(options.callbacks && { callbacks: { ...options.callbacks } }),
    ...withConcurrency(plan, options),
    ...(options.budget && budgetInput(options.budget)),
  };
}

function concurrencyIssues(plan: ExecutionPlan, options: StartRunOptions): PipelineIssue[] {
  const issues = [
    ...concurrencyKeyIssues(options.concurrencyKey),
    ...concurrencyLimitIssues(options.maxConcurrentRuns, ['maxConcurrentRuns']),
    ...onLimitIssues(options.onLimit, ['onLimit']),
  ];
  const limited = options.maxConcurrentRuns !== undefined || plan.maxConcurrentRuns !== undefined;
  if (!limited && (options.concurrencyKey !== undefined || options.onLimit !== undefined)) {
    issues.push({
      path: [options.concurrencyKey !== undefined ? 'concurrencyKey' : 'onLimit'],
      code: 'invalid_type',
      message: `A concurrency key or onLimit needs a limit: pass maxConcurrentRuns, or declare max_concurrent_runs in pipeline '${plan.name}'.`,
    });
  }
  return issues;
}

/** The run's concurrency limit, when it has one: the start options' over the definition's. */
function withConcurrency(plan: ExecutionPlan, options: StartRunOptions): { concurrency?: RunConcurrency } {
  const limit = options.maxConcurrentRuns ?? plan.maxConcurrentRuns;
  if (limit === undefined) return {};
  return {
    concurrency: {
      key: options.concurrencyKey ?? defaultConcurrencyKey(plan.name),
      limit,
      onLimit: options.onLimit ?? plan.onLimit ?? 'queue',
    },
  };
}

/** The run's own budget as its input carries it: only the fields set (none: no `budget`). */
function budgetInput(budget: RunBudgetOptions): { budget?: RunBudgetOptions } {
  const out: RunBudgetOptions = {};
  if (budget.maxTokens !== undefined) out.maxTokens = budget.maxTokens;
  if (budget.maxCost !== undefined) out.maxCost = budget.maxCost;
  return Object.keys(out).length > 0 ? { budget: out } : {};
}

/**
 * Starts a run and returns its Temporal handle at once.
 * @throws PipelineValidationError when the document, params or inputs are invalid (nothing is started).
 */
export async function startPipelineRun(
  client: Client,
  document: unknown,
  options: StartRunOptions = {},
): Promise<PipelineRunHandle> {
  return startPreparedRun(client, prepareRun(document, options), options);
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/**
 * Problems with the size of a run start: the run's input (plan, params, inputs) is one Temporal
 * payload, so past `maxBytes` each input or param that is itself too big gets an issue, or, when
 * none is, one issue names the largest parts.
 */
export function inputSizeIssues(input: RunPipelineInput, maxBytes: number): PipelineIssue[] {
  const total = jsonBytes(input);
  if (total <= maxBytes) return [];
  const limit = `the limit is ${formatBytes(maxBytes)} (${maxBytes} bytes)`;
  const parts = [
    ...Object.entries(input.inputs).map(([name, value]) => ({
      path: ['inputs', name],
      what: `Input '${name}'`,
      size: jsonBytes(value),
    })),
    ...Object.entries(input.params).map(([name, value]) => ({
      path: ['params', name],
      what: `Param '${name}'`,
      size: jsonBytes(value),
    })),
    { path: ['steps'], what: 'The pipeline plan', size: jsonBytes(input.plan) },
  ].sort((a, b) => b.size - a.size);
  const hint =
    'Pass a reference (a URL or object key) instead, or configure a claim check (docs/payloads.md).';
  const oversize = parts.filter((p) => p.size > maxBytes);
  if (oversize.length > 0) {
    return oversize.map((p) => ({
      path: p.path,
      code: 'too_large',
      message: `${p.what} is ${formatBytes(p.size)} (${p.size} bytes) as JSON; ${limit}. ${hint}`,
    }));
  }
  const largest = parts
    .slice(0, 3)
    .map((p) => `${p.what} ${formatBytes(p.size)}`)
    .join(', ');
  return [
    {
      path: ['inputs'],
      code: 'too_large',
      message: `The run's inputs, params and plan are ${formatBytes(total)} (${total} bytes) together; ${limit}. Largest: ${largest}. ${hint}`,
    },
  ];
}

/** The client's default `maxInputBytes`: Temporal's payload limit, or more with a claim check. */
export function defaultMaxInputBytes(client: Client): number {
  return hasClaimCheck(client.options.loadedDataConverter.payloadCodecs)
    ? MAX_CLAIM_CHECKED_INPUT_BYTES
    : MAX_INLINE_PAYLOAD_BYTES;
}

/**
 * What every start of a prepared run carries, whether a client starts it or a schedule does: the
 * task queue, the input, the Web UI summary, the timeout, the priority, the memo (with `memo`'s
 * entries added) and the search attributes (pipeline, version, priority, tags).
 */
export function runStartFields(
  input: RunPipelineInput,
  options: Pick<
    StartRunOptions,
    'taskQueue' | 'pipelineVersion' | 'timeout' | 'priority' | 'fairnessKey' | 'fairnessWeight' | 'tags'
  >,
  memo: Record<string, unknown> = {},
) {
  const { plan } = input;
  // The search attribute keeps a bare hash (an exact Keyword to query by); the summary says `unsaved · <hash>`.
  const version = options.pipelineVersion ?? plan.definitionHash.slice(0, 12);
  // A fairness key also tags the run, so runs can be listed by tenant.
  const tags = [
    ...new Set([
      ...(options.tags ?? []),
      ...(options.fairnessKey !== undefined ? [fairnessTag(options.fairnessKey)] : []),
    ]),
  ];
  return {
    taskQueue: options.taskQueue ?? 'pipelines',
    args: [userValuesFirst(input)] as [RunPipelineInput],
    staticSummary: `${plan.name} · ${versionLabel(options.pipelineVersion, plan.definitionHash)}`,
    staticDetails: runDetails(input, options.pipelineVersion),
    ...(options.timeout !== undefined && { workflowExecutionTimeout: options.timeout }),
    ...(hasTaskPriority(options) && { priority: taskPriority(options) }),
    memo: { ...runMemo(input), ...memo },
    typedSearchAttributes: new TypedSearchAttributes([
      { key: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName.name, 'KEYWORD'), value: plan.name },
      { key: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineVersion.name, 'KEYWORD'), value: version },
      ...(options.priority !== undefined
        ? [
            {
              key: defineSearchAttributeKey(SEARCH_ATTRIBUTES.priority.name, 'INT'),
              value: priorityKey(options.priority),
            },
          ]
        : []),
      ...(tags.length > 0
        ? [{ key: defineSearchAttributeKey(SEARCH_ATTRIBUTES.tags.name, 'KEYWORD_LIST'), value: tags }]
        : []),
    ]),
  };
}

/** A run a start call returned: the one it started, or the one its idempotency key found. */
export interface StartedRun {
  workflow: PipelineRunHandle;
  /** Temporal's run id of the run's first execution. */
  runId: string;
  /** The run's W3C trace id (the existing run's own when the key found one; unknown only for runs older than the memo field). */
  traceId?: string;
  /** False when the idempotency key found a run already there (running or closed). */
  started: boolean;
}

/**
 * Starts a run that `prepareRun` checked.
 * @throws PipelineValidationError (code `too_large`) when the run's start is over `maxInputBytes`.
 */
export async function startPreparedRun(
  client: Client,
  input: RunPipelineInput,
  options: StartRunOptions = {},
): Promise<PipelineRunHandle> {
  return (await startRun(client, input, options)).workflow;
}

/**
 * Starts a run that `prepareRun` checked, or, with an idempotency key that already names a run
 * (running, completed, failed, cancelled, terminated or timed out), returns that run: its handle,
 * its own run id and trace id.
 * @throws PipelineValidationError (code `too_large`) when the run's start is over `maxInputBytes`.
 */
export async function startRun(
  client: Client,
  input: RunPipelineInput,
  options: StartRunOptions = {},
): Promise<StartedRun> {
  const sizeIssues = inputSizeIssues(input, options.maxInputBytes ?? defaultMaxInputBytes(client));
  if (sizeIssues.length > 0) throw new PipelineValidationError(sizeIssues);
  const { plan } = input;
  const key = options.idempotencyKey;
  const workflowId = options.workflowId ?? `${slug(plan.name)}-${key ?? randomBytes(6).toString('hex')}`;
  const taskQueue = options.taskQueue ?? 'pipelines';
  // `onLimit: 'reject'`: the slot is reserved before the run starts, or nothing starts.
  const reserved = input.concurrency?.onLimit === 'reject';
  if (reserved) {
    await reserveSlot(client, input.concurrency!, workflowId, taskQueue);
    input = { ...input, concurrency: { ...input.concurrency!, reserved: true } };
  }
  let workflow: PipelineRunHandle;
  try {
    // The start is the first span of the run's trace (with `connect({ tracing: true })`).
    workflow = await withRunTrace(input.traceId, () =>
      client.workflow.start<typeof runPipeline>('runPipeline', {
        ...runStartFields(input, { ...options, taskQueue }),
        workflowId,
        ...(key !== undefined && {
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
      }),
    );
  } catch (err) {
    // With a key, a run that already closed under it is that key's run, not a conflict; the slot
    // reserved for a new run goes back (the closed run holds none).
    if (key !== undefined && err instanceof WorkflowExecutionAlreadyStartedError) {
      if (reserved) await releaseReservedSlot(client, input.concurrency!, workflowId);
      return existingRun(client, workflowId);
    }
    if (reserved) await releaseReservedSlot(client, input.concurrency!, workflowId);
    throw err;
  }
  const runId = workflow.firstExecutionRunId;
  if (key === undefined) return { workflow, runId, traceId: input.traceId, started: true };
  // USE_EXISTING answers with the running run's id and does not say whether it started one:
  // the run's memo does (its trace id is this start's only if this start made it).
  const found = await existingRun(client, workflowId);
  return found.traceId === input.traceId ? { ...found, started: true } : found;
}

/**
 * The run under `workflowId` as a started run: a handle that follows its chain from the first
 * execution, its first run id and its trace id (from the memo; for runs started before the memo
 * carried it, from the run's status query when a worker answers).
 */
async function existingRun(client: Client, workflowId: string): Promise<StartedRun> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const runId = description.raw.workflowExecutionInfo?.firstRunId || description.runId;
  const handle = client.workflow.getHandle<typeof runPipeline>(workflowId, undefined, {
    firstExecutionRunId: runId,
  });
  const workflow = { ...handle, firstExecutionRunId: runId } as PipelineRunHandle;
  const memoTraceId = description.memo?.traceId;
  const traceId =
    typeof memoTraceId === 'string'
      ? memoTraceId || runId.replace(/-/g, '')
      : await queryRunSnapshot(handle).then(
          (snapshot) => snapshot.traceId,
          () => undefined,
        );
  return { workflow, runId, traceId, started: false };
}
