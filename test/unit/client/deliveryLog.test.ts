/**
 * DeliveryLog: a receiver drops a repeated callback delivery for as long as its signature stays
 * valid, and forgets it afterwards (the signature check then refuses a replay on its own).
 */
import { signCallback } from '../../../src/activities/engine/deliverCallback';
import { verifyCallbackSignature } from '../../../src/client/callbacks/callbackSignature';
import { DeliveryLog } from '../../../src/client/callbacks/deliveryLog';

const secret = 's3cret';
const t = 1_800_000_000;

/** A receiver as the docs show it: verify, drop repeats, process, record. */
function receiver(log: DeliveryLog, clock: { now: number }) {
  const processed: string[] = [];
  return {
    processed,
    receive(body: string, header: string): number {
      if (!verifyCallbackSignature({ body, header, secret, now: clock.now })) return 401;
      const { deliveryId } = JSON.parse(body) as { deliveryId: string };
      if (log.has(deliveryId)) return 200;
      processed.push(deliveryId);
      log.add(deliveryId);
      return 204;
    },
  };
}

test('a replay within the window is dropped; after it, the signature refuses it', () => {
  const clock = { now: t * 1000 };
  const log = new DeliveryLog({ now: () => clock.now });
  const r = receiver(log, clock);
  const body = JSON.stringify({ deliveryId: 'd1', status: 'completed' });
  const header = signCallback(secret, body, t);

  expect(r.receive(body, header)).toBe(204);
  clock.now += 299_000;
  expect(r.receive(body, header)).toBe(200); // a replay inside ±300 s: not processed again
  clock.now += 2_000;
  expect(r.receive(body, header)).toBe(401); // outside the window: the signature is stale
  expect(r.processed).toEqual(['d1']);
});

test('a retry of a delivery that was not processed is taken; another delivery is taken', () => {
  const clock = { now: t * 1000 };
  const log = new DeliveryLog({ now: () => clock.now });
  const r = receiver(log, clock);
  const one = JSON.stringify({ deliveryId: 'd1' });
  const two = JSON.stringify({ deliveryId: 'd2' });
  expect(r.receive(one, signCallback(secret, one, t))).toBe(204);
  expect(r.receive(two, signCallback(secret, two, t + 1))).toBe(204);
  expect(r.processed).toEqual(['d1', 'd2']);
});

test('ids are kept for twice the tolerance, then forgotten', () => {
  let now = 0;
  const log = new DeliveryLog({ toleranceSeconds: 10, now: () => now });
  log.add('a');
  now = 5_000;
  log.add('b');
  now = 19_999;
  expect(log.has('a')).toBe(true);
  now = 20_000;
  expect(log.has('a')).toBe(false);
  expect(log.has('b')).toBe(true);
  expect(log.size).toBe(1);
  now = 25_000;
  expect(log.size).toBe(0);
});
