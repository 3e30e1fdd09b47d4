/**
 * What crosses the `runMap` workflow's boundary besides its input and result: the progress query.
 * The client imports this module; it must stay free of workflow runtime calls other than `define*`.
 */
import { defineQuery } from '@temporalio/workflow';

/** How far a map step is (the `mapProgress` query of its map workflow). */
export interface MapProgress {
  /** Items in the list. */
  total: number;
  /** Items settled: completed or failed. */
  settled: number;
  /** Items that failed for good. */
  failed: number;
  /** Items in flight now. */
  running: number;
  /** Retries of item activities so far (failed attempts that were retried), in this history. */
  retries: number;
  /** How many times the map workflow continued as new. */
  continuations: number;
}

export const mapProgressQuery = defineQuery<MapProgress>('mapProgress');
