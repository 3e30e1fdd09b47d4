/**
 * The live view's frame (src/cli/liveView.ts): aligned columns that do not move as statuses
 * change, durations from the chunks' times, lines cut to the terminal's width, and at most its
 * height with running and failed steps kept. The pty test in cli.test.ts checks the redraw.
 */
import { renderSteps as render, type StepRow } from '../../../src/cli/liveView';

/** The frame without colour codes (there are some when the tests run on a terminal). */
const renderSteps = (...args: Parameters<typeof render>) =>
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
  render(...args).map((line) => line.replace(/\u001b\[[0-9;]*m/g, ''));

const T0 = Date.parse('2026-01-01T00:00:00Z');
const rows: StepRow[] = [
  { id: 'fetch', kind: 'api_call', status: 'completed', startedAt: T0, endedAt: T0 + 1234 },
  { id: 'summarise_everything', kind: 'llm', status: 'running', startedAt: T0 + 1300 },
  { id: 'out', kind: 'output', status: 'pending' },
];

test('columns line up under their headers, with durations measured to now for running steps', () => {
  const [header, ...lines] = renderSteps(rows, T0 + 3500, 120);
  expect(header).toBe('  STEP                  KIND      STATUS      DURATION');
  expect(lines).toEqual([
    '  fetch                 api_call  completed   1.2 s',
    '  summarise_everything  llm       running     2.2 s',
    '  out                   output    pending',
    '  ███████░░░░░░░░░░░░░ 1/3 steps',
  ]);
});

test('the status column keeps its width whatever the statuses are', () => {
  const before = renderSteps([{ id: 'a', kind: 'log', status: 'pending' }], T0, 80)[0];
  const after = renderSteps([{ id: 'a', kind: 'log', status: 'terminated' }], T0, 80)[0];
  expect(after).toBe(before);
});

test('a note is cut to the width; no line is wider than the terminal', () => {
  const failing: StepRow[] = [
    { id: 'call', kind: 'api_call', status: 'failed', startedAt: T0, endedAt: T0, note: 'x'.repeat(200) },
  ];
  const lines = renderSteps(failing, T0, 60);
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
  expect(lines[1]).toMatch(/^ {2}call +api_call +failed +0\.0 s +x+…$/);
});

test('more steps than the terminal is tall: running and failed ones are kept, the rest counted', () => {
  const many: StepRow[] = Array.from({ length: 30 }, (_, i) => ({
    id: `s${i}`,
    kind: 'log',
    status: i === 25 ? 'running' : i === 28 ? 'failed' : 'pending',
  }));
  const lines = renderSteps(many, T0, 80, 10);
  expect(lines).toHaveLength(10);
  expect(lines.some((l) => l.startsWith('  s25 '))).toBe(true);
  expect(lines.some((l) => l.startsWith('  s28 '))).toBe(true);
  expect(lines).toContain('  … 23 more steps');
  expect(lines[lines.length - 1]).toMatch(/ 1\/30 steps$/);
});
