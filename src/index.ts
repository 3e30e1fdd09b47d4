/**
 * temporal-pipelines: durable AI pipelines on Temporal.
 * The worker lives in `temporal-pipelines/worker` so that apps which only start runs do not load it.
 */
export * from './model';
export {
  prepareRun,
  startPipelineRun,
  priorityKey,
  type ClientDuration,
  type PipelineRunHandle,
  type PriorityOption,
  type StartedRun,
  type StartRunOptions,
} from './client';
export { mapProgressQuery, type MapProgress } from './protocol';
export {
  runLogsQuery,
  sendEventUpdate,
  statusQuery,
  EVENT_REJECTED,
  type EventRejection,
  type EventRejectionReason,
  type EventWait,
  type SendEventRequest,
  type SendEventResult,
  type NodeError,
  type NodeSnapshot,
  type NodeStatus,
  type RunLogEntry,
  type RunLogSource,
  type RunLogsPage,
  type RunLogsRequest,
  type RunMetrics,
  type RunBudgetSnapshot,
  type RunPipelineInput,
  type RunPipelineResult,
  type RunSnapshot,
  type RunStatus,
  type CallbackSnapshot,
  type ReusedStep,
  type RunCallbacks,
  type RunResume,
  type RunCarryOver,
  type CarriedStep,
  type RunLogAttemptFailure,
  type StatusRequest,
  type StreamChunk,
  type StreamPage,
  type StreamReadRequest,
} from './protocol';
export {
  connect,
  ClientEnv,
  type ConnectOptions,
  type ConnectRetryOptions,
  type PipelinesClient,
} from './client';
export { Pipeline, type PipelineRef, type PipelineStartOptions, type RunStream } from './client';
export {
  readRunStream,
  type GapChunk,
  type NodeChunk,
  type OutputChunk,
  type ResultChunk,
  type RetryChunk,
  type RunStreamChunk,
  type StreamOptions,
  type StreamResultStatus,
  type StreamSource,
  type EngineChunk,
  type EngineResultChunk,
} from './client';
export {
  fromLastEventId,
  sseData,
  sseFrame,
  sendResponse,
  sseResponse,
  toSseFrames,
  type SseOptions,
  type SseResponseOptions,
  type Streamable,
} from './client';
export {
  PipelineRegistry,
  type PipelineVersion,
  type RegistryState,
  type SavePipelineOptions,
  type SaveResult,
  type PipelineInfo,
  type PipelineSummary,
  type UpdatePipelineOptions,
} from './client';
export {
  Executions,
  executionsQuery,
  type CreateExecutionOptions,
  type ExecutionPage,
  type ExecutionRunOptions,
  type ListExecutionsOptions,
  type LogsOptions,
} from './client';
export { type Execution, type ExecutionStatus, type ExecutionStep } from './client';
export {
  Schedules,
  scheduleTag,
  type CreateScheduleOptions,
  type ScheduleInfo,
  type ScheduledRun,
  type ScheduleRunOptions,
  type ScheduleSummary,
  type UpdateScheduleOptions,
} from './client';
export {
  SCHEDULE_OVERLAPS,
  type ScheduleOverlap,
  type ScheduleSpecView,
  type ScheduleTiming,
} from './client';
export { RunHandle, type RunResult, type RunState, type RunStatusView } from './client';
export { sendRunEvent } from './client';
export { prepareRetry, retryRun, retryWorkflowId, type RetryOptions, type RetryRunOptions } from './client';
export {
  ENGINE_CONCURRENCY_LIMIT,
  rateLimitDelayMs,
  withRateLimitRetry,
  type RateLimitRetryEvent,
  type RateLimitRetryOptions,
  type RateLimitRetryPolicy,
} from './client';
export { DEFAULT_MAX_CONCURRENT_STARTS, RunStarter } from './client';
export { StartLimiter } from './client';
export { fairnessTag, MAX_FAIRNESS_KEY_BYTES } from './client';
export { verifyCallbackSignature, type VerifyCallbackOptions } from './client';
export { DeliveryLog, type DeliveryLogOptions } from './client';
export {
  AlreadyExistsError,
  BudgetExceededError,
  ConnectionError,
  EventRejectedError,
  InternalServerError,
  NotFoundError,
  PipelineRunFailedError,
  PollTimeoutError,
  RateLimitError,
  SearchAttributesMissingError,
  TimeoutError,
  translateError,
} from './client';
export { ensureSearchAttributes, type EnsuredSearchAttributes, type OperatorConnection } from './client';
export {
  CodecConfigError,
  ClaimCheckCodec,
  EncryptionCodec,
  LocalDirectoryStorage,
  PayloadDecodeError,
  PayloadEnv,
  createCodecServer,
  createDataConverter,
  createPayloadCodecs,
  payloadOptionsFromEnv,
  type ClaimCheckOptions,
  type CodecServerOptions,
  type EncryptionOptions,
  type JwtOptions,
  type PayloadOptions,
  type PayloadStorage,
} from './codec';
