/**
 * References and templates of the builder: a {@link Ref} names a value that exists only while the
 * pipeline runs and is written into the document as the template `{{ <expression> }}`.
 */
import { escapeTemplateText } from '../expressions/templates';

/** What a step id or a field name must look like to be written as `.name` in an expression. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The keys `ref.at()` accepts for a value of type T. */
export type RefKey<T> = unknown extends T
  ? string | number
  : T extends readonly unknown[]
    ? number
    : T extends object
      ? keyof T & (string | number)
      : never;
/** The type of `T[K]` as seen through {@link RefKey}. */
export type RefValue<T, K> = unknown extends T
  ? unknown
  : T extends readonly (infer E)[]
    ? E
    : K extends keyof T
      ? T[K]
      : never;

/**
 * A reference to a value that exists only while the pipeline runs (a step's output, a param).
 * In params it serialises to the template `{{ <expression> }}`, which keeps the value's type when
 * it is the whole param and interpolates as text inside a longer string.
 */
export class Ref<T = unknown> {
  /** Phantom: the type of the referenced value. */
  declare readonly valueType?: T;

  /** @param expression The CEL expression that reads the value, e.g. `steps.llm.output.response`. */
  constructor(readonly expression: string) {}

  /** A reference to a field or element: `ref.at('items').at(0)`. */
  at<K extends RefKey<T>>(key: K): Ref<RefValue<T, K>> {
    const access =
      typeof key === 'number' ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    return new Ref(`${this.expression}${access}`);
  }

  /** The same reference with a type you assert (for outputs with no fixed shape). */
  as<U>(): Ref<U> {
    return new Ref<U>(this.expression);
  }

  /** The template this reference is written as in a definition. */
  toString(): string {
    return `{{ ${this.expression} }}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Text composed with {@link template}: literal text and references. */
export class Template {
  constructor(readonly source: string) {}

  toString(): string {
    return this.source;
  }

  toJSON(): string {
    return this.source;
  }
}

/** What {@link template} accepts between `${ }`. */
export type Interpolation = Ref<unknown> | Template | string | number | boolean;

/**
 * Composes text from references: `` template`Summarise ${doc.value} in ${words} words` ``.
 * References become `{{ }}` templates; plain values are inserted as text, with any `{{` or `}}`
 * they contain escaped so data can never become a template.
 */
export function template(strings: TemplateStringsArray, ...values: Interpolation[]): Template {
  let source = strings[0] ?? '';
  values.forEach((value, i) => {
    source += interpolate(value) + (strings[i + 1] ?? '');
  });
  return new Template(source);
}

function interpolate(value: Interpolation): string {
  if (value instanceof Ref || value instanceof Template) return value.toString();
  return escapeTemplateText(String(value));
}

/** Turns references and templates anywhere inside a value into their template strings. */
export function serialiseValue(value: unknown): unknown {
  if (value instanceof Ref || value instanceof Template) return value.toString();
  if (Array.isArray(value)) return value.map(serialiseValue);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = serialiseValue(v);
    return out;
  }
  return value;
}
