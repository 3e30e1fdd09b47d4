import { emptyRateWindow, LATENESS_ALLOWANCE_MS, RateWindow } from '../../../src/workflows/limits/rateWindow';

import type { RateWindowLimits } from '../../../src/model/limits/rateLimits';

const limits: RateWindowLimits = { requests: 2, windowMs: 1000 };
const call = (id: string, tokens = 10, l: typeof limits & { tokens?: number } = limits) => ({
  id,
  tokens,
  limits: l,
});

describe('RateWindow', () => {
  test('requests: the third call in a window waits until the first leaves it (plus the lateness allowance)', () => {
    const window = new RateWindow(emptyRateWindow(limits));
    expect(window.reserve(call('a'), 100)).toEqual({ startAt: 100 });
    expect(window.reserve(call('b'), 150)).toEqual({ startAt: 150 });
    expect(window.reserve(call('c'), 200)).toEqual({ startAt: 1100 + LATENESS_ALLOWANCE_MS });
    // b (150) has left the window ending there too.
    expect(window.reserve(call('d'), 200)).toEqual({ startAt: 1100 + LATENESS_ALLOWANCE_MS });
    // Calls never get places out of time order.
    expect(window.reserve(call('e'), 5000)).toEqual({ startAt: 5000 });
  });

  test('tokens: a call waits until enough tokens have left the window; one too large is refused', () => {
    const l = { tokens: 100, windowMs: 1000 };
    const window = new RateWindow(emptyRateWindow(l));
    expect(window.reserve(call('a', 60, l), 0)).toEqual({ startAt: 0 });
    expect(window.reserve(call('b', 30, l), 10)).toEqual({ startAt: 10 });
    expect(window.reserve(call('c', 30, l), 20)).toEqual({ startAt: 1000 + LATENESS_ALLOWANCE_MS });
    expect(window.reserve(call('big', 101, l), 20)).toEqual({ tooLarge: true, limit: 100 });
  });

  test('settle replaces an estimate with the real use, and a late start with the real start', () => {
    const l = { tokens: 100, windowMs: 1000 };
    const window = new RateWindow(emptyRateWindow(l));
    window.reserve(call('a', 90, l), 0);
    window.settle('a', 20, 300);
    expect(window.state.entries).toEqual([{ id: 'a', at: 300, tokens: 20 }]);
    expect(window.reserve(call('b', 80, l), 400)).toEqual({ startAt: 400 });
    window.settle('unknown', 5);
    expect(window.state.entries.map((e) => e.tokens)).toEqual([20, 80]);
  });

  test("a pause (a provider's retry-after) holds every call until it ends", () => {
    const window = new RateWindow(emptyRateWindow({ requests: 100, windowMs: 1000 }));
    window.pause(3000);
    window.pause(2000);
    expect(window.reserve(call('a', 1, { requests: 100, windowMs: 1000 }), 100)).toEqual({ startAt: 3000 });
  });

  test('idle once nothing is in a window any more and no pause is pending', () => {
    const window = new RateWindow(emptyRateWindow(limits));
    window.reserve(call('a'), 0);
    expect(window.isIdle(500)).toBe(false);
    expect(window.isIdle(1001)).toBe(true);
    expect(window.state.entries).toEqual([]);
  });
});
