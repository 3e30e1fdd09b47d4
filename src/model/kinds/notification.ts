/**
 * The `notification` kind: a message posted to a webhook url or a configured channel.
 * `NotificationParams` is what a step may write (the compiler's check);
 * `RenderedNotificationParams`, derived from the same fields, is what the worker parses once
 * templates are rendered.
 */
import { z } from 'zod';
import { PARAM_ROLES } from './paramRoles';
import { ACTIVITY_FAILURES, always, isRecord, UPSTREAM_FAILURES, type KindSpec } from './kindSpec';
import { RenderedText } from './renderedText';

const NOTIFICATION_FIELDS = {
  /** Webhook URL; wins over `channel`. */
  url: z
    .string()
    .regex(/^https?:\/\/\S+$/i, 'an http:// or https:// URL')
    .optional(),
  /** Names a webhook configured on the worker (`webhooks[channel]`) when `url` is absent. */
  channel: z.string().min(1).optional(),
  message: z.string().optional(),
  /** Any JSON sent along as `payload`. */
  payload: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
};

/** The params as written. */
export const NotificationParams = z
  .strictObject(NOTIFICATION_FIELDS)
  .refine((v) => isRecord(v) && (v.url !== undefined || v.channel !== undefined), {
    message: 'a notification step needs a url or a channel',
    ...always,
  });
export type NotificationParams = z.infer<typeof NotificationParams>;

/**
 * The params as the worker receives them: the written fields with their defaults; `url` any
 * text (the worker checks it is http(s)), `message` taken as JSON text when a template rendered a
 * non-string. The url-or-channel rule is the activity's own (it names the configured channels).
 */
export const RenderedNotificationParams = z.object({
  ...NOTIFICATION_FIELDS,
  url: z.string().min(1).optional(),
  message: RenderedText.default(''),
  headers: NOTIFICATION_FIELDS.headers.default({}),
});
export type RenderedNotificationParams = z.infer<typeof RenderedNotificationParams>;

/** The `notification` node's output. */
export interface NotificationOutput {
  status: number;
  delivered: true;
}

/** The `notification` kind. */
export const NOTIFICATION_KIND: KindSpec = Object.freeze<KindSpec>({
  execution: 'activity',
  params: NotificationParams,
  defaults: {},
  outputs: ['status', 'delivered'] satisfies (keyof NotificationOutput)[],
  ...PARAM_ROLES.notification,
  defaultTimeoutMs: 30_000,
  failures: [...UPSTREAM_FAILURES, ...ACTIVITY_FAILURES, 'EgressDenied'],
  description: 'Posts a message to a webhook url or a configured channel.',
});
