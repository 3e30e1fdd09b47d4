/**
 * The `notification` kind: a message posted to a webhook url or a configured channel.
 */
import { z } from 'zod';
import { PARAM_ROLES } from './paramRoles';
import { always, isRecord, type KindSpec } from './kindSpec';

export const NotificationParams = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/i, 'an http:// or https:// URL')
      .optional(),
    channel: z.string().min(1).optional(),
    message: z.string().optional(),
    payload: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .refine((v) => isRecord(v) && (v.url !== undefined || v.channel !== undefined), {
    message: 'a notification step needs a url or a channel',
    ...always,
  });
export type NotificationParams = z.infer<typeof NotificationParams>;

/** The `notification` kind. */
export const NOTIFICATION_KIND: KindSpec = Object.freeze({
  execution: 'activity',
  params: NotificationParams,
  defaults: {},
  outputs: ['status', 'delivered'],
  ...PARAM_ROLES.notification,
  defaultTimeoutMs: 30_000,
  description: 'Posts a message to a webhook url or a configured channel.',
});
