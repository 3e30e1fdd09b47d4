/**
 * The `input` kind: reads one of the run's inputs.
 */
import { z } from 'zod';
import { ParamType } from '../definition/definition';
import { valueMatchesType } from '../plan/runValues';
import { PARAM_ROLES } from './paramRoles';
import { always, isRecord, type KindSpec } from './kindSpec';

export const InputParams = z
  .strictObject({
    /** The key read from the run's inputs. @default the step id */
    name: z.string().min(1).max(128).optional(),
    /** @default 'any' */
    type: ParamType.optional(),
    /** @default true */
    required: z.boolean().optional(),
    default: z.unknown().optional(),
  })
  .refine(
    (v) =>
      !isRecord(v) ||
      v.default === undefined ||
      valueMatchesType(v.default, ParamType.catch('any').parse(v.type)),
    { message: 'default does not match the declared type', path: ['default'], ...always },
  );
export type InputParams = z.infer<typeof InputParams>;

/** The `input` kind. */
export const INPUT_KIND: KindSpec = Object.freeze({
  execution: 'inline',
  params: InputParams,
  defaults: { type: 'any', required: true },
  outputs: ['value'],
  ...PARAM_ROLES.input,
  description: "Reads one of the run's inputs; its output is { value }.",
});
