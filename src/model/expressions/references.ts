/**
 * What a CEL expression reads: walks the parsed AST and reports references to `steps.<id>…`,
 * `params.<name>`, `inputs.<name>`, `secrets`, a map step's `item` and `index`, and any other
 * free variable. Macro iteration
 * variables (`xs.map(x, …)`) and `cel.bind(v, …)` are scoped correctly.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { celChildren } from './celAst';

/** Variables an expression may read. (`secrets` is only valid as a bare template, never in CEL.) */
export const SCOPE_VARIABLES = ['steps', 'params', 'inputs'] as const;
/**
 * Variables only a map step's per-item templates define (`MAP_ITEM_VARIABLES`). Not reserved: a
 * macro may still bind them (`xs.map(item, item * 2)`).
 */
export const ITEM_VARIABLES = ['item', 'index'] as const;
/** Fields of `steps.<id>`. */
export const STEP_FIELDS = ['output', 'status', 'error', 'attempts'] as const;

/** Comprehension macros: `receiver.name(var, …)`. */
export const COMPREHENSION_MACROS: ReadonlySet<string> = new Set([
  'all',
  'exists',
  'exists_one',
  'map',
  'filter',
]);

export interface Located {
  /** Source offsets of the reference inside the expression. */
  start: number;
  end: number;
}

/** `steps.<stepId>.<field>.<outputField>…` */
export interface StepReference extends Located {
  stepId: string;
  /** `output`, `status`, `error`, `attempts` — or anything the user wrote; absent for bare `steps.<id>`. */
  field?: string;
  /** The first key under `output`, when written literally. */
  outputField?: string;
}

export interface NameReference extends Located {
  /** The name; `''` when the variable is used whole or indexed dynamically. */
  name: string;
}

export interface ExpressionReferences {
  steps: StepReference[];
  params: NameReference[];
  inputs: NameReference[];
  /** Any use of `secrets` inside CEL (always an error: secrets are bare templates only). */
  secrets: NameReference[];
  /**
   * Free uses of a map step's `item` and `index` (`name` is `item` or `index`); valid only in a
   * map step's per-item templates, which the compiler checks.
   */
  item: NameReference[];
  /** Free variables that are none of steps/params/inputs/secrets/item/index. */
  unknownVariables: NameReference[];
  /** `steps` used without a literal step id (`steps`, `steps[x]`): dependencies could not be inferred. */
  dynamicStepAccess: Located[];
  /** Macro variables that would shadow steps/params/inputs/secrets. */
  shadowing: NameReference[];
}

const RESERVED_ROOTS: ReadonlySet<string> = new Set([...SCOPE_VARIABLES, 'secrets']);

type Segment = string | number;

/** Collects the references of a parsed expression. */
export function collectReferences(ast: ASTNode): ExpressionReferences {
  const refs: ExpressionReferences = {
    steps: [],
    params: [],
    inputs: [],
    secrets: [],
    item: [],
    unknownVariables: [],
    dynamicStepAccess: [],
    shadowing: [],
  };

  // Plain object literals, no spreads: workflow code runs this for every expression of a run.
  const root = (name: string, path: Segment[], node: ASTNode, bound: ReadonlySet<string>): void => {
    if (bound.has(name)) return;
    const { start, end } = node;
    const first = path[0];
    switch (name) {
      case 'steps': {
        if (typeof first !== 'string') {
          refs.dynamicStepAccess.push({ start, end });
          return;
        }
        const ref: StepReference = { stepId: first, start, end };
        if (typeof path[1] === 'string') {
          ref.field = path[1];
          if (path[1] === 'output' && typeof path[2] === 'string') ref.outputField = path[2];
        }
        refs.steps.push(ref);
        return;
      }
      case 'params':
      case 'inputs':
      case 'secrets':
        refs[name].push({ name: typeof first === 'string' ? first : '', start, end });
        return;
      case 'item':
      case 'index':
        refs.item.push({ name, start, end });
        return;
      default:
        refs.unknownVariables.push({ name, start, end });
    }
  };

  const bind = (variable: ASTNode, bound: ReadonlySet<string>): ReadonlySet<string> => {
    if (variable.op !== 'id') return bound;
    if (RESERVED_ROOTS.has(variable.args)) {
      refs.shadowing.push({ name: variable.args, start: variable.start, end: variable.end });
    }
    return new Set([...bound, variable.args]);
  };

  const walk = (node: ASTNode, bound: ReadonlySet<string>): void => {
    switch (node.op) {
      case 'value':
        return;
      case 'id':
        root(node.args, [], node, bound);
        return;
      case '.':
      case '.?':
      case '[]':
      case '[?]': {
        // Flatten the access chain root-first; the literal path stops at the first dynamic index.
        const accessors: ASTNode[] = [];
        let current: ASTNode = node;
        while (current.op === '.' || current.op === '.?' || current.op === '[]' || current.op === '[?]') {
          accessors.push(current);
          current = current.args[0];
        }
        accessors.reverse();
        const path: Segment[] = [];
        let dynamic = false;
        for (const accessor of accessors) {
          if (accessor.op === '.' || accessor.op === '.?') {
            if (!dynamic) path.push(accessor.args[1]);
          } else if (accessor.op === '[]' || accessor.op === '[?]') {
            const index = accessor.args[1];
            walk(index, bound);
            const literal = index.op === 'value' ? index.args : undefined;
            if (!dynamic && typeof literal === 'string') path.push(literal);
            else if (!dynamic && typeof literal === 'bigint') path.push(Number(literal));
            else dynamic = true;
          }
        }
        if (current.op === 'id') root(current.args, path, current, bound);
        else walk(current, bound);
        return;
      }
      case 'rcall': {
        const [name, receiver, args] = node.args;
        const [first, second, third] = args;
        if (name === 'bind' && receiver.op === 'id' && receiver.args === 'cel' && first && second && third) {
          walk(second, bound);
          walk(third, bind(first, bound));
          return;
        }
        walk(receiver, bound);
        if (COMPREHENSION_MACROS.has(name) && first?.op === 'id' && args.length >= 2) {
          const inner = bind(first, bound);
          for (const arg of args.slice(1)) walk(arg, inner);
          return;
        }
        for (const arg of args) walk(arg, bound);
        return;
      }
      default:
        for (const child of celChildren(node)) walk(child, bound);
    }
  };

  walk(ast, new Set());
  return refs;
}
