/**
 * What the expression layer shares across workflow runs on a worker: the CEL environment (built
 * once) and parsed expressions by source. Both are pure: a parse depends on the source text only,
 * so sharing them cannot change what any run computes.
 *
 * The worker's bundle preloads this module (`preloadModules` in `bundleWorkflows`): the sandbox
 * evaluates it once, freezes its exports (a frozen Map still takes entries) and hands every run
 * the same instance, where other modules are evaluated again for each run. Without the preload
 * (a bundle made elsewhere) each run gets its own, empty maps, as before. Outside workflows it is
 * an ordinary module.
 */
export const celShared = {
  /** The one CEL environment, by the key `environment`. */
  environment: new Map<'environment', unknown>(),
  /** Parsed and checked expressions by source (see `expressions.ts`). */
  compiled: new Map<string, unknown>(),
};
