/**
 * Small Node-side utilities shared by the worker, activities, client and codec (layer entry):
 * environment values, tracing.
 */
export * from './env';
export * from './tracing';
export * from './sleep';
