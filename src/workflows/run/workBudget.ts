/**
 * How much inline work (CEL operations of conditions, templates, transforms, map items' params)
 * one workflow task may do before the workflow ends the task with a 1 ms timer and goes on in the
 * next. Each evaluation has its own limit (see evaluationMeter.ts); this keeps many evaluations,
 * each under its limit, from adding up past the task's deadline (the SDK's 5 s isolate timeout),
 * which would fail the task again on every retry. Deterministic: operations are counted, not
 * timed, and the count only resets at the workflow's own timers.
 */
import { sleep } from '@temporalio/workflow';
import { EVALUATION_LIMITS, operationsSpent } from '../../model';

/**
 * Operations one workflow task may spend (`EVALUATION_LIMITS.operationsPerWorkflowTask`). Measured
 * in the workflow sandbox on a loaded 2-core machine: a task that spent 10 million took 0.5–0.7 s. Runs
 * recorded before never came near it, so their histories replay unchanged.
 */
const OPERATIONS_PER_TASK = EVALUATION_LIMITS.operationsPerWorkflowTask;

export class TaskWorkBudget {
  private baseline = operationsSpent();

  /** Whether the work since the last yield is past the budget: start no more inline work. */
  spent(): boolean {
    return operationsSpent() - this.baseline > OPERATIONS_PER_TASK;
  }

  /** Ends the workflow task (a 1 ms timer), so the work goes on in a fresh one. */
  async yield(): Promise<void> {
    await sleep(1);
    this.baseline = operationsSpent();
  }
}
