import { findCycles, topologicalOrder } from '../../../src/model/compiler/graph';

const graph = (edges: Record<string, string[]>) => (id: string) => edges[id] ?? [];

describe('topologicalOrder', () => {
  test('puts dependencies first and breaks ties by document order', () => {
    // d depends on a; b depends on c; c and a are roots.
    const ids = ['d', 'b', 'c', 'a'];
    expect(topologicalOrder(ids, graph({ d: ['a'], b: ['c'] }))).toEqual(['c', 'b', 'a', 'd']);
  });

  test('keeps document order for independent steps', () => {
    expect(topologicalOrder(['z', 'y', 'x'], graph({}))).toEqual(['z', 'y', 'x']);
  });

  test('handles fan-out and fan-in, ignoring self-edges and unknown ids', () => {
    const ids = ['join', 'b1', 'b2', 'root'];
    const order = topologicalOrder(
      ids,
      graph({ join: ['b1', 'b2', 'join'], b1: ['root', 'ghost'], b2: ['root'] }),
    );
    expect(order).toEqual(['root', 'b1', 'b2', 'join']);
  });
});

describe('findCycles', () => {
  test('returns nothing for a DAG', () => {
    expect(findCycles(['a', 'b', 'c'], graph({ b: ['a'], c: ['a', 'b'] }))).toEqual([]);
  });

  test('names each cycle starting at its earliest step in document order', () => {
    const ids = ['x', 'a', 'b', 'c', 'p', 'q'];
    const cycles = findCycles(ids, graph({ a: ['b'], b: ['c'], c: ['a'], p: ['q'], q: ['p'], x: ['a'] }));
    expect(cycles).toEqual([
      ['a', 'b', 'c', 'a'],
      ['p', 'q', 'p'],
    ]);
  });

  test('a self-edge alone is not reported as a cycle (it is a self_dependency)', () => {
    expect(findCycles(['a'], graph({ a: ['a'] }))).toEqual([]);
  });

  test('copes with a long chain closing on itself', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `s${i}`);
    const deps = (id: string) => [`s${(Number(id.slice(1)) + 1) % 1000}`];
    const [cycle] = findCycles(ids, deps);
    expect(cycle).toHaveLength(1001);
    expect(cycle![0]).toBe('s0');
    expect(cycle![1000]).toBe('s0');
  });
});
