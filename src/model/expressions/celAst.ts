/**
 * The one description of how a CEL AST (from @marcbachmann/cel-js) nests: the analyses that walk
 * it (references, expression rules) handle the node kinds they care about and descend through
 * everything else with `celChildren`.
 */
import type { ASTNode } from '@marcbachmann/cel-js';

/** The direct sub-expressions of a node, in source order. */
export function celChildren(node: ASTNode): ASTNode[] {
  switch (node.op) {
    case 'value':
    case 'id':
      return [];
    case '.':
    case '.?':
      return [node.args[0]];
    case 'list':
    case '?:':
      return [...node.args];
    case 'map':
      return node.args.flatMap(([key, value]) => [key, value]);
    case 'call':
      return [...node.args[1]];
    case 'rcall':
      return [node.args[1], ...node.args[2]];
    case '!_':
    case '-_':
      return [node.args];
    default:
      // Binary operators, indexing, && and ||.
      return [node.args[0], node.args[1]];
  }
}
