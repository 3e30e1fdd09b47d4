/**
 * When a pending node may run (DESIGN.md "Semantics to keep exact"):
 * - it waits until every dependency is terminal;
 * - branch gates: a `condition` node's untaken branch is skipped;
 * - default trigger: a skipped, failed or cancelled dependency skips it;
 * - `all_terminal` trigger (its condition reads a dependency's status): evaluated whatever the outcome;
 * - a false `condition` skips it.
 */
import { evaluateCondition } from '../../model';
import type { PlanNode } from '../../model';
import type { RunState } from './runState';
import { isTerminal } from './runState';
import type { ExpressionScopeBuilder } from './scope';
import { stepErrorCode } from './failures';

export type Readiness =
  | { kind: 'wait' }
  | { kind: 'run' }
  | { kind: 'skip'; reason: string }
  | { kind: 'fail'; message: string; code: string };

export function readiness(node: PlanNode, state: RunState, scope: ExpressionScopeBuilder): Readiness {
  if (node.dependsOn.some((dep) => !isTerminal(state.status(dep)))) return { kind: 'wait' };

  for (const gate of node.gates) {
    const gateNode = state.node(gate.nodeId);
    const result = (gateNode.output as { result?: unknown } | undefined)?.result;
    if (gateNode.status !== 'completed' || result !== gate.when) {
      return { kind: 'skip', reason: `branch not taken: ${gate.nodeId}` };
    }
  }

  if (node.trigger === 'all_completed') {
    const blocked = node.dependsOn.find((dep) => state.status(dep) !== 'completed');
    if (blocked) return { kind: 'skip', reason: `dependency ${state.status(blocked)}: ${blocked}` };
  }

  if (node.condition !== undefined) {
    try {
      if (!evaluateCondition(node.condition, scope.build()))
        return { kind: 'skip', reason: 'condition false' };
    } catch (err) {
      return {
        kind: 'fail',
        code: stepErrorCode(err, 'ConditionError'),
        message: `condition failed to evaluate: ${(err as Error).message}`,
      };
    }
  }
  return { kind: 'run' };
}
