import {
  DEFAULT_RETRY_AFTER_MS,
  emptySlotTable,
  MIN_RETRY_AFTER_MS,
  SlotTable,
} from '../../../src/model/limits/concurrencySlots';

const request = (holder: string, arrivalMs: number, priority = 3, limit = 2) => ({
  holder,
  limit,
  priority,
  arrivalMs,
});

describe('SlotTable', () => {
  test('grants up to the limit, then queues; a release lets the next in', () => {
    const table = new SlotTable(emptySlotTable(2));
    expect(table.acquire(request('a', 1), 10)).toEqual(['a']);
    expect(table.acquire(request('b', 2), 11)).toEqual(['b']);
    expect(table.acquire(request('c', 3), 12)).toEqual([]);
    expect(table.state.waiters.map((w) => w.holder)).toEqual(['c']);
    expect(table.release('a', 20)).toEqual(['c']);
    expect(Object.keys(table.state.holders).sort()).toEqual(['b', 'c']);
  });

  test('waiters are served by priority, then start time, then arrival of the request', () => {
    const table = new SlotTable(emptySlotTable(1));
    table.acquire(request('holder', 0, 3, 1), 0);
    table.acquire(request('late-normal', 50, 3, 1), 1);
    table.acquire(request('low', 10, 5, 1), 2);
    table.acquire(request('early-normal', 20, 3, 1), 3);
    table.acquire(request('high', 90, 1, 1), 4);
    table.acquire(request('same-time', 20, 3, 1), 5);
    expect(table.state.waiters.map((w) => w.holder)).toEqual([
      'high',
      'early-normal',
      'same-time',
      'late-normal',
      'low',
    ]);
    const order: string[] = [];
    let current = 'holder';
    for (let i = 0; i < 5; i++) {
      const [next] = table.release(current, 10 + i);
      order.push(next!);
      current = next!;
    }
    expect(order).toEqual(['high', 'early-normal', 'same-time', 'late-normal', 'low']);
  });

  test('a repeated request is answered again and never takes a second place', () => {
    const table = new SlotTable(emptySlotTable(1));
    expect(table.acquire(request('a', 1, 3, 1), 0)).toEqual(['a']);
    expect(table.acquire(request('a', 1, 3, 1), 1)).toEqual(['a']);
    table.acquire(request('b', 2, 3, 1), 2);
    table.acquire(request('b', 2, 3, 1), 3);
    expect(table.state.waiters).toHaveLength(1);
    expect(table.holderCount).toBe(1);
  });

  test('releasing a waiter removes it from the queue; releasing a stranger changes nothing', () => {
    const table = new SlotTable(emptySlotTable(1));
    table.acquire(request('a', 1, 3, 1), 0);
    table.acquire(request('b', 2, 3, 1), 0);
    table.acquire(request('c', 3, 3, 1), 0);
    expect(table.release('b', 1)).toEqual([]);
    expect(table.release('nobody', 1)).toEqual([]);
    expect(table.state.waiters.map((w) => w.holder)).toEqual(['c']);
    expect(table.release('a', 2)).toEqual(['c']);
  });

  test('the latest request sets the limit; a raised limit lets waiters in at once', () => {
    const table = new SlotTable(emptySlotTable(1));
    table.acquire(request('a', 1, 3, 1), 0);
    table.acquire(request('b', 2, 3, 1), 0);
    expect(table.acquire(request('c', 3, 3, 3), 0)).toEqual(['b', 'c']);
    expect(table.state.limit).toBe(3);
  });

  test('reserve: granted while a slot is free and nobody waits; the run claims it later', () => {
    const table = new SlotTable(emptySlotTable(1));
    expect(table.reserve('a', 1, 0)).toEqual({ granted: true });
    expect(table.reserve('a', 1, 1)).toEqual({ granted: true });
    const refused = table.reserve('b', 1, 2);
    expect(refused).toEqual({ granted: false, retryAfterMs: DEFAULT_RETRY_AFTER_MS });
    expect(table.state.holders.a).toEqual({ since: 0, reserved: true });
    expect(table.acquire(request('a', 0, 3, 1), 5)).toEqual(['a']);
    expect(table.state.holders.a).toEqual({ since: 0 });
  });

  test('the retry-after hint follows how long recent runs held their slot', () => {
    const table = new SlotTable(emptySlotTable(1));
    table.acquire(request('a', 0, 3, 1), 0);
    table.release('a', 4000);
    table.acquire(request('b', 0, 3, 1), 5000);
    table.release('b', 11000);
    // Average hold 5 s; the current holder has held 1 s.
    table.acquire(request('c', 0, 3, 1), 20000);
    expect(table.reserve('d', 1, 21000)).toEqual({ granted: false, retryAfterMs: 4000 });
    // Past the average: the floor.
    expect(table.retryAfterMs(40000)).toBe(MIN_RETRY_AFTER_MS);
  });

  test('holders to check: reservations only once their grace has passed', () => {
    const table = new SlotTable(emptySlotTable(3));
    table.acquire(request('run', 0, 3, 3), 0);
    table.reserve('fresh', 3, 50_000);
    table.reserve('stale', 3, 0);
    expect(table.holdersToCheck(60_000, 60_000).sort()).toEqual(['run', 'stale']);
  });
});
