/**
 * `concurrencyLimiter`: the entity workflow that hands out one key's run slots (workflow id
 * `concurrency:<key>`). Runs ask with `acquireSlot` and are told with `slotGranted`; they give the
 * slot back with `releaseSlot` when they end. Runs that end without running code (terminated,
 * timed out) are found by checking the holders with Temporal every {@link HOLDER_CHECK_MS}.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { CLOSED_RUNS_ACTIVITY, MAX_CONCURRENT_RUNS } from '../../model';
import { emptySlotTable, SlotTable } from '../../model';
import {
  acquireSlotUpdate,
  limiterStateQuery,
  releaseSlotSignal,
  reserveSlotUpdate,
  slotGrantedSignal,
  type ConcurrencyLimiterInput,
} from '../../protocol';

/** How often the holders are checked for having ended unseen, ms. */
export const HOLDER_CHECK_MS = 10_000;
/** A client's reservation whose run has not claimed it after this long is checked like any holder. */
const RESERVATION_GRACE_MS = 60_000;
/** At most this many holders (the longest-held first) are checked at a time. */
const HOLDERS_PER_CHECK = 100;
/** With no holder and nobody waiting for this long, the limiter ends (the next run starts it again). */
const IDLE_END_MS = 60 * 60_000;
const CONTINUE_AS_NEW_AFTER_EVENTS = 4_000;

const activities = proxyActivities<Record<typeof CLOSED_RUNS_ACTIVITY, (ids: string[]) => Promise<string[]>>>(
  { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } },
);

export async function concurrencyLimiter(input: ConcurrencyLimiterInput): Promise<void> {
  const table = new SlotTable(input.carried ?? emptySlotTable(1));
  let changes = 0;
  let signalsInFlight = 0;

  /** Tells runs they hold a slot; a run that is gone gives its slot to the next in line. */
  const grant = (holders: string[]): void => {
    for (const holder of holders) {
      signalsInFlight++;
      getExternalWorkflowHandle(holder)
        .signal(slotGrantedSignal, { key: input.key })
        .catch((err: unknown) => {
          log.info('a run given a slot has ended; the slot goes to the next', { holder, err: String(err) });
          grant(table.release(holder, Date.now()));
        })
        .finally(() => {
          signalsInFlight--;
          changes++;
        });
    }
    changes++;
  };

  setHandler(acquireSlotUpdate, (request) => {
    const granted = table.acquire(request, Date.now());
    // The asker learns it from the update's answer; others the queue let in, by signal.
    grant(granted.filter((holder) => holder !== request.holder));
    return { granted: granted.includes(request.holder) };
  });
  setHandler(releaseSlotSignal, ({ holder }) => grant(table.release(holder, Date.now())));
  setHandler(
    reserveSlotUpdate,
    ({ holder, limit }) => {
      const result = table.reserve(holder, limit, Date.now());
      changes++;
      return result.granted ? result : { ...result, holders: table.holderCount };
    },
    {
      validator: ({ limit }) => {
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CONCURRENT_RUNS) {
          throw new Error(`limit must be an integer 1–${MAX_CONCURRENT_RUNS}`);
        }
      },
    },
  );
  setHandler(limiterStateQuery, () => ({
    key: input.key,
    limit: table.state.limit,
    holders: Object.keys(table.state.holders),
    waiting: table.state.waiters.map((w) => w.holder),
    freedByCheck: table.state.freedByCheck ?? 0,
  }));

  let shown = '';
  const showState = () => {
    const details = `limit ${table.state.limit} · ${table.holderCount} running · ${table.state.waiters.length} waiting`;
    if (details !== shown) setCurrentDetails((shown = details));
  };

  let lastCheck = Date.now();
  for (;;) {
    showState();
    const busy = table.holderCount > 0;
    const seen = changes;
    const wait = busy ? Math.max(1, lastCheck + HOLDER_CHECK_MS - Date.now()) : IDLE_END_MS;
    const changed = await condition(() => changes !== seen, wait);
    if (!changed && !busy && table.state.waiters.length === 0 && signalsInFlight === 0) return;
    if (busy && Date.now() - lastCheck >= HOLDER_CHECK_MS) {
      lastCheck = Date.now();
      const ids = table
        .holdersToCheck(Date.now(), RESERVATION_GRACE_MS)
        .sort((a, b) => table.state.holders[a]!.since - table.state.holders[b]!.since)
        .slice(0, HOLDERS_PER_CHECK);
      if (ids.length > 0) {
        const closed = await activities[CLOSED_RUNS_ACTIVITY](ids).catch((err: unknown) => {
          log.warn('checking the holders failed; trying again later', { err: String(err) });
          return [];
        });
        for (const holder of closed) {
          table.state.freedByCheck = (table.state.freedByCheck ?? 0) + 1;
          grant(table.release(holder, Date.now()));
        }
      }
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= CONTINUE_AS_NEW_AFTER_EVENTS) {
      await condition(() => signalsInFlight === 0 && allHandlersFinished());
      await continueAsNew<typeof concurrencyLimiter>({ key: input.key, carried: table.state });
    }
  }
}
