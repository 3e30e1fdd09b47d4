/**
 * Workflow time as an ISO string. Workflow time stands still within an activation, and a run
 * stamps every log record and stream chunk, so the string is made once per distinct time.
 */
let lastMs = Number.NaN;
let lastIso = '';

export function nowIso(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
