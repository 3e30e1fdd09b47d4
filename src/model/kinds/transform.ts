/**
 * The `transform` kind: a value computed inline from CEL or a templated JSON value.
 */
import { z } from 'zod';
import { PARAM_ROLES } from './paramRoles';
import { always, isRecord, type KindSpec } from './kindSpec';

export const TransformParams = z
  .strictObject({
    /** A CEL expression whose value is the output. */
    expression: z.string().min(1).max(4096).optional(),
    /** A JSON value whose strings may hold templates. */
    value: z.unknown().optional(),
  })
  .refine((v) => isRecord(v) && (v.expression === undefined) !== (v.value === undefined), {
    message: 'a transform step needs exactly one of expression or value',
    ...always,
  });
export type TransformParams = z.infer<typeof TransformParams>;

/** The `transform` kind. */
export const TRANSFORM_KIND: KindSpec = Object.freeze({
  execution: 'inline',
  params: TransformParams,
  defaults: {},
  outputs: 'any',
  ...PARAM_ROLES.transform,
  description: 'Computes a value from a CEL expression or a templated JSON value.',
});
