/**
 * A run's log records, read through its logs query page after page; with `follow`, polled until
 * the run ends. Records the run dropped are announced by one notice first.
 */
import type { Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import { type RunLogLevel } from '../../model';
import { MAX_RUN_LOGS } from '../../protocol';
import { runLogsQuery, type RunLogEntry, type RunLogsPage } from '../../protocol';
import { sleep } from '../../shared';
import { translateError } from '../errors';
import type { ClientDuration } from '../runs/startRun';
import { toTime } from './executionsQuery';

export interface LogsOptions {
  executionId: string;
  /** Minimum level: `'warn'` gives warnings and errors. */
  level?: RunLogLevel;
  /** Only this step's records. */
  stepId?: string;
  /** A Date, an ISO timestamp, or a duration back from now (`'5m'`). */
  since?: Date | string;
  /** With `follow`, how often to ask the run for new records. @default 500 ms */
  pollInterval?: ClientDuration;
}

function droppedNotice(dropped: number): RunLogEntry {
  return {
    seq: 0,
    at: new Date(0).toISOString(),
    level: 'warn',
    source: 'engine',
    message: `${dropped} earlier log record(s) were dropped: a run keeps its newest ${MAX_RUN_LOGS}.`,
  };
}

/** The records of `options.executionId`, oldest first; with `follow`, until the run ends. */
export async function* readRunLogs(
  temporal: Client,
  options: LogsOptions,
  follow: boolean,
): AsyncGenerator<RunLogEntry> {
  const handle = temporal.workflow.getHandle(options.executionId);
  const since = options.since === undefined ? undefined : toTime(options.since, Date.now());
  const pollMs = msToNumber(options.pollInterval ?? 500);
  let afterSeq = 0;
  let toldDropped = false;
  for (let round = 0; ; round++) {
    let page: RunLogsPage;
    try {
      page = await handle.query(runLogsQuery, { afterSeq, level: options.level, stepId: options.stepId });
    } catch (err) {
      throw translateError(err, options.executionId);
    }
    if (!toldDropped && page.droppedLogs > afterSeq) {
      toldDropped = true;
      yield droppedNotice(page.droppedLogs);
    }
    for (const record of page.records) if (since === undefined || record.at >= since) yield record;
    const moved = page.lastSeq > afterSeq;
    afterSeq = page.lastSeq;
    if (moved && page.records.length > 0 && !page.closed) continue; // a full page: read on at once
    if (!follow || page.closed) {
      if (!moved || !follow) return;
      continue; // drain what the run wrote while it closed
    }
    // `closed` stays false for terminated and timed-out runs: ask Temporal now and then.
    if (round % 4 === 3) {
      const { status } = await handle.describe().catch((err: unknown) => {
        throw translateError(err, options.executionId);
      });
      if (status.name !== 'RUNNING') {
        follow = false;
        continue;
      }
    }
    await sleep(pollMs);
  }
}
