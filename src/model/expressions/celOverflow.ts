/**
 * CEL integer overflow, checked where @marcbachmann/cel-js does not check it. The library checks
 * `int + - *` and `uint` arithmetic, but `-9223372036854775808 / -1`, `-(-9223372036854775808)`
 * and `int(9223372036854775807.0)` return 2^63, `MIN % -1` returns 0, `int('9223372036854775808')`
 * and `uint(-1)` report a conversion error rather than an overflow, and `int(uint)` is missing.
 *
 * The library cannot replace its standard overloads, so `guardOverflow` wraps the evaluation of
 * the AST nodes concerned (through the node's `setMeta('evaluate', …)`, before the node is first
 * evaluated): every int they produce must lie in [-2^63, 2^63 − 1], else the expression fails
 * with "integer overflow" (CEL's `numeric_overflow`), as the CEL specification requires.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { celChildren } from './celAst';

export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** The library's evaluator and evaluation context, opaque here. */
type Ev = { run(ast: unknown, ctx: unknown): unknown };
/** The fields of a checked node that evaluation reads (set by the library's type check). */
type CheckedNode = ASTNode & {
  left: unknown;
  right: unknown;
  handle(...args: unknown[]): unknown;
  meta: { evaluate: (this: ASTNode, ev: Ev, ast: CheckedNode, ctx: unknown) => unknown };
  setMeta(key: 'evaluate', value: (this: ASTNode, ev: Ev, ast: CheckedNode, ctx: unknown) => unknown): void;
};

function overflow(what: string): never {
  throw new Error(`integer overflow: ${what}`);
}

function checkInt(value: unknown, what: () => string): unknown {
  if (typeof value === 'bigint' && (value > INT64_MAX || value < INT64_MIN)) overflow(what());
  return value;
}

const INTEGER_TEXT = /^[+-]?\d+$/;

/** Overflow of `int(x)` / `uint(x)` that the library reports as something else, found before it runs. */
function conversionOverflow(fn: 'int' | 'uint', arg: unknown): void {
  if (fn === 'int') {
    if (typeof arg === 'string' && INTEGER_TEXT.test(arg)) checkInt(BigInt(arg), () => `int('${arg}')`);
    return;
  }
  if (typeof arg === 'bigint' && arg < 0n) overflow(`uint(${arg})`);
  if (typeof arg === 'string' && INTEGER_TEXT.test(arg)) {
    const n = BigInt(arg);
    if (n < 0n || n > UINT64_MAX) overflow(`uint('${arg}')`);
  }
}

/** Wraps the evaluation of every node of `ast` that can overflow silently. Call once per parse. */
export function guardOverflow(ast: ASTNode): void {
  const stack: ASTNode[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop()! as CheckedNode;
    stack.push(...celChildren(node));
    const original = node.meta.evaluate;
    switch (node.op) {
      case '-_':
      case '/':
        node.setMeta('evaluate', function (ev, self, ctx) {
          return checkInt(
            original.call(this, ev, self, ctx),
            () => `${node.op === '/' ? 'division' : 'negation'} result`,
          );
        });
        break;
      case '%':
        node.setMeta('evaluate', function (ev, self, ctx) {
          const left = ev.run(self.left, ctx);
          const right = ev.run(self.right, ctx);
          if (left === INT64_MIN && right === -1n) overflow(`${left} % -1`);
          return self.handle(left, right, self, ev);
        });
        break;
      case 'call': {
        const [name, args] = node.args;
        if ((name !== 'int' && name !== 'uint') || args.length !== 1) break;
        node.setMeta('evaluate', function (ev, self, ctx) {
          const arg = ev.run(args[0], ctx);
          conversionOverflow(name, arg);
          return checkInt(self.handle([arg], self, ev), () => `${name}() result`);
        });
        break;
      }
    }
  }
}
