/**
 * The interpreter's candidate queue: steps become candidates once every dependency settled, and
 * come out in plan order.
 */
import type { PlanNode } from '../../../src/model';
import { ReadyQueue } from '../../../src/workflows/run/readyQueue';

const node = (id: string, dependsOn: string[] = []) => ({ id, dependsOn }) as unknown as PlanNode;
const drain = (q: ReadyQueue) => {
  const out: number[] = [];
  for (let i = q.pop(); i !== undefined; i = q.pop()) out.push(i);
  return out;
};

test('roots first, in plan order; a dependent only after all of its dependencies settled', () => {
  const nodes = [node('a'), node('b'), node('c', ['a', 'b']), node('d', ['c']), node('e')];
  const q = new ReadyQueue(nodes, () => false);
  expect(drain(q)).toEqual([0, 1, 4]);
  q.settled('a');
  expect(drain(q)).toEqual([]);
  q.settled('b');
  q.settled('b'); // settling twice counts once
  expect(drain(q)).toEqual([2]);
  q.settled('c');
  expect(drain(q)).toEqual([3]);
});

test('steps settled before the queue exists (reused by a retry) count as settled; pushes are deduplicated and ordered', () => {
  const nodes = [node('a'), node('b', ['a']), node('c', ['b']), node('d')];
  const q = new ReadyQueue(nodes, (id) => id === 'a');
  expect(drain(q)).toEqual([1, 3]);
  q.push(3);
  q.push(1);
  q.push(3);
  expect(drain(q)).toEqual([1, 3]);
});

test('a long chain costs one candidate per settle', () => {
  const nodes = Array.from({ length: 5000 }, (_, i) => node(`n${i}`, i ? [`n${i - 1}`] : []));
  const q = new ReadyQueue(nodes, () => false);
  const order: number[] = [];
  for (let i = q.pop(); i !== undefined; i = q.pop()) {
    order.push(i);
    q.settled(`n${i}`);
  }
  expect(order).toEqual(nodes.map((_, i) => i));
});
