/**
 * The `log` kind: a message written to the run log.
 */
import { z } from 'zod';
import { PARAM_ROLES } from './paramRoles';
import type { KindSpec } from './kindSpec';

export const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);
export const LogParams = z.strictObject({
  message: z.string(),
  /** @default 'info' */
  level: LogLevel.optional(),
});
export type LogParams = z.infer<typeof LogParams>;

/** The `log` kind. */
export const LOG_KIND: KindSpec = Object.freeze({
  execution: 'inline',
  params: LogParams,
  defaults: { level: 'info' },
  outputs: ['message', 'level'],
  ...PARAM_ROLES.log,
  description: 'Writes a message to the run log.',
});
