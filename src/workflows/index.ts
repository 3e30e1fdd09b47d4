/** Workflow code entry point: what the worker bundles. */
export { runPipeline } from './runPipeline';
export { pipelineRegistry } from './pipelineRegistry';
export { concurrencyLimiter } from './concurrencyLimiter';
export { llmRateLimiter } from './llmRateLimiter';
export { runMap } from './runMap';
