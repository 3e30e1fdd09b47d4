/**
 * The `notification` node: POSTs a JSON message to a webhook — the node's `url`, or the URL the
 * worker configured for its `channel`.
 */
import { RenderedNotificationParams, type NotificationOutput } from '../../model';

export type { NotificationOutput } from '../../model';
import type { EgressPolicy } from '../guards/egress';
import { NodeActivityError } from './nodeFailures';
import { buildUrl } from './http';
import { sendHttp } from './httpRequest';
import type { NodeFn } from './wrapNodeActivity';
import { parseParams } from './params';

/** The JSON body every notification POSTs. */
export interface NotificationMessage {
  message: string;
  channel: string | null;
  payload: unknown;
  pipeline: string;
  taskId: string;
  nodeId: string;
  /** ISO 8601, when this attempt sent it. */
  sentAt: string;
}

/** The `notification` node implementation (wrap it with `wrapNodeActivity`). */
export function createNotificationNode(options: {
  webhooks: Record<string, string>;
  egress: EgressPolicy;
}): NodeFn {
  return async (input, ctx) => {
    const params = parseParams('notification', RenderedNotificationParams, input.params);
    const target =
      params.url ??
      (params.channel !== undefined && Object.hasOwn(options.webhooks, params.channel)
        ? options.webhooks[params.channel]
        : undefined);
    if (target === undefined) {
      const configured = Object.keys(options.webhooks).sort().join(', ') || 'none';
      throw new NodeActivityError(
        'NodeConfigError',
        params.channel === undefined
          ? 'notification needs `url` or `channel`'
          : `notification channel "${params.channel}" has no webhook on this worker (configured: ${configured}) and no url was given`,
      );
    }
    const message: NotificationMessage = {
      message: params.message,
      channel: params.channel ?? null,
      payload: params.payload ?? null,
      pipeline: input.run.pipeline,
      taskId: input.run.taskId,
      nodeId: input.nodeId,
      sentAt: new Date().toISOString(),
    };
    const url = buildUrl(target, {}, 'notification');
    const res = await sendHttp(
      {
        url,
        // Webhook URLs often carry their token in the path: name only the origin.
        label:
          params.url !== undefined
            ? `notification POST ${url.origin}`
            : `notification POST ${url.origin} (channel "${params.channel}")`,
        method: 'POST',
        // Receivers can drop the duplicates a retry may cause.
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `${input.run.taskId}/${input.nodeId}`,
          ...params.headers,
        },
        body: JSON.stringify(message),
        maxResponseBytes: 0,
        discardBody: true,
        egress: options.egress,
        // A channel's webhook is the worker's configuration; a url from the definition is not.
        trustedUrl: params.url === undefined,
      },
      ctx,
    );
    const output: NotificationOutput = { status: res.status, delivered: true };
    return { output };
  };
}
