/**
 * Steps of a run that ended while they were unsettled. A terminated or timed-out run runs no
 * more code, so its last snapshot still shows the steps it had in flight as `running` (and those
 * not started as `pending`); a cancelled run settles them itself, unless it ended before it
 * could. The client's views (`executions.get`, `runStatus()`) show such steps with the way the
 * run ended: `cancelled` for a cancelled run, `terminated` for a terminated or timed-out one
 * (Temporal ended the run under the step: no code of the step's ran after, no cleanup).
 */
import type { NodeSnapshot, NodeStatus } from '../../protocol';

/** A run's status as executions report it: Temporal's, lower-cased, plus `pending` (accepted, not yet executing). */
export type ExecutionStatus =
  'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out';

const UNSETTLED: ReadonlySet<NodeStatus> = new Set(['pending', 'running', 'retrying']);

const ENDED_BY: Partial<Record<ExecutionStatus, { status: NodeStatus; why: string }>> = {
  cancelled: { status: 'cancelled', why: 'the run was cancelled' },
  terminated: { status: 'terminated', why: 'the run was terminated' },
  timed_out: { status: 'terminated', why: 'the run reached its timeout' },
};

/**
 * The steps as the ended run leaves them: for a cancelled, terminated or timed-out run, each
 * step still `pending`, `running` or `retrying` gets the run's ending status and an error that
 * says why (`while it was running` / `before it started`). Other runs' steps are returned as
 * they are. Never changes `nodes` itself.
 */
export function settleClosedRunSteps<T extends Pick<NodeSnapshot, 'status' | 'error' | 'waitingFor'>>(
  runStatus: ExecutionStatus,
  nodes: Record<string, T>,
): Record<string, T> {
  const ended = ENDED_BY[runStatus];
  if (!ended) return nodes;
  let settled: Record<string, T> | undefined;
  for (const [id, node] of Object.entries(nodes)) {
    if (!UNSETTLED.has(node.status)) continue;
    settled ??= { ...nodes };
    const when = node.status === 'pending' ? 'before the step started' : 'while the step was running';
    const { waitingFor: _waitingFor, ...rest } = node;
    settled[id] = {
      ...rest,
      status: ended.status,
      error: { message: `${ended.why} ${when}`, code: 'RunEnded' },
    } as T;
  }
  return settled ?? nodes;
}
