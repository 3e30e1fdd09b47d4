/**
 * The `llm` node: one chat completion through the official `openai` client, against OpenAI or
 * any OpenAI-compatible provider configured on the worker. The client never retries
 * (`maxRetries: 0`): Temporal owns retries, decided by `errors.ts`.
 */
import { tracedCall } from '../../shared';
import OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { costOf, formatUsd, type ModelPrice } from '../../model';
import type { LlmCallBudget, TokenUsage } from '../../model';
import type { ProviderConfig } from '../config';
import { NodeActivityError } from './nodeFailures';
import type { NodeContext, NodeFn, NodeOutcome } from './wrapNodeActivity';
import { parseParams } from './params';
import { RenderedLlmParams, type LlmOutput } from '../../model';

export type { LlmOutput } from '../../model';
import { estimateTokens } from '../../model';
import { passRateLimit, rateLimitFor } from '../engine/rateGate';

const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface ResolvedProvider {
  name: string;
  baseURL: string;
  /** `null`: keyless provider (no `Authorization` header). */
  apiKey: string | null;
  defaultModel: string | undefined;
  headers: Record<string, string>;
  maxTokensParam: 'max_tokens' | 'max_completion_tokens';
  /** US dollars per million tokens, by model. */
  prices: Record<string, ModelPrice>;
}

/**
 * Finds a provider's settings. `openai` works unconfigured (env `OPENAI_API_KEY`, `OPENAI_BASE_URL`).
 * @throws NodeActivityError NodeConfigError for an unknown provider or a missing key.
 */
export function resolveProvider(
  name: string,
  providers: Record<string, ProviderConfig>,
  env: NodeJS.ProcessEnv,
): ResolvedProvider {
  const isOpenAI = name === 'openai';
  const cfg = Object.hasOwn(providers, name) ? providers[name] : isOpenAI ? {} : undefined;
  if (!cfg) {
    const known = [...new Set(['openai', ...Object.keys(providers)])].sort().join(', ');
    throw new NodeActivityError(
      'NodeConfigError',
      `unknown LLM provider "${name}"; this worker has: ${known}`,
    );
  }
  const keyEnv = cfg.apiKeyEnv ?? (isOpenAI ? 'OPENAI_API_KEY' : undefined);
  let apiKey: string | null = cfg.apiKey ?? null;
  if (apiKey === null && keyEnv !== undefined) {
    apiKey = env[keyEnv] || null;
    if (apiKey === null) {
      throw new NodeActivityError(
        'NodeConfigError',
        `LLM provider "${name}" needs an API key: environment variable ${keyEnv} is not set on the worker`,
      );
    }
  }
  return {
    name,
    baseURL: cfg.baseURL ?? (isOpenAI ? env.OPENAI_BASE_URL || OPENAI_BASE_URL : OPENAI_BASE_URL),
    apiKey,
    defaultModel: cfg.defaultModel,
    headers: cfg.headers ?? {},
    maxTokensParam: cfg.maxTokensParam ?? (isOpenAI ? 'max_completion_tokens' : 'max_tokens'),
    prices: cfg.prices ?? {},
  };
}

/** The provider's price for `model`, if it has one. */
function priceOf(provider: ResolvedProvider, model: string): ModelPrice | undefined {
  return Object.hasOwn(provider.prices, model) ? provider.prices[model] : undefined;
}

/** The completion cap a call is sent with: the step's `max_tokens` and what its budget leaves. */
interface CompletionCap {
  tokens: number | undefined;
  /** The budget set it (below the step's own `max_tokens`). */
  byBudget: boolean;
}

/**
 * The completion cap under the call's budget (see `LlmCallBudget`).
 * @throws NodeActivityError BudgetUnpriced when a cost budget applies and the model has no price;
 * BudgetExceeded when what is left buys not one completion token.
 */
