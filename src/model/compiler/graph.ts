/**
 * The step graph: cycles (each named, `a → b → a`) and a topological order with ties broken by
 * document order. Nodes are given in document order; `dependsOn(id)` lists a node's dependencies.
 * Self-edges are ignored here (the compiler reports them as `self_dependency`).
 */
import { MinHeap } from '../util/minHeap';

/**
 * Every dependency cycle, one per strongly connected component, each as the list of ids along it
 * starting and ending at the component's earliest step in document order (`['a', 'b', 'a']`
 * reads "a depends on b, which depends on a").
 */
export function findCycles(ids: readonly string[], dependsOn: (id: string) => readonly string[]): string[][] {
  const index = new Map(ids.map((id, i) => [id, i]));
  const edges = (id: string) => dependsOn(id).filter((d) => d !== id && index.has(d));

  // Tarjan's strongly connected components, iterative (pipelines have up to 10,000 steps).
  let counter = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  for (const start of ids) {
    if (order.has(start)) continue;
    const frames: { id: string; next: number; targets: string[] }[] = [];
    const enter = (id: string) => {
      order.set(id, counter);
      low.set(id, counter);
      counter++;
      stack.push(id);
      onStack.add(id);
      frames.push({ id, next: 0, targets: edges(id) });
    };
    enter(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      if (frame.next < frame.targets.length) {
        const target = frame.targets[frame.next++]!;
        if (!order.has(target)) enter(target);
        else if (onStack.has(target)) low.set(frame.id, Math.min(low.get(frame.id)!, order.get(target)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === order.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        if (component.length > 1) components.push(component);
      }
    }
  }

  return components
    .map((component) => cyclePath(component, index, edges))
    .sort((a, b) => index.get(a[0]!)! - index.get(b[0]!)!);
}

/** A shortest cycle through the component's earliest step (breadth-first inside the component). */
function cyclePath(
  component: string[],
  index: Map<string, number>,
  edges: (id: string) => string[],
): string[] {
  const members = new Set(component);
  const first = [...component].sort((a, b) => index.get(a)! - index.get(b)!)[0]!;
  const previous = new Map<string, string>();
  const queue = [first];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    for (const next of edges(id)) {
      if (!members.has(next)) continue;
      if (next === first) {
        const path = [id];
        while (path[0] !== first) path.unshift(previous.get(path[0]!)!);
        return [...path, first];
      }
      if (!previous.has(next)) {
        previous.set(next, id);
        queue.push(next);
      }
    }
  }
  return [first, first]; // unreachable for a real component
}

/**
 * A topological order (dependencies first); among nodes ready at the same time, the one earlier
 * in the document comes first. Nodes on a cycle are appended at the end in document order.
 */
export function topologicalOrder(
  ids: readonly string[],
  dependsOn: (id: string) => readonly string[],
): string[] {
  const index = new Map(ids.map((id, i) => [id, i]));
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const id of ids) {
    const deps = new Set(dependsOn(id).filter((d) => d !== id && index.has(d)));
    remaining.set(id, deps.size);
    for (const d of deps) dependents.get(d)!.push(id);
  }
  // Ready set ordered by document index.
  const heap = new MinHeap();
  ids.forEach((id, i) => remaining.get(id) === 0 && heap.push(i));
  const order: string[] = [];
  while (heap.size > 0) {
    const id = ids[heap.pop()!]!;
    order.push(id);
    for (const next of dependents.get(id)!) {
      const left = remaining.get(next)! - 1;
      remaining.set(next, left);
      if (left === 0) heap.push(index.get(next)!);
    }
  }
  if (order.length < ids.length) {
    const placed = new Set(order);
    for (const id of ids) if (!placed.has(id)) order.push(id);
  }
  return order;
}
