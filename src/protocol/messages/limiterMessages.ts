/**
 * Messages of the concurrency limiter entity workflow (one per key, id `concurrency:<key>`) and of
 * the runs it serves. The client imports this module: only `define*` helpers here.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import {
  ACQUIRE_SLOT_UPDATE,
  type AcquireSlotResult,
  type SlotRequest,
} from '../../model';
import type { SlotTableState } from '../../model';

export interface ConcurrencyLimiterInput {
  key: string;
  /** Set by the limiter on continue-as-new. */
  carried?: SlotTableState;
}

/**
 * A run asks for a slot: granted at once when one is free, else queued, and the limiter sends
 * {@link slotGrantedSignal} when the run's turn comes.
 */
export const acquireSlotUpdate = defineUpdate<AcquireSlotResult, [SlotRequest]>(ACQUIRE_SLOT_UPDATE);

/** A run gives its slot back (or stops waiting for one). */
export const releaseSlotSignal = defineSignal<[{ holder: string }]>('releaseSlot');

export interface ReserveSlotRequest {
  holder: string;
  limit: number;
}
export type ReserveSlotResult = { granted: true } | { granted: false; retryAfterMs: number; holders: number };

/** A client reserves a slot for a run it is about to start (`onLimit: 'reject'`). */
export const reserveSlotUpdate = defineUpdate<ReserveSlotResult, [ReserveSlotRequest]>('reserveSlot');

export interface LimiterSnapshot {
  key: string;
  limit: number;
  /** Workflow ids of the runs holding a slot. */
  holders: string[];
  /** Workflow ids of the runs waiting, in the order they will get a slot. */
  waiting: string[];
  /** Slots freed because the limiter's check found their run ended without telling it. */
  freedByCheck: number;
}

export const limiterStateQuery = defineQuery<LimiterSnapshot>('limiterState');

/** Sent to a run by its key's limiter: the run holds a slot now. */
export const slotGrantedSignal = defineSignal<[{ key: string }]>('slotGranted');
