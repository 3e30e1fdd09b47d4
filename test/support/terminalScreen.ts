/**
 * A minimal terminal for tests of what a program draws on a pseudo-terminal: replays a captured
 * byte stream (text, CR, LF, cursor up, erase line / below, colour codes ignored) and returns the
 * final screen as lines. Sequences it does not know fail the replay, so a test cannot pass on
 * output it misreads.
 */

// eslint-disable-next-line no-control-regex -- terminal control sequences
const CSI = /^\u001b\[([?0-9;]*)([A-Za-z])/;

export function replayTerminal(bytes: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  let column = 0;
  const write = (char: string) => {
    const line = lines[row]!.padEnd(column, ' ');
    lines[row] = line.slice(0, column) + char + line.slice(column + 1);
    column++;
  };
  for (let i = 0; i < bytes.length;) {
    const char = bytes[i]!;
    if (char === '\u001b') {
      const match = CSI.exec(bytes.slice(i, i + 16));
      if (!match) throw new Error(`unknown escape at ${i}: ${JSON.stringify(bytes.slice(i, i + 10))}`);
      const [sequence, args = '', command] = match;
      const n = Number(args || '1');
      if (command === 'm' || (args.startsWith('?') && (command === 'h' || command === 'l'))) {
        // colours, cursor shown or hidden: nothing on screen
      } else if (command === 'A') row = Math.max(0, row - n);
      else if (command === 'F') [row, column] = [Math.max(0, row - n), 0];
      else if (command === 'G') column = n - 1;
      else if (command === 'K' && (args === '2' || args === '')) {
        lines[row] = args === '2' ? '' : lines[row]!.slice(0, column);
      } else if (command === 'J' && (args === '0' || args === '')) {
        lines[row] = lines[row]!.slice(0, column);
        lines.length = row + 1;
      } else throw new Error(`unknown escape sequence ${JSON.stringify(sequence)}`);
      i += sequence.length;
      continue;
    }
    if (char === '\r') column = 0;
    else if (char === '\n') {
      row++;
      column = 0;
      if (lines.length <= row) lines.push('');
    } else write(char);
    i++;
  }
  return lines.map((l) => l.trimEnd());
}
