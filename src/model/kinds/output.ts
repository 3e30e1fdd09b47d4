/**
 * The `output` kind: renders a value into `result().outputs`.
 */
import { z } from 'zod';
import { ParamType } from '../definition/definition';
import { PARAM_ROLES } from './paramRoles';
import { always, isRecord, type KindSpec } from './kindSpec';

/** What an `output` step's `type` may be: a param type, or `stream<string>` (see {@link OutputParams}). */
export const OutputType = z.union([ParamType, z.literal('stream<string>')]);
export type OutputType = z.infer<typeof OutputType>;

export const OutputParams = z
  .strictObject({
    /** The output's value; strings may hold templates, objects and arrays are rendered deeply. */
    value: z.unknown(),
    /** The key in `result().outputs`. @default the step id */
    name: z.string().min(1).max(128).optional(),
    /**
     * The type the rendered value must have; a mismatch fails the step. `stream<string>`: a
     * string that is streamed while it is produced — with a value of exactly
     * `{{ steps.<llm>.output.response }}` for an llm step with `stream: true`, that step's tokens
     * are streamed under this output's name; the output holds the final string at the end.
     * @default 'any'
     */
    type: OutputType.optional(),
  })
  .refine((v) => isRecord(v) && v.value !== undefined, {
    message: 'value is required',
    path: ['value'],
    ...always,
  });
export type OutputParams = z.infer<typeof OutputParams>;

/** The `output` kind. */
export const OUTPUT_KIND: KindSpec = Object.freeze({
  execution: 'inline',
  params: OutputParams,
  defaults: {},
  outputs: 'any',
  ...PARAM_ROLES.output,
  description: 'Renders a value into result().outputs under its name.',
});
