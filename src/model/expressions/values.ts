/**
 * JSON ⇄ CEL values. JSON has one number type; CEL has `int` and `double`, and arithmetic does not
 * mix them. Going in, integral numbers become `int` (BigInt) and others stay `double`; coming out,
 * ints become numbers again, so results are plain JSON (no BigInt in workflow payloads).
 *
 * Keys are data: `constructor`, `__proto__` and `prototype` go in and come back out like any other
 * key. Going in, an object holding one of them becomes a `Map` (the library decides a value's type
 * by its `constructor` property, so `{"constructor": "Ferrari"}` as an object would be unreadable);
 * others become prototype-less objects. Coming out, keys are defined as own properties
 * ({@link setOwn}), so `__proto__` is a key, never a prototype.
 */

/** A value that cannot cross the JSON ⇄ CEL boundary. */
export class ValueConversionError extends Error {
  override readonly name = 'ValueConversionError';
}

const INT64_LIMIT = 2 ** 63;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
/** Keys a JS object cannot hold as plain data for the library (see above): such objects become Maps. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `target[key] = value` that is safe for every key: an own, enumerable data property, so a key
 * named `__proto__` is stored as data instead of replacing the prototype.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
}

/** Bounds on the size of a converted value (a CEL result can alias one list many times). */
export const VALUE_LIMITS = { maxNodes: 1_000_000, maxDepth: 256 } as const;

interface Budget {
  nodes: number;
}

function spend(budget: Budget, depth: number): void {
  if (++budget.nodes > VALUE_LIMITS.maxNodes) {
    throw new ValueConversionError(`value has more than ${VALUE_LIMITS.maxNodes} elements`);
  }
  if (depth > VALUE_LIMITS.maxDepth)
    throw new ValueConversionError(`value is nested deeper than ${VALUE_LIMITS.maxDepth}`);
}

/** Converts a JSON value into what CEL evaluates over. */
export function toCel(value: unknown): unknown {
  return into(value, { nodes: 0 }, 0);
}

function into(value: unknown, budget: Budget, depth: number): unknown {
  spend(budget, depth);
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < INT64_LIMIT ? BigInt(value) : value;
    case 'string':
    case 'boolean':
    case 'bigint':
      return value;
    case 'undefined':
      return null;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((item: unknown) => into(item, budget, depth + 1));
      const keys = Object.keys(value);
      if (keys.some((key) => PROTOTYPE_KEYS.has(key))) {
        const map = new Map<string, unknown>();
        for (const key of keys) {
          const member = (value as Record<string, unknown>)[key];
          if (member !== undefined) map.set(key, into(member, budget, depth + 1));
        }
        return map;
      }
      const out = Object.create(null) as Record<string, unknown>;
      for (const key of keys) {
        const member = (value as Record<string, unknown>)[key];
        if (member !== undefined) out[key] = into(member, budget, depth + 1);
      }
      return out;
    }
    default:
      throw new ValueConversionError(`a ${typeof value} is not a JSON value`);
  }
}

/** Converts a CEL result back to plain JSON. @throws ValueConversionError for values JSON cannot hold. */
export function fromCel(value: unknown): unknown {
  return out(value, { nodes: 0 }, 0);
}

function out(value: unknown, budget: Budget, depth: number): unknown {
  spend(budget, depth);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value))
        throw new ValueConversionError(`the result ${value} is not a finite number`);
      return value;
    case 'bigint':
      if (value > INT64_MAX || value < INT64_MIN)
        throw new ValueConversionError(`integer overflow: ${value}`);
      return bigintToNumber(value);
    case 'object':
      break;
    default:
      throw new ValueConversionError(`a ${typeof value} result cannot be represented in JSON`);
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item: unknown) => out(item, budget, depth + 1));
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ValueConversionError('invalid timestamp');
    return value.toISOString();
  }
  if (value instanceof Uint8Array) {
    throw new ValueConversionError(
      'bytes cannot be represented in JSON; convert with .string() or .base64()',
    );
  }
  if (value instanceof Map) {
    const result: Record<string, unknown> = {};
    for (const [key, member] of value as Map<unknown, unknown>) {
      const name = typeof key === 'bigint' ? key.toString() : String(key);
      setOwn(result, name, out(member, budget, depth + 1));
    }
    return result;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      setOwn(result, key, out((value as Record<string, unknown>)[key], budget, depth + 1));
    }
    return result;
  }
  // CEL's own scalar wrappers: uint (valueOf → bigint), duration ("90s").
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (name === 'UnsignedInt' || name === 'UnsignedInteger')
    return bigintToNumber((value as { valueOf(): bigint }).valueOf());
  if (name === 'Duration') return (value as { toString(): string }).toString();
  throw new ValueConversionError(
    `a ${typeof name === 'string' ? name : 'non-JSON'} value cannot be represented in JSON`,
  );
}

function bigintToNumber(value: bigint): number {
  const n = Number(value);
  if (BigInt(n) !== value)
    throw new ValueConversionError(`the integer ${value} cannot be represented exactly in JSON`);
  return n;
}
