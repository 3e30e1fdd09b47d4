/**
 * The `llm` kind: one chat completion.
 */
import { z } from 'zod';
import { PARAM_ROLES } from './paramRoles';
import { always, isRecord, type KindSpec } from './kindSpec';

export const ChatMessage = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const LlmParams = z
  .strictObject({
    /** @default 'openai' */
    provider: z.string().min(1).optional(),
    /** @default the worker's `defaultModel` for the provider */
    model: z.string().min(1).optional(),
    prompt: z.string().optional(),
    system: z.string().optional(),
    messages: z.array(ChatMessage).min(1).optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    stream: z.boolean().optional(),
    json: z.boolean().optional(),
  })
  .refine((v) => isRecord(v) && (v.prompt !== undefined || v.messages !== undefined), {
    message: 'an llm step needs a prompt or messages',
    ...always,
  });
export type LlmParams = z.infer<typeof LlmParams>;

/** The `llm` kind. */
export const LLM_KIND: KindSpec = Object.freeze({
  execution: 'activity',
  params: LlmParams,
  defaults: { provider: 'openai' },
  outputs: ['response', 'usage', 'model', 'finishReason'],
  ...PARAM_ROLES.llm,
  defaultTimeoutMs: 120_000,
  description: 'Calls a language model (prompt or messages); streams tokens when stream is true.',
});
