/**
 * Compiling `map` steps: the per-item step's action resolved and its params, retry and timeout
 * checked, the per-item templates (the only place `item` and `index` are defined) listed for the
 * analysis, and the item's plan node (`MapNode.item`).
 */
import type { ActionSpec } from '../kinds/actions';
import {
  ACTION_DEFAULT_TIMEOUT_MS,
  isBuiltinKind,
  isTemplateParam,
  MapItemStep,
  NODE_KINDS,
  USER_ACTION_SPEC,
  type KindSpec,
} from '../kinds/catalog';
import { durationToMs } from '../definition/duration';
import { validateWrittenParams } from './issues';
import { MAP_ITEM_KINDS } from '../plan/mapItems';
import { toItemStepNode, type ItemStepNode, type NodeKind } from '../plan/plan';
import type { PipelineIssue } from '../definition/issues';
import { retryPolicy } from '../plan/retryPolicy';
import { didYouMean } from '../util/suggest';
import { isRecord } from '../util/records';
import { hasTemplate } from '../expressions/templates';

type Path = (string | number)[];

/** A map step's per-item step, resolved. */
export interface MapItemKind {
  /** The parsed `params.step`. */
  step: MapItemStep;
  /** One of `MAP_ITEM_KINDS`, `action` for a user's action, or the refused built-in kind written. */
  kind: NodeKind;
  spec: KindSpec;
  /** False for an unknown action or a kind a map cannot run: never planned. */
  known: boolean;
  /** The user's action, when it is one. */
  action?: ActionSpec;
}

/** A value of a map step's params that is rendered once per item (relative to the step's params). */
export interface PerItemValue {
  path: Path;
  value: unknown;
  /** `expression`: CEL source (a transform item's `expression`); `template`: `{{ }}` templates. */
  how: 'template' | 'expression';
}

/** The map's params that are used as written: a template there would never be rendered. */
const LITERAL_PARAMS = ['concurrency', 'on_item_failure', 'max_output_bytes', 'pipeline', 'version'] as const;
const LITERAL_STEP_FIELDS = ['action', 'retry', 'timeout'] as const;

