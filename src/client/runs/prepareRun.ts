/**
 * `prepareRun`: a run checked and compiled before anything starts, as the `runPipeline` input:
 * the packed plan, resolved params and inputs, trace id, concurrency limit and budget.
 */
import { randomBytes } from 'node:crypto';
import {
  compile,
  PipelineValidationError,
  resolveRunInputs,
  resolveRunParams,
  runBudgetIssues,
  type ExecutionPlan,
  type RunBudgetOptions,
} from '../../model';
import { KIND_DEFAULTS } from '../../model';
import { defaultConcurrencyKey, type RunConcurrency } from '../../model';
import { packPlan } from '../../model';
import type { RunPipelineInput } from '../../protocol';
import { activeTraceId } from '../../shared';
import { fairnessIssues } from './fairness';
import {
  callbackIssues,
  concurrencyIssues,
  priorityIssues,
  runIssuesSubject,
  runTimeoutIssues,
  tagIssues,
} from './runOptionChecks';
import type { StartRunOptions } from './runOptions';

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
