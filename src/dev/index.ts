/**
 * Development helpers (layer entry): the embedded local Temporal server and the offline LLM
 * provider used by the demo, the CLI and tests.
 */
export * from './findTemporalCli';
export * from './localServer';
export * from './offlineModel';
export * from './offlineProvider';
