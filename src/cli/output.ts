/** How the CLI prints: JSON for scripts (`--json`), otherwise aligned text with colours on a TTY. */
import pc from 'picocolors';

export const colours = pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);

const STATUS_COLOUR: Record<string, (text: string) => string> = {
  completed: colours.green,
  failed: colours.red,
  cancelled: colours.yellow,
  terminated: colours.red,
  timed_out: colours.red,
  running: colours.cyan,
  retrying: colours.yellow,
  pending: colours.dim,
  skipped: colours.dim,
};

export const paintStatus = (status: string): string => (STATUS_COLOUR[status] ?? ((t: string) => t))(status);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Rows as aligned columns (ANSI colour codes are not counted in widths). */
export function printTable(headers: string[], rows: string[][]): void {
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
  const visible = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths = headers.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visible(cell))))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(headers.map((h) => colours.bold(h)))}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}
