/**
 * The pipeline model (public barrel): definition schema, node-kind catalog, compiler,
 * expressions and templates, run-time params/inputs, actions. Pure and deterministic — it is
 * bundled into workflow code.
 */
export * from './definition/definition';
export * from './plan/plan';
export * from './definition/issues';
export * from './kinds/catalog';
export * from './kinds/nodeRun';
export {
  APPROVAL_SCHEMA,
  checkEventPayload,
  type EventSchema,
  type PayloadIssue,
} from './definition/eventSchema';
export * from './builder/builder';
export { durationToMs } from './definition/duration';
export {
  checkExpression,
  evaluateExpression,
  evaluateCondition,
  EXPRESSION_LIMITS,
  FORBIDDEN_MEMBERS,
  type ExpressionCheck,
  type ExpressionIssue,
  type ExpressionScope,
  type StepScope,
} from './expressions/expressions';
export {
  checkTemplate,
  findSecretReferences,
  hasTemplate,
  parseTemplate,
  renderActivityParams,
  renderNodeParams,
  renderTemplate,
  renderValue,
  resolveSecrets,
  ESCAPED_OPEN,
  type ParsedTemplate,
  type RenderOptions,
  type TemplateCheck,
  type TemplateParseResult,
  type TemplatePart,
} from './expressions/templates';
export {
  collectReferences,
  SCOPE_VARIABLES,
  STEP_FIELDS,
  type ExpressionReferences,
  type Located,
  type NameReference,
  type StepReference,
} from './expressions/references';
export { findCycles, topologicalOrder } from './compiler/graph';
export { MinHeap } from './util/minHeap';
export {
  compile,
  compileOrThrow,
  type CompileOptions,
  type CompileResult,
} from './compiler/compiler';
export * from './plan/mapItems';
export {
  packPlan,
  unpackPlan,
  type PackedPlan,
  type PackedPlanNode,
  type KindDefaults,
} from './plan/planWire';
export {
  resolveRunInputs,
  resolveRunParams,
  typeMismatch,
  valueMatchesType,
  type RunInputsResult,
  type RunParamsResult,
} from './plan/runValues';
export { canonicalJson, hashJson, sha256Hex } from './definition/hash';
export {
  actionsByName,
  defineAction,
  ACTION_NAME_RE,
  type ActionContext,
  type ActionDefinition,
  type ActionLogger,
  type ActionSpec,
} from './kinds/actions';
export {
  EvaluationLimitError,
  type EvaluationLimitName,
  ExpressionError,
  formatIssuePath,
  MissingSecretError,
  PipelineError,
  PipelineValidationError,
} from './definition/errors';
export { EVALUATION_LIMITS, EvaluationMeter, type EvaluationLimits } from './expressions/evaluationMeter';
export { ALL_PARAMS, changedParams, paramsReadBy, reusableSteps } from './plan/resume';
export {
  MAX_CLAIM_CHECKED_INPUT_BYTES,
  MAX_INLINE_PAYLOAD_BYTES,
  MAX_STEPS,
  TEMPORAL_PAYLOAD_LIMIT_BYTES,
  formatBytes,
} from './definition/limits';
export {
  addUsd,
  budgetMessage,
  checkLlmBudget,
  costOf,
  formatUsd,
  mergeBudgets,
  runBudgetIssues,
  toPlanBudget,
  type BudgetBreach,
  type BudgetVerdict,
  type ModelPrice,
  type RunBudgetOptions,
} from './plan/budget';
export {
  concurrencyLimiterId,
  defaultConcurrencyKey,
  MAX_CONCURRENT_RUNS,
  type OnLimit,
  type RunConcurrency,
  type SlotRequest,
} from './limits/concurrency';
export * from './compiler/compiler';
export * from './definition/eventSchema';
export * from './definition/limits';
export * from './expressions/evaluationMeter';
export * from './expressions/expressions';
export * from './expressions/templates';
export * from './expressions/values';
export * from './kinds/actions';
export * from './limits/concurrency';
export * from './limits/concurrencySlots';
export * from './limits/rateLimits';
export * from './plan/budget';
export * from './plan/resume';
export * from './plan/runValues';
export * from './plan/planWire';
export * from './util/suggest';
export * from './definition/errors';
export * from './definition/duration';
export { ALWAYS_NON_RETRYABLE, isRetryableCode, NODE_ERROR_CODES, NODE_ERRORS, type NodeErrorCode } from './kinds/nodeErrors';
export { isRecord, asRecord } from './util/records';
export { assertNever } from './util/assertNever';
export type { EngineDefaults } from './plan/engineDefaults';
export { ENGINE_DEFAULTS } from './plan/engineDefaults';
