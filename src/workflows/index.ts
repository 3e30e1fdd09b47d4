/** Workflow code entry point: what the worker bundles. */
export { runPipeline } from './run/runPipeline';
export { pipelineRegistry } from './registry/pipelineRegistry';
export { concurrencyLimiter } from './limits/concurrencyLimiter';
export { llmRateLimiter } from './limits/llmRateLimiter';
export { runMap } from './map/runMap';
