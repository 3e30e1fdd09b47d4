/**
 * The `condition` kind: a CEL condition and the branches it takes.
 */
import { z } from 'zod';
import { StepId } from '../definition/definition';
import { PARAM_ROLES } from './paramRoles';
import type { KindSpec } from './kindSpec';

const BranchTargets = z.union([StepId, z.array(StepId).min(1)]);

export const ConditionParams = z.strictObject({
  /** A CEL expression that must yield a bool. */
  condition: z.string().min(1).max(4096),
  on_true: BranchTargets.optional(),
  on_false: BranchTargets.optional(),
});
export type ConditionParams = z.infer<typeof ConditionParams>;

/** The `condition` kind. */
export const CONDITION_KIND: KindSpec = Object.freeze({
  execution: 'inline',
  params: ConditionParams,
  defaults: {},
  outputs: ['result'],
  ...PARAM_ROLES.condition,
  description: 'Evaluates a CEL condition to { result }; on_true / on_false steps run only on that branch.',
});
