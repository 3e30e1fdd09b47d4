/**
 * The `delay` kind: a durable timer.
 */
import { z } from 'zod';
import { boundedDuration } from '../definition/definition';
import { DURATION_LIMITS } from '../definition/duration';
import { PARAM_ROLES } from './paramRoles';
import type { KindSpec } from './kindSpec';

/** At most 365 days (`DURATION_LIMITS.delay`). */
export const DelayParams = z.strictObject({ duration: boundedDuration(DURATION_LIMITS.delay) });
export type DelayParams = z.infer<typeof DelayParams>;

/** The `delay` kind. */
export const DELAY_KIND: KindSpec = Object.freeze({
  execution: 'timer',
  params: DelayParams,
  defaults: {},
  outputs: ['duration_ms'],
  ...PARAM_ROLES.delay,
  description: 'Waits for a duration on a durable timer.',
});
