/**
 * What a node's run is told and what it reports back, as the model sees it: the run it belongs to,
 * the LLM budget it may use, the tokens it used and the levels of the records it logs. The node
 * activity envelope (src/protocol/nodeActivity.ts) carries these.
 */

/** The run a node's attempt belongs to, as the activity sees it. */
export interface NodeRunContext {
  /** The run's workflow id. */
  taskId: string;
  /** W3C trace id (32 hex chars), sent on outgoing HTTP as `traceparent`. */
  traceId: string;
  pipeline: string;
  pipelineVersion?: string;
}

/** What an llm call may use under the run's and the step's budgets. */
export interface LlmCallBudget {
  /** Cap the reply at this many completion tokens (the smaller of this and the step's `max_tokens` is sent). */
  maxCompletionTokens?: number;
  /**
   * At most this many US dollars: the reply is capped at what this buys at the model's output
   * price, and a model the worker has no price for is not called (`BudgetUnpriced`).
   */
  maxCostUsd?: number;
}

/** LLM token usage of one call or summed over a run. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /**
   * What the tokens cost, US dollars, at the worker's prices for the model (`prices` in its
   * provider config). Absent when the worker has no price for the model.
   */
  costUsd?: number;
}

/** The level of one log record a node's code writes. */
export type RunLogLevel = 'debug' | 'info' | 'warn' | 'error';
