/** Type-level helpers of the builder: what a declared type admits, and what params accept. */
import type { OutputType } from '../kinds/catalog';
import type { ParamType } from '../definition/definition';
import type { Ref, Template } from './refs';

/** A duration written with its unit, e.g. `"500ms"`, `"30s"`, `"5m"`, `"2h"`, `"1d"`. */
export type DurationText = `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

/** Text params: a string (which may hold `{{ }}` templates), a string reference or a {@link template}. */
export type Text = string | Ref<string> | Template;
/** A CEL expression param: source text, or a boolean reference. */
export type Expression = string | Ref<boolean>;
/** A value that may contain references anywhere inside it. */
export type Value<T = unknown> = T | Ref<T> | Template;

/** What an input's declared type admits, and what its reference yields. */
export type ValueOfType<T extends OutputType> = T extends 'string' | 'stream<string>'
  ? string
  : T extends 'number' | 'integer'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'object'
        ? Record<string, unknown>
        : T extends 'array'
          ? unknown[]
          : unknown;

/** The declared types a value type admits (all of them for `unknown`). */
export type TypeNameOf<V> = unknown extends V
  ? ParamType
  : V extends string
    ? 'string' | 'any'
    : V extends number
      ? 'number' | 'integer' | 'any'
      : V extends boolean
        ? 'boolean' | 'any'
        : V extends readonly unknown[]
          ? 'array' | 'any'
          : V extends object
            ? 'object' | 'any'
            : 'any';

/** Input types allowed for an input node named N, given the pipeline's declared `Inputs`. */
export type InputTypeFor<Inputs, N extends string> = N extends keyof Inputs ? TypeNameOf<Inputs[N]> : never;

/** What an output node's value may be, given its declared type. */
export type OutputValueFor<T extends OutputType> = T extends 'string'
  ? Text
  : T extends 'stream<string>'
    ? Ref<string>
    : T extends 'number' | 'integer'
      ? number | Ref<number>
      : T extends 'boolean'
        ? boolean | Ref<boolean>
        : T extends 'array'
          ? readonly unknown[] | Ref<readonly unknown[]>
          : T extends 'object'
            ? object
            : unknown;