export function completionCap(
  maxTokens: number | undefined,
  budget: LlmCallBudget | undefined,
  provider: ResolvedProvider,
  model: string,
): CompletionCap {
  const caps: number[] = [];
  if (budget?.maxCompletionTokens !== undefined) caps.push(budget.maxCompletionTokens);
  if (budget?.maxCostUsd !== undefined) {
    const price = priceOf(provider, model);
    if (!price) {
      throw new NodeActivityError(
        'BudgetUnpriced',
        `a max_cost budget applies to this step, but the worker has no price for model "${model}" of provider "${provider.name}"; add it to the provider's prices ({ inputPerMillion, outputPerMillion } in US dollars)`,
      );
    }
    if (price.outputPerMillion > 0) caps.push(Math.floor((budget.maxCostUsd * 1e6) / price.outputPerMillion));
  }
  if (caps.length === 0) return { tokens: maxTokens, byBudget: false };
  const cap = Math.min(...caps);
  if (cap < 1) {
    throw new NodeActivityError(
      'BudgetExceeded',
      budget?.maxCostUsd !== undefined
        ? `budget exceeded: the ${formatUsd(budget.maxCostUsd)} left of the budget buys no completion token of model "${model}"`
        : 'budget exceeded: no completion tokens are left in the budget',
    );
  }
  return maxTokens !== undefined && maxTokens <= cap
    ? { tokens: maxTokens, byBudget: false }
    : { tokens: cap, byBudget: true };
}

function buildMessages(params: RenderedLlmParams): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [];
  if (params.system !== undefined) messages.push({ role: 'system', content: params.system });
  for (const m of params.messages ?? []) messages.push(m as ChatCompletionMessageParam);
  if (params.prompt !== undefined) messages.push({ role: 'user', content: params.prompt });
  if (messages.length === 0)
    throw new NodeActivityError('NodeConfigError', 'llm node needs `prompt` or `messages`');
  return messages;
}

function toUsage(u: { prompt_tokens: number; completion_tokens: number; total_tokens: number }): TokenUsage {
  return {
    promptTokens: u.prompt_tokens,
    completionTokens: u.completion_tokens,
    totalTokens: u.total_tokens,
  };
}

/**
 * JSON mode: the reply must parse. A reply cut off at `max_tokens` will be cut off again, so it
 * fails for good (BadRequest); any other malformed reply is retried, since sampling may differ.
 */
function parseJsonReply(text: string, finishReason: string | null, budgetCap?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const excerpt = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    if (finishReason === 'length' && budgetCap !== undefined) {
      throw new NodeActivityError(
        'BudgetExceeded',
        `budget exceeded: the llm JSON reply was cut off at ${budgetCap} completion token(s), what the budget left for it. Reply: ${excerpt}`,
        { cause: err },
      );
    }
    if (finishReason === 'length') {
      throw new NodeActivityError(
        'BadRequest',
        `llm JSON reply was cut off at max_tokens (finish_reason "length"); raise max_tokens. Reply: ${excerpt}`,
        { cause: err },
      );
    }
    throw new NodeActivityError('UpstreamUnavailable', `llm returned invalid JSON in json mode: ${excerpt}`, {
      cause: err,
    });
  }
}

interface Completion {
  text: string;
  model: string;
  finishReason: string | null;
  usage: TokenUsage | undefined;
}

async function complete(
  client: OpenAI,
  body: ChatCompletionCreateParamsBase,
  ctx: NodeContext,
): Promise<Completion> {
  const options = { signal: ctx.signal, headers: { ...ctx.traceHeaders } };
  const res = await client.chat.completions.create({ ...body, stream: false }, options);
  const choice = res.choices[0];
  if (!choice) throw new NodeActivityError('UpstreamUnavailable', 'llm provider returned no choices');
  return {
    text: choice.message.content ?? '',
    model: res.model,
    finishReason: choice.finish_reason ?? null,
    usage: res.usage ? toUsage(res.usage) : undefined,
  };
}

/**
 * `stream: true`: reads the reply as server-sent chunks, forwarding each content delta to the
 * run's stream (`ctx.stream`). Cancellation aborts the request through `ctx.signal`.
 */
async function completeStreaming(
  client: OpenAI,
  body: ChatCompletionCreateParamsBase,
  ctx: NodeContext,
): Promise<Completion> {
  const options = { signal: ctx.signal, headers: { ...ctx.traceHeaders } };
  const stream = await client.chat.completions.create(
    { ...body, stream: true, stream_options: { include_usage: true } },
    options,
  );
  let text = '';
  let model = body.model;
  let finishReason: string | null = null;
  let usage: TokenUsage | undefined;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.model) model = chunk.model;
    const choice = chunk.choices[0];
    const delta = choice?.delta?.content;
    if (delta) {
      text += delta;
      // To the run's stream, batched (see StreamPublisher); a broken stream's text is voided by
      // the retry chunk of the next attempt.
      ctx.stream(delta);
    }
    if (choice?.finish_reason) finishReason = choice.finish_reason;
    if (chunk.usage) usage = toUsage(chunk.usage);
    ctx.heartbeat({ chunks, chars: text.length });
  }
  if (finishReason === null) {
    // The connection closed cleanly but the model never finished: same as a broken stream.
    throw new NodeActivityError(
      'UpstreamUnavailable',
      `llm stream ended after ${chunks} chunk(s) without a finish reason`,
    );
  }
  return { text, model, finishReason, usage };
}

