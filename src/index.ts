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
} from './client/runs/startRun';
export { mapProgressQuery, type MapProgress } from './protocol/messages/mapMessages';
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
} from './protocol/messages/runMessages';
export {
  connect,
  ClientEnv,
  type ConnectOptions,
  type ConnectRetryOptions,
  type PipelinesClient,
} from './client/connect';
export { Pipeline, type PipelineRef, type PipelineStartOptions, type RunStream } from './client/pipelines/pipeline';
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
} from './client/streaming/stream';
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
} from './client/streaming/sse';
export {
  PipelineRegistry,
  type PipelineVersion,
  type RegistryState,
  type SavePipelineOptions,
  type SaveResult,
  type PipelineInfo,
  type PipelineSummary,
  type UpdatePipelineOptions,
} from './client/pipelines/pipelineRegistry';
export {
  Executions,
  executionsQuery,
  type CreateExecutionOptions,
  type ExecutionPage,
  type ExecutionRunOptions,
  type ListExecutionsOptions,
  type LogsOptions,
} from './client/executions/executionsApi';
export { type Execution, type ExecutionStatus, type ExecutionStep } from './client/executions/executionView';
export {
  Schedules,
  scheduleTag,
  type CreateScheduleOptions,
  type ScheduleInfo,
  type ScheduledRun,
  type ScheduleRunOptions,
  type ScheduleSummary,
  type UpdateScheduleOptions,
} from './client/schedules/schedulesApi';
export {
  SCHEDULE_OVERLAPS,
  type ScheduleOverlap,
  type ScheduleSpecView,
  type ScheduleTiming,
} from './client/schedules/scheduleSpec';
export { RunHandle, type RunResult, type RunStatusView } from './client/runs/runHandle';
export { sendRunEvent } from './client/runs/sendEvent';
export {
  prepareRetry,
  retryRun,
  retryWorkflowId,
  type RetryOptions,
  type RetryRunOptions,
} from './client/runs/retryRun';
export {
  ENGINE_CONCURRENCY_LIMIT,
  rateLimitDelayMs,
  withRateLimitRetry,
  type RateLimitRetryEvent,
  type RateLimitRetryOptions,
  type RateLimitRetryPolicy,
} from './client/runs/rateLimitRetry';
export { DEFAULT_MAX_CONCURRENT_STARTS, RunStarter } from './client/runs/loadAwareStarts';
export { StartLimiter } from './client/runs/inFlightStarts';
export { fairnessTag, MAX_FAIRNESS_KEY_BYTES } from './client/runs/fairness';
export { verifyCallbackSignature, type VerifyCallbackOptions } from './client/callbacks/callbackSignature';
export { DeliveryLog, type DeliveryLogOptions } from './client/callbacks/deliveryLog';
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
} from './client/errors';
export {
  ensureSearchAttributes,
  type EnsuredSearchAttributes,
  type OperatorConnection,
} from './client/searchAttributes';
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