/** The path (below `path`) of the first template string inside a value, if any. */
function firstTemplate(value: unknown, path: Path): Path | undefined {
  if (typeof value === 'string') return hasTemplate(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = firstTemplate(item, [...path, i]);
      if (found) return found;
    }
  } else if (isRecord(value)) {
    for (const [key, member] of Object.entries(value)) {
      const found = firstTemplate(member, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Checks what a map step's own params schema cannot: no templates where values are used as
 * written, and the per-item step (`params.step`): its action (a kind of `MAP_ITEM_KINDS` or a
 * declared action), its params against that kind's or action's schema (templates tolerated), no
 * streaming. Returns the resolved item step, or undefined when there is none (pipeline mode, or
 * a `step` whose shape the map's schema already refuses).
 */
export function checkMapStep(
  stepId: string,
  index: number,
  params: Record<string, unknown>,
  actions: Readonly<Record<string, ActionSpec>>,
  issues: PipelineIssue[],
): MapItemKind | undefined {
  const at = (...path: Path): Path => ['steps', index, 'params', ...path];
  const issue = (path: Path, code: PipelineIssue['code'], message: string) =>
    issues.push({ path, code, message, stepId });

  const literal: [Path, unknown][] = LITERAL_PARAMS.map((key) => [[key], params[key]]);
  if (isRecord(params.step)) {
    for (const key of LITERAL_STEP_FIELDS) literal.push([['step', key], params.step[key]]);
  }
  for (const [path, value] of literal) {
    const found = firstTemplate(value, path);
    if (found) {
      issue(
        at(...found),
        'invalid_params',
        `${path.join('.')} is used as written, never rendered: write a value, not a template. ` +
          'Only items and the per-item templates (step.params, inputs, params) are rendered.',
      );
    }
  }

  const parsed = MapItemStep.safeParse(params.step);
  if (!parsed.success) return undefined;
  const step = parsed.data;
  const resolved = resolveItemAction(step.action, actions);
  if (resolved === 'unknown') {
    const declared = Object.keys(actions);
    issue(
      at('step', 'action'),
      'unknown_action',
      `Unknown action '${step.action}'.${didYouMean(step.action, [...MAP_ITEM_KINDS, ...declared])} ` +
        `A map's item step may be ${MAP_ITEM_KINDS.join(', ')}` +
        (declared.length
          ? `, or a declared action: ${declared.join(', ')}.`
          : ', or an action declared to the compiler.'),
    );
    return { step, kind: 'action', spec: USER_ACTION_SPEC, known: false };
  }
  if (resolved.refused) {
    issue(
      at('step', 'action'),
      'invalid_params',
      `A map step cannot run '${step.action}' steps for its items; its step may be ${MAP_ITEM_KINDS.join(', ')} or a user's action.` +
        (step.action === 'pipeline'
          ? ' To run a saved pipeline for each item, write params.pipeline (with inputs and params) instead of params.step.'
          : ''),
    );
    return { step, kind: resolved.kind, spec: resolved.spec, known: false };
  }

  const itemParams = step.params ?? {};
  const schema = resolved.action ? resolved.action.params : resolved.spec.params;
  if (schema) issues.push(...validateWrittenParams(schema, itemParams, at('step', 'params'), stepId));
  if (resolved.kind === 'llm' && itemParams.stream !== undefined && itemParams.stream !== false) {
    issue(
      at('step', 'params', 'stream'),
      'invalid_params',
      "A map's items cannot stream tokens: leave stream out of the item step (each item's response is in results).",
    );
  }
  return { step, ...resolved, known: true };
}

type Resolved = { kind: NodeKind; spec: KindSpec; action?: ActionSpec; refused: boolean };

function resolveItemAction(
  action: string,
  actions: Readonly<Record<string, ActionSpec>>,
): Resolved | 'unknown' {
  if (isBuiltinKind(action)) {
    const refused = !(MAP_ITEM_KINDS as readonly string[]).includes(action);
    return { kind: action, spec: NODE_KINDS[action], refused };
  }
  if (!Object.hasOwn(actions, action)) return 'unknown';
  const declared = actions[action]!;
  const spec: KindSpec = declared.outputs
    ? { ...USER_ACTION_SPEC, outputs: declared.outputs }
    : USER_ACTION_SPEC;
  return { kind: 'action', spec, action: declared, refused: false };
}

/**
 * The values a map step renders per item, with `item` and `index` in scope: the item step's
 * params (by its kind's roles: a transform's `expression` is CEL), or the child pipeline's
 * `inputs` and `params`. Anything else in the map's params is read in the run's scope.
 */
export function perItemValues(
  params: Record<string, unknown>,
  item: MapItemKind | undefined,
): PerItemValue[] {
  const values: PerItemValue[] = [];
  const step = params.step;
  if (isRecord(step) && isRecord(step.params)) {
    // An unknown or refused action: check every param as templates (references still count).
    const roles = item?.known ? item.spec : USER_ACTION_SPEC;
    for (const [key, value] of Object.entries(step.params)) {
      const path = ['step', 'params', key];
      if (roles.expressionParams.includes(key)) {
        if (typeof value === 'string') values.push({ path, value, how: 'expression' });
      } else if (isTemplateParam(roles, key)) values.push({ path, value, how: 'template' });
    }
  }
  for (const key of ['inputs', 'params'] as const) {
    if (isRecord(params[key])) values.push({ path: [key], value: params[key], how: 'template' });
  }
  return values;
}

/**
 * The per-item step's plan node: its id is the map step's, it has no dependencies or gates (the
 * map step has them), and activity kinds get a retry policy and timeout from the item step's own
 * `retry` and `timeout`. Transform items run inline: `retry` / `timeout` on them are warned about.
 */
export function mapItemNode(
  stepId: string,
  index: number,
  item: MapItemKind,
  issues: PipelineIssue[],
  warnings: PipelineIssue[],
): ItemStepNode {
  const { step, spec } = item;
  const io = spec.execution === 'activity';
  const at = (...path: Path): Path => ['steps', index, 'params', 'step', ...path];
  if (!io) {
    for (const setting of ['retry', 'timeout'] as const) {
      if (step[setting] === undefined) continue;
      warnings.push({
        path: at(setting),
        code: 'ignored_setting',
        message: `'${setting}' is ignored: '${step.action}' items are computed inside the map workflow, not as an activity.`,
        stepId,
      });
    }
  }
  return toItemStepNode({
    id: stepId,
    kind: item.kind,
    action: step.action,
    execution: spec.execution,
    params: { ...spec.defaults, ...step.params },
    dependsOn: [],
    trigger: 'all_completed',
    gates: [],
    ...(io && {
      retry: retryPolicy(step.retry, at('retry'), stepId, issues),
      timeoutMs:
        step.timeout !== undefined
          ? durationToMs(step.timeout)
          : (spec.defaultTimeoutMs ?? ACTION_DEFAULT_TIMEOUT_MS),
    }),
    allowFailure: false,
  });
}