export interface LlmNodeOptions {
  providers: Record<string, ProviderConfig>;
  env: NodeJS.ProcessEnv;
}

/** The `llm` node implementation (wrap it with `wrapNodeActivity`). */
export function createLlmNode(options: LlmNodeOptions): NodeFn {
  return async (input, ctx): Promise<NodeOutcome> => {
    const params = parseParams('llm', RenderedLlmParams, input.params);
    const provider = resolveProvider(params.provider, options.providers, options.env);
    const model = params.model ?? provider.defaultModel;
    if (!model) {
      throw new NodeActivityError(
        'NodeConfigError',
        `llm node names no model and provider "${provider.name}" has no defaultModel`,
      );
    }
    const cap = completionCap(params.max_tokens, input.budget, provider, model);
    const attributes = { 'gen_ai.system': provider.name, 'gen_ai.request.model': model };
    const result = await tracedCall(
      `llm ${model}`,
      attributes,
      ctx.traceHeaders,
      async (traceHeaders, span) => {
        const client = new OpenAI({
          apiKey: provider.apiKey ?? 'keyless',
          baseURL: provider.baseURL,
          maxRetries: 0,
          organization: provider.name === 'openai' ? options.env.OPENAI_ORG_ID || null : null,
          project: provider.name === 'openai' ? options.env.OPENAI_PROJECT_ID || null : null,
          adminAPIKey: null,
          defaultHeaders: {
            ...provider.headers,
            ...(provider.apiKey === null ? { Authorization: null } : {}),
          },
        });
        const body: ChatCompletionCreateParamsBase = { model, messages: buildMessages(params) };
        if (params.temperature !== undefined) body.temperature = params.temperature;
        if (cap.tokens !== undefined) body[provider.maxTokensParam] = cap.tokens;
        if (params.json) body.response_format = { type: 'json_object' };

        // Each request carries the llm span's traceparent.
        const callCtx: NodeContext = { ...ctx, traceHeaders };
        // A provider with a rate limit: wait for this call's place, shared by every worker.
        const limit = rateLimitFor(options.providers[provider.name], model);
        const pass = limit
          ? await passRateLimit(
              limit,
              {
                provider: provider.name,
                model,
                tokens: estimateTokens(JSON.stringify(body.messages).length, params.max_tokens),
              },
              ctx.signal,
            )
          : undefined;
        if (pass && pass.waitedMs > 0) span.setAttribute('rate_limit.waited_ms', pass.waitedMs);
        let reply: Completion;
        try {
          reply = params.stream
            ? await completeStreaming(client, body, callCtx)
            : await complete(client, body, callCtx);
        } catch (err) {
          await pass?.failed(err);
          throw err;
        }
        await pass?.settle(reply.usage?.totalTokens);
        span.setAttribute('gen_ai.usage.total_tokens', reply.usage?.totalTokens ?? 0);
        return reply;
      },
    );
    if (cap.byBudget && result.finishReason === 'length') {
      ctx.log.warn(`the reply was cut off at ${cap.tokens} completion token(s): what the budget left for it`);
    }
    const response = params.json
      ? parseJsonReply(result.text, result.finishReason, cap.byBudget ? cap.tokens : undefined)
      : result.text;
    let usage = result.usage;
    if (usage) {
      const price = priceOf(provider, model) ?? priceOf(provider, result.model);
      if (price) usage = { ...usage, costUsd: costOf(usage, price) };
    } else if (input.budget) {
      ctx.log.warn(
        'the provider reported no token usage: this call is not counted against the budget (for streamed replies it must support stream_options.include_usage)',
      );
    }
    const output: LlmOutput = {
      response,
      usage: usage ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      model: result.model,
      finishReason: result.finishReason,
    };
    return usage ? { output, usage } : { output };
  };
}
