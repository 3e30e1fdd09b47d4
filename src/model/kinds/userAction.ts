/**
 * How the compiler and the reference treat a user's action (`action: '<name>'`): an activity whose
 * params are all templates, checked on the worker against the action's own schema.
 */
import { z } from 'zod';
import { PARAM_ROLES } from './paramRoles';
import { ACTIVITY_FAILURES, type KindSpec } from './kindSpec';

/** Default start-to-close timeout of a user action, ms. */
export const ACTION_DEFAULT_TIMEOUT_MS = 300_000;

/** How users' actions are treated: activities whose params are all templates. */
export const USER_ACTION_SPEC: KindSpec = Object.freeze<KindSpec>({
  execution: 'activity',
  params: z.record(z.string(), z.unknown()),
  defaults: {},
  outputs: 'any',
  ...PARAM_ROLES.action,
  defaultTimeoutMs: ACTION_DEFAULT_TIMEOUT_MS,
  failures: ['ActionFailed', 'InvalidActionParams', ...ACTIVITY_FAILURES],
  description: "A user's action, run by the worker that registered it.",
});
