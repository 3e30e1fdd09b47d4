/**
 * The live view of `tpipe run --wait` / `--stream` on a terminal: one row per step (id, kind,
 * status, duration, note) and a progress line, redrawn in place as chunks arrive; streamed text
 * scrolls above it. Off a terminal the CLI prints one line per event instead (run.ts).
 */
import type { ExecutionPlan } from '../model';
import { colours, paintStatus } from './output';

const ESC = '\u001b[';
/** Back to the start of the line `n` lines up. */
const up = (n: number) => (n > 0 ? `${ESC}${n}F` : '\r');
const CLEAR_BELOW = `${ESC}0J`;
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;
const SETTLED = new Set(['completed', 'failed', 'skipped', 'cancelled', 'terminated', 'timed_out']);
const TICK_MS = 250;

export interface StepRow {
  id: string;
  kind: string;
  status: string;
  /** Times from the run's chunks (ms since the epoch). */
  startedAt?: number;
  endedAt?: number;
  note?: string;
}

const seconds = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;

/** Cuts `text` to `width` characters, marking the cut. */
const fit = (text: string, width: number) =>
  text.length <= width ? text : width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;

/**
 * The rows as aligned lines no wider than `width`, at most `height` lines in all (running and
 * failed steps first when some must be left out), and a progress line. Pure: `now` is the time
 * running steps are measured to.
 */
export function renderSteps(
  rows: readonly StepRow[],
  now: number,
  width: number,
  height = Infinity,
): string[] {
  const room = Math.max(1, height - 3);
  let shown = rows;
  if (rows.length > room) {
    const urgent = new Set(
      rows.filter((r) => r.status === 'running' || r.status === 'failed').slice(0, room),
    );
    const rest = rows.filter((r) => !urgent.has(r)).slice(0, room - urgent.size);
    const keep = new Set([...urgent, ...rest]);
    shown = rows.filter((r) => keep.has(r));
  }
  const cells = shown.map((r) => [
    r.id,
    r.kind,
    r.status,
    r.startedAt === undefined ? '' : seconds((r.endedAt ?? now) - r.startedAt),
  ]);
  const headers = ['STEP', 'KIND', 'STATUS', 'DURATION'];
  // The status column is as wide as the longest status from the start, so it does not move.
  const minimum = [0, 0, 'terminated'.length, 0];
  const widths = headers.map((h, i) => Math.max(h.length, minimum[i]!, ...cells.map((c) => c[i]!.length)));
  const pad = (cell: string, i: number) => cell + ' '.repeat(widths[i]! - cell.length);
  const line = (row: string[], note: string | undefined, paint: (cell: string, i: number) => string) => {
    const plain = `  ${row.map(pad).join('  ')}`;
    if (plain.trimEnd().length > width) return fit(plain.trimEnd(), width);
    const space = width - plain.length - 2;
    const tail = note && space >= 8 ? `  ${fit(note, space)}` : '';
    // Colour codes are added after the widths are measured: they take no columns.
    return (`  ${row.map((c, i) => paint(pad(c, i), i)).join('  ')}` + tail).trimEnd();
  };
  const settled = rows.filter((r) => SETTLED.has(r.status)).length;
  const barWidth = 20;
  const filled = rows.length === 0 ? 0 : Math.round((settled / rows.length) * barWidth);
  return [
    line(headers, undefined, (c) => colours.bold(c)),
    ...shown.map((r, i) =>
      line(cells[i]!, r.note, (c, column) => (column === 2 ? c.replace(r.status, paintStatus(r.status)) : c)),
    ),
    ...(shown.length < rows.length ? [`  … ${rows.length - shown.length} more steps`] : []),
    `  ${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)} ${settled}/${rows.length} steps`,
  ];
}

export class LiveView {
  private readonly rows: StepRow[];
  private drawn = 0;
  /** The line of streamed text being written (shown above the table until it ends). */
  private partial = '';
  private partialNode: string | undefined;
  private pending = '';
  private readonly timer: NodeJS.Timeout;
  private stopped = false;
  private readonly restoreCursor = () => this.out.write(SHOW_CURSOR);
  /** Ctrl-C while following: the run goes on; the terminal gets its cursor back. */
  private readonly onCtrlC = () => {
    this.stop();
    process.exit(130);
  };

  constructor(
    plan: ExecutionPlan,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.rows = plan.nodes.map((n) => ({ id: n.id, kind: n.kind, status: 'pending' }));
    out.write(HIDE_CURSOR);
    process.once('exit', this.restoreCursor);
    process.once('SIGINT', this.onCtrlC);
    this.timer = setInterval(() => {
      if (this.rows.some((r) => r.status === 'running')) this.draw();
    }, TICK_MS);
    this.timer.unref();
    this.draw();
  }

  /** A step changed status (`at`: the chunk's time). */
  step(nodeId: string, status: string, at: string, note?: string): void {
    const row = this.row(nodeId);
    const time = Date.parse(at);
    if (status === 'running') {
      row.startedAt ??= time;
      row.endedAt = undefined;
    } else if (SETTLED.has(status) && row.startedAt !== undefined) row.endedAt = time;
    row.status = status;
    if (note !== undefined) row.note = note;
    this.draw();
  }

  /** A step's attempt failed and attempt `attempt` starts. */
  retry(nodeId: string, attempt: number): void {
    this.row(nodeId).note = `attempt ${attempt}`;
    this.draw();
  }

  /** Streamed text of a step: complete lines scroll above the table, the last one stays live. */
  text(nodeId: string, text: string): void {
    if (this.partialNode !== nodeId) {
      if (this.partialNode !== undefined) this.pending += `${this.partial}\n`;
      this.partial = `  ${nodeId} › `;
      this.partialNode = nodeId;
    }
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const done of lines) this.pending += `${done}\n`;
    const width = this.width();
    while (this.partial.length >= width) {
      this.pending += `${this.partial.slice(0, width - 1)}\n`;
      this.partial = this.partial.slice(width - 1);
    }
    this.draw();
  }

  /** The last frame stays on screen; what is printed next goes below it. */
  stop(): void {
    if (this.stopped) return;
    if (this.partialNode !== undefined) this.pending += `${this.partial}\n`;
    this.partial = '';
    this.partialNode = undefined;
    this.draw();
    this.stopped = true;
    clearInterval(this.timer);
    this.restoreCursor();
    process.removeListener('exit', this.restoreCursor);
    process.removeListener('SIGINT', this.onCtrlC);
  }

  private row(nodeId: string): StepRow {
    let row = this.rows.find((r) => r.id === nodeId);
    if (!row) {
      row = { id: nodeId, kind: '', status: 'pending' };
      this.rows.push(row);
    }
    return row;
  }

  private width(): number {
    return this.out.columns || 80;
  }

  /** One write: back to the top of the last frame, clear it, scroll text, draw the new frame. */
  private draw(): void {
    if (this.stopped) return;
    const frame = [
      ...(this.partial ? [this.partial] : []),
      ...renderSteps(this.rows, Date.now(), this.width() - 1, (this.out.rows || 24) - 2),
    ];
    this.out.write(`${up(this.drawn)}${CLEAR_BELOW}${this.pending}${frame.join('\n')}\n`);
    this.pending = '';
    this.drawn = frame.length;
  }
}
