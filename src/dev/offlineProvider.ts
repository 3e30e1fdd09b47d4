/**
 * The `openai` provider of a worker started from the environment (`npm run worker`, `tpipe dev`):
 * with neither `OPENAI_API_KEY` nor `OPENAI_BASE_URL` set (and no `openai` entry in
 * `PIPELINE_PROVIDERS`), llm steps go to the offline model on 127.0.0.1 instead of failing for
 * want of a key, and the worker says so, with how to use a real model instead.
 *
 * Provider base URLs are worker configuration (trusted), not addresses a definition chose: the
 * egress policy does not apply to them, so the offline model on loopback needs no egress rule.
 */
import type { ProviderConfig } from '../activities';
import { startOfflineModel, type OfflineModel, type OfflineModelOptions } from './offlineModel';

export interface OfflineProvider {
  model: OfflineModel;
  /** The `openai` provider pointed at the offline model. */
  provider: ProviderConfig;
  /** What to print: the model's address, what it answers, and how to use a real model instead. */
  notice: string;
}

/** Whether the environment or the providers name a real `openai` endpoint. */
export function hasRealModel(env: NodeJS.ProcessEnv, providers?: Record<string, ProviderConfig>): boolean {
  return Boolean(env.OPENAI_API_KEY || env.OPENAI_BASE_URL || providers?.openai);
}

/**
 * Starts the offline model unless a real one is configured; undefined when one is. `options`
 * shape its replies (e.g. a slow model for an example).
 */
export async function offlineProviderUnlessConfigured(
  env: NodeJS.ProcessEnv,
  providers?: Record<string, ProviderConfig>,
  options: OfflineModelOptions = {},
): Promise<OfflineProvider | undefined> {
  if (hasRealModel(env, providers)) return undefined;
  // Long-lived: no request log, so its memory stays flat; the worker, not the model, keeps the
  // process alive, so a worker that fails to start does not hang on it.
  const model = await startOfflineModel({ recordRequests: false, keepProcessAlive: false, ...options });
  return {
    model,
    provider: { baseURL: model.baseURL, apiKey: 'offline' },
    notice:
      `No OPENAI_API_KEY or OPENAI_BASE_URL: llm steps use the offline model at ${model.baseURL}, ` +
      'which replies "echo: <prompt>". For a real model, set OPENAI_API_KEY (OpenAI) or ' +
      'OPENAI_BASE_URL (any OpenAI-compatible server) before starting.',
  };
}
