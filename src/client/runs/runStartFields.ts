/**
 * `runStartFields`: what every start of a prepared run carries, whether a client starts it or a
 * schedule does (task queue, input, Web UI summary, timeout, priority, memo, search attributes).
 */
import type { Priority } from '@temporalio/common';
import { defineSearchAttributeKey, TypedSearchAttributes } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../../protocol';
import type { RunPipelineInput } from '../../protocol';
import { runDetails, userValuesFirst, versionLabel } from '../webUi';
import { fairnessTag } from './fairness';
import { priorityKey, type StartRunOptions } from './runOptions';

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
