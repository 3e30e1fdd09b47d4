/**
 * The node activities by name, as the worker registers them and the interpreter calls them:
 * one activity per built-in I/O kind (named after the kind) and one per user action (named after
 * the action). `createActivities` implements {@link BuiltinNodeActivities}; `runNode` proxies it.
 */
import type { ActivityKind } from '../model';
import type { NodeActivityInput, NodeActivityResult } from './nodeActivity';

/** One node activity: a step's rendered params in, its output and what the attempt reported out. */
export type NodeActivityFn = (input: NodeActivityInput) => Promise<NodeActivityResult>;

/** The built-in kinds that run as an activity of their own name. */
export type BuiltinActivityKind = Exclude<ActivityKind, 'action'>;

/** The built-in node activities, by kind. */
export type BuiltinNodeActivities = { readonly [K in BuiltinActivityKind]: NodeActivityFn };

/** Users' actions' activities, by action name. */
export type ActionActivities = Readonly<Record<string, NodeActivityFn>>;
