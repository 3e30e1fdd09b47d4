/** The default branch of an exhaustive switch: a new case that is not handled fails to compile. */

/** Marks a branch the types prove unreachable; throws if a value arrives there anyway. */
export function assertNever(x: never): never {
  throw new TypeError(`unhandled case: ${String(x)}`);
}
