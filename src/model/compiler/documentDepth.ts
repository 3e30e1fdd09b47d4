/**
 * How deeply a definition document may nest, checked before anything else reads it (a deeper
 * value could overflow the stack of the schema checks).
 */
/** How deeply objects and arrays may nest in a definition (the document itself is level 0). */
export const MAX_DOCUMENT_DEPTH = 64;

/**
 * The path of the first value nested deeper than `limit`, or undefined. Iterative, so it cannot
 * overflow the stack itself; a value that contains itself counts as infinitely deep.
 */
export function pathDeeperThan(root: unknown, limit: number): (string | number)[] | undefined {
  interface Entry {
    value: unknown;
    depth: number;
    key?: string | number;
    parent?: Entry;
  }
  const stack: Entry[] = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const { value, depth } = entry;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limit) {
      const path: (string | number)[] = [];
      for (let e: Entry | undefined = entry; e?.key !== undefined; e = e.parent) path.unshift(e.key);
      return path;
    }
    if (Array.isArray(value)) {
      value.forEach((item: unknown, i) =>
        stack.push({ value: item, depth: depth + 1, key: i, parent: entry }),
      );
    } else {
      for (const [key, item] of Object.entries(value)) {
        stack.push({ value: item, depth: depth + 1, key, parent: entry });
      }
    }
  }
  return undefined;
}
