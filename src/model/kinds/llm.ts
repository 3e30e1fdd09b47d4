/**
 * The `llm` kind: one chat completion. `LlmParams` is what a step may write (the compiler's check);
 * `RenderedLlmParams`, derived from the same fields, is what the worker parses once templates are
 * rendered.
 */
import { z } from 'zod';
import type { TokenUsage } from './nodeRun';
import { PARAM_ROLES } from './paramRoles';
import { ACTIVITY_FAILURES, always, isRecord, UPSTREAM_FAILURES, type KindSpec } from './kindSpec';
import { RenderedText } from './renderedText';

/**
 * One chat message, passed to the provider as it is: `role` one the OpenAI chat API takes,
 * `content` text, a list of content parts (e.g. `image_url`) or null (an assistant message
 * that made tool calls); other fields (`name`, `tool_call_id`, `tool_calls`) go along unchecked,
 * so a conversation history rendered from a template is sent whole.
 */
export const ChatMessage = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(z.unknown()), z.null()]),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** The defaults the compiler writes into the plan. */
const LLM_DEFAULTS = { provider: 'openai' } as const;

const LLM_FIELDS = {
  /** @default 'openai' */
  provider: z.string().min(1).optional(),
  /** @default the worker's `defaultModel` for the provider */
  model: z.string().min(1).optional(),
  /** Appended as the last user message. */
  prompt: z.string().optional(),
  /** Prepended as a system message. */
  system: z.string().optional(),
  messages: z.array(ChatMessage).optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().positive().optional(),
  stream: z.boolean().optional(),
  /** Ask for a JSON object (`response_format: json_object`); `response` is then the parsed value. */
  json: z.boolean().optional(),
};

/** The params as written. */
export const LlmParams = z
  .strictObject(LLM_FIELDS)
  .refine(
    (v) =>
      isRecord(v) &&
      (v.prompt !== undefined ||
        (v.messages !== undefined && !(Array.isArray(v.messages) && v.messages.length === 0))),
    { message: 'an llm step needs a prompt or messages', ...always },
  );
export type LlmParams = z.infer<typeof LlmParams>;

/**
 * The params as the worker receives them: the written fields with their defaults, `prompt` and
 * `system` taken as JSON text when a template rendered a non-string. The prompt-or-messages rule
 * is the activity's own (it reports it when it builds the request).
 */
export const RenderedLlmParams = z.object({
  ...LLM_FIELDS,
  provider: LLM_FIELDS.provider.default(LLM_DEFAULTS.provider),
  prompt: RenderedText.optional(),
  system: RenderedText.optional(),
  stream: LLM_FIELDS.stream.default(false),
  json: LLM_FIELDS.json.default(false),
});
export type RenderedLlmParams = z.infer<typeof RenderedLlmParams>;

/** The `llm` node's output. */
export interface LlmOutput {
  /** The reply text, or the parsed JSON value when `json: true`. */
  response: unknown;
  /** Zeros when the provider did not report usage. */
  usage: TokenUsage;
  /** The model that answered, as reported by the provider. */
  model: string;
  /** `stop`, `length`, `content_filter`, `tool_calls`… */
  finishReason: string | null;
}

/** The `llm` kind. */
export const LLM_KIND: KindSpec = Object.freeze<KindSpec>({
  execution: 'activity',
  params: LlmParams,
  defaults: LLM_DEFAULTS,
  outputs: ['response', 'usage', 'model', 'finishReason'] satisfies (keyof LlmOutput)[],
  ...PARAM_ROLES.llm,
  defaultTimeoutMs: 120_000,
  failures: [...UPSTREAM_FAILURES, ...ACTIVITY_FAILURES, 'BudgetExceeded', 'BudgetUnpriced'],
  description: 'Calls a language model (prompt or messages); streams tokens when stream is true.',
});
