/**
 * A retry's start: the steps it reuses from the run it retries are completed before anything
 * runs, with their recorded outputs (which templates and conditions then read as usual).
 */
import type { ExecutionPlan } from '../../model';
import { reusableSteps } from '../../model';
import type { RunResume } from '../../protocol';
import type { RunState } from './runState';

/**
 * Marks the reusable steps of `resume` completed (`reused: true`) and records `retryOf`.
 * A listed step is reused only when every step it depends on is reused too, so anything
 * downstream of a step that runs again runs again. Returns the reused step ids, in plan order.
 */
export function applyResume(state: RunState, plan: ExecutionPlan, resume: RunResume): string[] {
  state.snapshot.retryOf = resume.retryOf;
  const reusable = reusableSteps(plan, new Set(Object.keys(resume.reuse)));
  const reused: string[] = [];
  for (const node of plan.nodes) {
    if (!reusable.has(node.id)) continue;
    state.reuse(node.id, resume.reuse[node.id]!, resume.retryOf);
    reused.push(node.id);
  }
  return reused;
}
