/**
 * The worker module, loaded only by the commands that need it (it loads Temporal's native
 * worker), and the users' actions read through it from `--actions-module`.
 */
import type * as WorkerModule from '../worker';
import { actionsByName, type ActionSpec } from '../model';
import type { GlobalOptions } from './commandContext';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy by design
export const workerModule = () => require('../worker') as typeof WorkerModule;

/** Users' actions from `--actions-module` (with their param schemas) and `--action` (names only). */
export async function actionSpecs(g: GlobalOptions): Promise<Record<string, ActionSpec> | undefined> {
  const specs: Record<string, ActionSpec> = {};
  if (g.actionsModule) {
    Object.assign(specs, actionsByName(await workerModule().loadActions(g.actionsModule)));
  }
  for (const name of g.action ?? []) specs[name] ??= {};
  return Object.keys(specs).length > 0 ? specs : undefined;
}

/** The actions `connect()` is told about: definitions from `--actions-module`, names from `--action`. */
export async function knownActions(g: GlobalOptions) {
  const loaded = g.actionsModule ? await workerModule().loadActions(g.actionsModule) : [];
  const all = [...loaded, ...(g.action ?? [])];
  return all.length > 0 ? all : undefined;
}
