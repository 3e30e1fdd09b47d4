/**
 * `--input k=v` / `--param k=v` values. A value is taken as JSON when it parses as JSON and the
 * name is not declared `string` (so `n=5` is the number 5, `tags=["a"]` a list), else as text.
 * Every name is kept as given (`__proto__` too). An integer JSON cannot carry exactly (beyond
 * ±2^53, e.g. `n=9007199254740993`) is refused, naming the key, instead of being rounded.
 */
import type { ParamType } from '../model';
import { setOwn } from '../model';

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
    if (declaredType(name) === 'string') setOwn(values, name, raw);
    else {
      const value = jsonOrText(raw);
      if (value !== raw) {
        const unsafe = unsafeInteger(raw);
        if (unsafe !== undefined) {
          throw new UsageError(
            `${flag} ${name}: the integer ${unsafe} is beyond 2^53 and would not stay exact as a JSON number; ` +
              `pass it as a string (${name}='"${unsafe}"').`,
          );
        }
      }
      setOwn(values, name, value);
    }
  }
  return values;
}

/** JSON strings and numbers, in order: numbers are checked, strings skipped. */
const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/** The first integer literal in JSON text that a JS number cannot hold exactly, if any. */
function unsafeInteger(json: string): string | undefined {
  for (const [token] of json.matchAll(JSON_TOKEN)) {
    if (token.startsWith('"') || /[.eE]/.test(token)) continue;
    if (!Number.isSafeInteger(Number(token))) return token;
  }
  return undefined;
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
