/**
 * Which steps may be ready to settle: those whose dependencies have all settled, in plan order
 * (plan order is topological). The interpreter looks only at these instead of scanning every step
 * after every change, which made a chain of n steps cost n² readiness checks.
 */
import { MinHeap } from '../../model';
import type { PlanNode } from '../../model';

export class ReadyQueue {
  private readonly index = new Map<string, number>();
  /** Dependencies not settled yet, per step. */
  private readonly remaining: number[];
  private readonly dependents: number[][];
  private readonly queued: boolean[];
  private readonly settledIds = new Set<string>();
  /** Candidates by plan index. */
  private readonly heap = new MinHeap();

  constructor(nodes: readonly PlanNode[], isSettled: (id: string) => boolean) {
    nodes.forEach((node, i) => this.index.set(node.id, i));
    this.remaining = nodes.map(() => 0);
    this.dependents = nodes.map(() => []);
    this.queued = nodes.map(() => false);
    nodes.forEach((node, i) => {
      for (const dep of node.dependsOn) {
        const d = this.index.get(dep);
        if (d === undefined) continue;
        this.dependents[d]!.push(i);
        if (isSettled(dep)) this.settledIds.add(dep);
        else this.remaining[i]!++;
      }
    });
    nodes.forEach((node, i) => {
      if (isSettled(node.id)) this.settledIds.add(node.id);
      else if (this.remaining[i] === 0) this.push(i);
    });
  }

  /** A step reached a terminal status: its dependents whose dependencies have all settled become candidates. */
  settled(id: string): void {
    const i = this.index.get(id);
    if (i === undefined || this.settledIds.has(id)) return;
    this.settledIds.add(id);
    for (const dependent of this.dependents[i]!) {
      if (--this.remaining[dependent]! === 0) this.push(dependent);
    }
  }

  /** Queues a step (again): one that was ready but could not start yet. */
  push(i: number): void {
    if (this.queued[i]) return;
    this.queued[i] = true;
    this.heap.push(i);
  }

  /** The candidate earliest in plan order, or undefined. */
  pop(): number | undefined {
    const top = this.heap.pop();
    if (top !== undefined) this.queued[top] = false;
    return top;
  }
}
