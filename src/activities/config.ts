/**
 * Worker-side configuration of the node activities. Plain data (zod-validated) plus the secret
 * lookup and the users' actions. Nothing here ever enters workflow history.
 */
import { z } from 'zod';
import type { ActionDefinition } from '../model';
import { Duration } from '../model';
import type { SecretsOption } from './guards/secrets';
import type { EgressOptions } from './guards/egress';

/**
 * A provider's rate limit, shared by every worker through one limiter workflow per model (or per
 * provider): at most `requests` calls and `tokens` tokens (prompt + completion) per `per`.
 * @example { requests: 500, tokens: 200000, per: '1m' }
 */
export const RateLimitConfig = z
  .strictObject({
    requests: z.number().int().positive().optional(),
    tokens: z.number().int().positive().optional(),
    /** The window the limits count over: seconds, or a string such as `'1m'`. @default '1m' */
    per: Duration.optional(),
    /** One limit per model (as OpenAI's limits are), or one for all the provider's models. @default 'model' */
    scope: z.enum(['model', 'provider']).optional(),
  })
  .refine((limit) => limit.requests !== undefined || limit.tokens !== undefined, {
    message: 'a rate limit needs `requests` or `tokens`',
  });
export type RateLimitConfig = z.infer<typeof RateLimitConfig>;

/**
 * An OpenAI-compatible chat-completions endpoint the `llm` node can name as `provider`.
 * @example { baseURL: 'http://localhost:11434/v1', defaultModel: 'llama3.2' } // Ollama, no key
 * @example { baseURL: 'https://api.groq.com/openai/v1', apiKeyEnv: 'GROQ_API_KEY' }
 */
export const ProviderConfig = z.strictObject({
  /** @default the OpenAI API (`OPENAI_BASE_URL` for the `openai` provider) */
  baseURL: z.url().optional(),
  /** The key itself. Prefer `apiKeyEnv`. */
  apiKey: z.string().min(1).optional(),
  /** Environment variable holding the key. @default 'OPENAI_API_KEY' for `openai`; none (keyless) for others */
  apiKeyEnv: z.string().min(1).optional(),
  /** Model used when the node names none. */
  defaultModel: z.string().min(1).optional(),
  /** Extra headers on every request (e.g. `OpenAI-Organization`). */
  headers: z.record(z.string(), z.string()).optional(),
  /**
   * Request field carrying the node's `max_tokens`. OpenAI's current models take only
   * `max_completion_tokens`; many compatible servers take only `max_tokens`.
   * @default 'max_completion_tokens' for `openai`, 'max_tokens' for others
   */
  maxTokensParam: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
  /** Calls to this provider are paced across all workers (see {@link RateLimitConfig}). */
  rateLimit: RateLimitConfig.optional(),
  /** Limits of particular models, in place of `rateLimit` for them. */
  modelRateLimits: z.record(z.string().min(1), RateLimitConfig).optional(),
  /**
   * What this provider's models cost, US dollars per million tokens, by model name (the name a
   * step asks for, or the one the provider answers with). With a price, an llm step's `usage`
   * carries `costUsd`; a step under a `max_cost` budget whose model has no price is refused
   * (`BudgetUnpriced`) before any call.
   * @example { 'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 } }
   */
  prices: z
    .record(
      z.string().min(1),
      z.strictObject({
        /** US dollars per million prompt tokens. */
        inputPerMillion: z.number().nonnegative(),
        /** US dollars per million completion tokens. */
        outputPerMillion: z.number().nonnegative(),
      }),
    )
    .optional(),
});
export type ProviderConfig = z.infer<typeof ProviderConfig>;

/** The data part of {@link ActivitiesConfig}, validated by `createActivities`. */
export const ActivitiesDataConfig = z.object({
  providers: z.record(z.string().min(1), ProviderConfig).optional(),
  /** Webhook URL per notification channel (`slack`, `ops`, …). */
  webhooks: z.record(z.string().min(1), z.url()).optional(),
  streaming: z
    .strictObject({
      batchMs: z.number().min(0).max(60_000).optional(),
      settledBatchMs: z.number().min(0).max(60_000).optional(),
      batchBytes: z
        .number()
        .int()
        .min(1)
        .max(256 * 1024)
        .optional(),
    })
    .optional(),
});

export interface ActivitiesConfig {
  /** LLM providers by name. `openai` exists without configuration (env `OPENAI_API_KEY`, `OPENAI_BASE_URL`). */
  providers?: Record<string, ProviderConfig>;
  /** Webhook URL per notification channel, used when a `notification` node gives no `url`. */
  webhooks?: Record<string, string>;
  /**
   * The secrets a definition may name as `{{ secrets.NAME }}`: values by name, or a resolver
   * (sync or async, e.g. backed by Vault or a cloud secret manager) returning `undefined` for a
   * name it does not hold. A name found nowhere here is looked up as the environment variable
   * `PIPELINE_SECRET_<NAME>` in `env`; no other variable is ever read for a definition, so the
   * worker's own configuration (`PIPELINE_ENCRYPTION_KEYS`, `OPENAI_API_KEY`, …) stays out of
   * reach. An unknown name fails the step with `SecretNotFound` (never retried).
   * @default only `PIPELINE_SECRET_<NAME>` variables
   * @example { STRIPE_KEY: process.env.STRIPE_KEY! }
   * @example async (name) => (await vault.read(`pipelines/${name}`))?.value
   */
  secrets?: SecretsOption;
  /** Users' actions; each becomes an activity named after it. */
  actions?: ActionDefinition[];
  /**
   * Where requests a definition causes (api_call, a notification's `url`, end-of-run callbacks,
   * and their redirects) may go besides public addresses: `{ allow: ['loopback', '10.0.0.0/8',
   * 'api.internal', '*.corp.example'] }`, added to `PIPELINE_EGRESS_ALLOW` from `env`. Provider
   * base URLs and channel webhooks are the worker's own configuration and are not checked.
   * @default public addresses only
   */
  egress?: EgressOptions;
  /** Where provider keys (`apiKeyEnv`, `OPENAI_API_KEY`) and `PIPELINE_SECRET_<NAME>` are read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * Signs end-of-run callbacks: every callback POST then carries
   * `x-pipeline-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, which the
   * receiver checks with the same secret (`verifyCallbackSignature`). Unsigned when absent.
   * Only the worker knows it: it never enters workflow history.
   * @default env PIPELINE_CALLBACK_SECRET (in `runWorkerFromEnv`)
   */
  callbackSecret?: string;
  /**
   * How an `llm` node with `stream: true` batches its token deltas into signals to the run.
   * Each batch costs the run about 4 history events (the signal and a workflow task): a longer
   * `batchMs` means fewer events per token and a choppier stream. The first delta of an attempt
   * is always sent at once; batches are at most `batchMs` apart during a stream's first 2 s and
   * `settledBatchMs` apart after that.
   * @default { batchMs: 50, settledBatchMs: 250, batchBytes: 2048 }
   */
  streaming?: { batchMs?: number; settledBatchMs?: number; batchBytes?: number };
  /**
   * A node result larger than this (bytes of JSON) fails the step with `OutputTooLarge` (not
   * retried) instead of Temporal refusing the payload. `createPipelineWorker` sets `Infinity`
   * when its `payloads.claimCheck` stores large results outside history.
   * @default 2 MiB less 64 KiB (`MAX_INLINE_PAYLOAD_BYTES`)
   */
  maxOutputBytes?: number;
}
