/**
 * `--input k=v` / `--param k=v` values. A value is taken as JSON when it parses as JSON and the
 * name is not declared `string` (so `n=5` is the number 5, `tags=["a"]` a list), else as text.
 */
import type { ParamType } from '../pipeline/definition';

export function parseAssignments(
  pairs: readonly string[],
  flag: string,
  declaredType: (name: string) => ParamType | undefined,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} takes name=value, got "${pair}"`);
    const name = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    values[name] = declaredType(name) === 'string' ? raw : jsonOrText(raw);
  }
  return values;
}

/** `raw` parsed as JSON, or `raw` itself when it is not JSON. */
export function jsonOrText(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** A mistake in how the CLI was called: printed without a stack, exit code 2. */
export class UsageError extends Error {}
