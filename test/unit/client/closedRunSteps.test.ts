/**
 * The client's views of a run's status and steps: a snapshot newer than Temporal's description
 * decides between `pending` and `running`; steps a cancelled, terminated or timed-out run left
 * unsettled take the way the run ended.
 */
import { settleClosedRunSteps } from '../../../src/client/runs/closedRunSteps';
import { runStatusOf } from '../../../src/client/executions/executionView';
import type { NodeSnapshot } from '../../../src/protocol/messages/runMessages';

const described = (name: string, historyLength: number) => ({ status: { name }, historyLength }) as never;
const node = (status: NodeSnapshot['status']): NodeSnapshot => ({ status, kind: 'action', attempts: 1 });

describe('runStatusOf', () => {
  test('a description from before the first workflow task, a snapshot with a step running: running', () => {
    expect(runStatusOf(described('RUNNING', 2), { status: 'running', nodes: { a: node('running') } })).toBe(
      'running',
    );
  });
  test('no snapshot and no workflow task yet: pending; later: running', () => {
    expect(runStatusOf(described('RUNNING', 2))).toBe('pending');
    expect(runStatusOf(described('RUNNING', 5))).toBe('running');
  });
  test('waiting for a concurrency slot with no step started: pending; a step started: running', () => {
    expect(runStatusOf(described('RUNNING', 9), { status: 'pending', nodes: { a: node('pending') } })).toBe(
      'pending',
    );
    expect(runStatusOf(described('RUNNING', 9), { status: 'pending', nodes: { a: node('running') } })).toBe(
      'running',
    );
  });
  test("Temporal's closed status wins over a snapshot", () => {
    expect(runStatusOf(described('TERMINATED', 9), { status: 'running', nodes: {} })).toBe('terminated');
  });
});

describe('settleClosedRunSteps', () => {
  const nodes = {
    done: node('completed'),
    inFlight: { ...node('running'), waitingFor: { event: 'approve' } } as NodeSnapshot,
    retrying: node('retrying'),
    notStarted: node('pending'),
    skipped: node('skipped'),
  };

  test('terminated: unsettled steps become terminated, with why and when; settled ones stay', () => {
    const settled = settleClosedRunSteps('terminated', nodes);
    expect(Object.fromEntries(Object.entries(settled).map(([id, n]) => [id, n.status]))).toEqual({
      done: 'completed',
      inFlight: 'terminated',
      retrying: 'terminated',
      notStarted: 'terminated',
      skipped: 'skipped',
    });
    expect(settled.inFlight!.error).toEqual({
      code: 'RunEnded',
      message: 'the run was terminated while the step was running',
    });
    expect(settled.inFlight!.waitingFor).toBeUndefined();
    expect(settled.notStarted!.error?.message).toBe('the run was terminated before the step started');
    expect(nodes.inFlight.status).toBe('running'); // the input is not changed
  });

  test('timed out: terminated, saying the run reached its timeout; cancelled: cancelled', () => {
    expect(settleClosedRunSteps('timed_out', nodes).inFlight).toMatchObject({
      status: 'terminated',
      error: { message: 'the run reached its timeout while the step was running' },
    });
    expect(settleClosedRunSteps('cancelled', nodes).notStarted).toMatchObject({ status: 'cancelled' });
  });

  test('running, completed and failed runs keep their steps as they are', () => {
    for (const status of ['running', 'completed', 'failed', 'pending'] as const) {
      expect(settleClosedRunSteps(status, nodes)).toBe(nodes);
    }
  });
});
