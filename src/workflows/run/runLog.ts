/**
 * The run's log as the workflow keeps it: a ring of records in the run's snapshot (`logs`,
 * `droppedLogs`), bounded by `MAX_RUN_LOGS` records and `MAX_RUN_LOG_BYTES` bytes of messages,
 * and the `logs` query's pages of it. Deterministic: the clock is workflow time.
 */
import type { RunLogLevel } from '../../model';
import { MAX_RUN_LOG_BYTES, MAX_RUN_LOGS, truncateLogMessage, utf8Length } from '../../protocol';
import type {
  RunLogAttemptFailure,
  RunLogEntry,
  RunLogsPage,
  RunLogsRequest,
  RunLogSource,
  RunSnapshot,
} from '../../protocol';
import { nowIso as now } from './clock';

const LEVEL_RANK: Readonly<Record<RunLogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

export const isLevel = (value: unknown): value is RunLogLevel =>
  typeof value === 'string' && Object.hasOwn(LEVEL_RANK, value);

/** What a record says besides its level, message and step. */
export interface RunLogOptions {
  attempt?: number;
  source?: RunLogSource;
  at?: string;
  attemptFailure?: RunLogAttemptFailure;
}

export class RunLog {
  /** The last `seq` given to a record. */
  private lastSeqGiven = 0;
  /** UTF-8 bytes of the kept records' messages. */
  private bytes = 0;

  /** @param snapshot the run's snapshot, whose `logs` and `droppedLogs` this keeps. */
  constructor(private readonly snapshot: Pick<RunSnapshot, 'logs' | 'droppedLogs'>) {}

  /** The `seq` of the newest record. */
  get lastSeq(): number {
    return this.lastSeqGiven;
  }

  /**
   * Appends a record (`source` defaults to `engine`), cutting its message to 2 KiB, then drops
   * the oldest records beyond `MAX_RUN_LOGS` records or `MAX_RUN_LOG_BYTES` bytes of messages,
   * counting them in `droppedLogs`.
   */
  append(level: RunLogLevel, message: string, stepId: string | undefined, options: RunLogOptions): void {
    const entry: RunLogEntry = {
      seq: ++this.lastSeqGiven,
      at: options.at ?? now(),
      level,
      message: truncateLogMessage(message),
      source: options.source ?? 'engine',
    };
    if (stepId !== undefined) entry.stepId = stepId;
    if (options.attempt !== undefined) entry.attempt = options.attempt;
    if (options.attemptFailure !== undefined) entry.attemptFailure = options.attemptFailure;
    const logs = this.snapshot.logs;
    logs.push(entry);
    this.bytes += utf8Length(entry.message);
    let drop = 0;
    while (logs.length - drop > 1 && (logs.length - drop > MAX_RUN_LOGS || this.bytes > MAX_RUN_LOG_BYTES)) {
      this.bytes -= utf8Length(logs[drop]!.message);
      drop++;
    }
    if (drop > 0) {
      logs.splice(0, drop);
      this.snapshot.droppedLogs += drop;
    }
  }

  /**
   * The `logs` query: matching records after `afterSeq`, oldest first (see {@link RunLogsPage});
   * `closed` says no record will follow.
   */
  page(request: RunLogsRequest | undefined, closed: boolean): RunLogsPage {
    const req: RunLogsRequest = typeof request === 'object' && request !== null ? request : {};
    const after =
      typeof req.afterSeq === 'number' && Number.isFinite(req.afterSeq) ? Math.max(0, req.afterSeq) : 0;
    const minRank = isLevel(req.level) ? LEVEL_RANK[req.level] : 0;
    const limit =
      typeof req.limit === 'number' && Number.isFinite(req.limit)
        ? Math.min(MAX_RUN_LOGS, Math.max(1, Math.floor(req.limit)))
        : MAX_RUN_LOGS;
    const stepId = typeof req.stepId === 'string' ? req.stepId : undefined;
    const records: RunLogEntry[] = [];
    let lastSeq = this.lastSeqGiven;
    for (const entry of this.snapshot.logs) {
      if (entry.seq <= after) continue;
      if (LEVEL_RANK[entry.level] < minRank) continue;
      if (stepId !== undefined && entry.stepId !== stepId) continue;
      records.push(entry);
      if (records.length === limit) {
        lastSeq = entry.seq;
        break;
      }
    }
    return { records, lastSeq: Math.max(after, lastSeq), droppedLogs: this.snapshot.droppedLogs, closed };
  }

  /** A continuation: the log as the run left it (its newest records, and where it stood). */
  restore(records: RunLogEntry[], dropped: number, lastSeq: number): void {
    this.snapshot.logs.push(...records);
    this.snapshot.droppedLogs = dropped;
    this.lastSeqGiven = lastSeq;
    for (const record of records) this.bytes += utf8Length(record.message);
  }
}
