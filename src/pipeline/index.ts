/**
 * The pipeline model (public barrel): definition schema, node-kind catalog, compiler,
 * expressions and templates, run-time params/inputs, actions. Pure and deterministic — it is
 * bundled into workflow code.
 */
export * from './definition';
export * from './plan';
export * from './nodeActivity';
export * from './runLogs';
export * from './stream';
export * from './attempts';
export * from './catalog';
export { APPROVAL_SCHEMA, checkEventPayload, type EventSchema, type PayloadIssue } from './eventSchema';
export * from './builder';
export { durationToMs } from './duration';
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
} from './expressions';
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
} from './templates';
export {
  collectReferences,
  SCOPE_VARIABLES,
  STEP_FIELDS,
  type ExpressionReferences,
  type Located,
  type NameReference,
  type StepReference,
} from './references';
export { findCycles, topologicalOrder } from './graph';
export { MinHeap } from './minHeap';
export {
  compile,
  compileOrThrow,
  ALWAYS_NON_RETRYABLE,
  type CompileOptions,
  type CompileResult,
} from './compiler';
export * from './subPipelines';
export * from './mapItems';
export { packPlan, unpackPlan, type PackedPlan, type PackedPlanNode, type KindDefaults } from './planWire';
export {
  resolveRunInputs,
  resolveRunParams,
  typeMismatch,
  valueMatchesType,
  type RunInputsResult,
  type RunParamsResult,
} from './params';
export { canonicalJson, hashJson, sha256Hex } from './hash';
export {
  actionsByName,
  defineAction,
  ACTION_NAME_RE,
  type ActionContext,
  type ActionDefinition,
  type ActionLogger,
  type ActionSpec,
} from './actions';
export {
  EvaluationLimitError,
  type EvaluationLimitName,
  ExpressionError,
  formatIssuePath,
  MissingSecretError,
  PipelineError,
  PipelineValidationError,
} from './errors';
export { EVALUATION_LIMITS, EvaluationMeter, type EvaluationLimits } from './evaluationMeter';
export * from './searchAttributes';
export * from './callbacks';
export { ALL_PARAMS, changedParams, paramsReadBy, reusableSteps } from './resume';
export {
  MAX_CLAIM_CHECKED_INPUT_BYTES,
  MAX_INLINE_PAYLOAD_BYTES,
  MAX_STEPS,
  TEMPORAL_PAYLOAD_LIMIT_BYTES,
  formatBytes,
} from './limits';
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
} from './budget';
export {
  concurrencyLimiterId,
  defaultConcurrencyKey,
  MAX_CONCURRENT_RUNS,
  type OnLimit,
  type RunConcurrency,
  type SlotRequest,
} from './concurrency';
