/**
 * The Web UI's "current details" of a run (a query, no history): how far the run is and which
 * steps run or wait for an event now. Set only when it changed.
 */
import { setCurrentDetails } from '@temporalio/workflow';
import type { RunState } from './runState';

export class ProgressDetails {
  private shown = '';

  constructor(private readonly state: RunState) {}

  /** Shows the run's progress, with `inFlight` the ids of the steps started and not settled. */
  show(inFlight: Iterable<string>): void {
    const running: string[] = [];
    const waiting: string[] = [];
    for (const id of inFlight) {
      const waitingFor = this.state.node(id).waitingFor;
      if (waitingFor) waiting.push(waitingFor.event === id ? id : `${id} (${waitingFor.event})`);
      else running.push(id);
    }
    const snap = this.state.snapshot;
    const settled = this.state.settled;
    const details =
      `${snap.progress}% · ${settled.completed} of ${snap.totalSteps} done` +
      (settled.skipped > 0 ? ` · ${settled.skipped} skipped` : '') +
      (settled.failed > 0 ? ` · ${settled.failed} failed` : '') +
      (settled.cancelled > 0 ? ` · ${settled.cancelled} cancelled` : '') +
      (running.length > 0 ? ` · running: ${list(running)}` : '') +
      (waiting.length > 0 ? ` · waiting for an event: ${list(waiting)}` : '');
    if (details !== this.shown) setCurrentDetails((this.shown = details));
  }
}

function list(ids: string[]): string {
  return ids.slice(0, 5).join(', ') + (ids.length > 5 ? ` and ${ids.length - 5} more` : '');
}
