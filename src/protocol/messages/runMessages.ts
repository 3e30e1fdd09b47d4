/**
 * What crosses the `runPipeline` workflow's boundary: its input, its result, and the messages
 * (queries, the update, the signals) clients and activities send it, gathered from the modules
 * beside this one. The client imports them; they must stay free of workflow runtime calls other
 * than the `define*` helpers, and the messages' wire names never change (replay).
 */
export type { AttemptEvent } from '../attempts';
export type { StreamDeltaBatch } from '../streamChunks';
export * from './runInput';
export * from './runSnapshot';
export * from './runLogs';
export * from './runEvents';
export * from './runStream';
export * from './activitySignals';
