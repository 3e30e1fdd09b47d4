/**
 * A schedule's action, the start of each of its runs: the run input prepared and checked once,
 * the start fields of `client.start` with the schedule's id added, and the schedule's search
 * attributes; and what the action holds, read back from the server's description.
 */
import type { ScheduleDescription, ScheduleOptionsAction } from '@temporalio/client';
import {
  defineSearchAttributeKey,
  TypedSearchAttributes,
  type SearchAttributePair,
} from '@temporalio/common';
import { PipelineValidationError, type PipelineIssue } from '../../model';
import { SEARCH_ATTRIBUTES } from '../../protocol';
import type { RunPipelineInput } from '../../protocol';
import type { ClientContext } from '../context';
import { defaultMaxInputBytes, inputSizeIssues, prepareRun, runStartFields } from '../runs/startRun';
import type { ScheduleRunOptions } from './scheduleOptions';

/** The workflow every pipeline schedule starts. */
export const WORKFLOW_TYPE = 'runPipeline';
/** The tag every run of a schedule carries. */
export const scheduleTag = (scheduleId: string): string => `schedule:${scheduleId}`;

export const nameKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName.name, 'KEYWORD');
export const versionKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineVersion.name, 'KEYWORD');
const tagsKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.tags.name, 'KEYWORD_LIST');

/** The schedule's own search attributes: its pipeline and version, to find it in the Web UI. */
export function scheduleAttributes(name: string, version: number): SearchAttributePair[] {
  return [
    { key: nameKey, value: name },
    { key: versionKey, value: String(version) },
  ];
}

/**
 * The run input every run of the schedule gets: checked like a start (`issues` found before
 * are thrown with the run's), with an empty trace id (each run takes its own) and runs that
 * queue at a concurrency limit (a schedule has no caller to refuse).
 */
export function prepareScheduleRun(
  context: Pick<ClientContext, 'temporal' | 'actions' | 'maxInputBytes'>,
  definition: unknown,
  options: ScheduleRunOptions,
  version: number,
  id: string,
  issues: PipelineIssue[],
): RunPipelineInput {
  let input: RunPipelineInput | undefined;
  try {
    input = prepareRun(definition, {
      actions: context.actions,
      ...options,
      tags: [...(options.tags ?? []), scheduleTag(id)],
      pipelineVersion: String(version),
    });
  } catch (err) {
    if (!(err instanceof PipelineValidationError)) throw err;
    issues = [...issues, ...err.issues];
  }
  if (issues.length > 0 || !input) throw new PipelineValidationError(issues);
  input = {
    ...input,
    traceId: '',
    ...(input.concurrency && { concurrency: { ...input.concurrency, onLimit: 'queue' as const } }),
  };
  const size = inputSizeIssues(input, context.maxInputBytes ?? defaultMaxInputBytes(context.temporal));
  if (size.length > 0) throw new PipelineValidationError(size);
  return input;
}

/** The schedule's action: the start fields of `client.start` with the schedule's id added. */
export function scheduleAction(
  taskQueue: string,
  id: string,
  input: RunPipelineInput,
  options: ScheduleRunOptions,
): ScheduleOptionsAction {
  const fields = runStartFields(
    input,
    {
      taskQueue,
      pipelineVersion: input.pipelineVersion,
      timeout: options.timeout,
      priority: options.priority,
      tags: [...(options.tags ?? []), scheduleTag(id)],
    },
    { scheduleId: id },
  );
  // Temporal appends the scheduled time: runs are `<schedule id>-2026-01-01T09:00:00Z`.
  // (`priority` is sent although the SDK's action type omits it.)
  const action = { type: 'startWorkflow' as const, workflowType: WORKFLOW_TYPE, workflowId: id, ...fields };
  return action;
}

/** The runs' time limit in ms (the SDK decodes the action's durations to milliseconds). */
export const timeoutOf = (d: ScheduleDescription): number | undefined =>
  (d.action as { workflowExecutionTimeout?: number }).workflowExecutionTimeout;

export function inputOf(d: ScheduleDescription): RunPipelineInput {
  return d.action.args?.[0] as RunPipelineInput;
}

export function userTags(d: ScheduleDescription): string[] {
  const attributes = d.action.typedSearchAttributes;
  const tags = (attributes instanceof TypedSearchAttributes ? attributes.get(tagsKey) : undefined) ?? [];
  return tags.filter((t) => t !== scheduleTag(d.scheduleId));
}
