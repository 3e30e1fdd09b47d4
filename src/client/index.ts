/**
 * What applications use to talk to Temporal (layer entry): connection, pipelines and their
 * registry, runs and their handles, executions, schedules, streaming, callbacks, errors.
 */
export * from './connect';
export * from './errors';
export * from './searchAttributes';
export * from './webUi';
export * from './callbacks/callbackSignature';
export * from './callbacks/deliveryLog';
export * from './executions/executionView';
export * from './executions/executionsApi';
export * from './pipelines/pipeline';
export * from './pipelines/pipelineRegistry';
export * from './runs/fairness';
export * from './runs/inFlightStarts';
export * from './runs/loadAwareStarts';
export * from './runs/rateLimitRetry';
export * from './runs/retryRun';
export * from './runs/runHandle';
export * from './runs/sendEvent';
export * from './runs/startRun';
export * from './schedules/scheduleSpec';
export * from './schedules/schedulesApi';
export * from './streaming/sse';
export * from './streaming/stream';
export * from './context';
