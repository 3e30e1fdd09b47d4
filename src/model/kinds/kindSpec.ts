/**
 * What every node kind module declares (`KindSpec`), and the small zod helpers the kind modules
 * share.
 */
import type { z } from 'zod';
import type { NodeErrorCode } from './nodeErrors';
import type { NodeExecution } from '../plan/plan';
import type { ParamRoles } from './paramRoles';

/** What the compiler and the interpreter need to know about a node kind. */
export interface KindSpec extends ParamRoles {
  /** `inline` in the workflow, `activity`, or a durable `timer`. */
  readonly execution: NodeExecution;
  /** Schema of the params as written (the compiler tolerates template strings in them). */
  readonly params: z.ZodType;
  /** Defaults merged under the written params in the plan. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** The fields of the node's output object, or `'any'` when its output has no fixed shape. */
  readonly outputs: readonly string[] | 'any';
  /** Default start-to-close timeout for activity kinds, ms. */
  readonly defaultTimeoutMs?: number;
  /**
   * Activity kinds: the error codes their activity fails with; whether each is retried is the
   * `NODE_ERRORS` table's decision.
   */
  readonly failures?: readonly NodeErrorCode[];
  readonly description: string;
}

/** What any node activity may fail with: its params, a secret, an output too large for history. */
export const ACTIVITY_FAILURES = ['NodeConfigError', 'SecretNotFound', 'OutputTooLarge'] as const;

/** How an upstream (HTTP API, model provider) refuses or fails a request. */
export const UPSTREAM_FAILURES = [
  'RateLimited',
  'UpstreamUnavailable',
  'UpstreamTimeout',
  'BadRequest',
  'Unauthorized',
] as const;

export { isRecord } from '../util/records';

/** Run cross-field refinements even when a field failed (e.g. it holds a template). */
export const always = { when: () => true } as const;
