/**
 * One step's static analysis for the compiler: params against the kind's schema, templates and
 * expressions, what they reference, `depends_on`, and a condition node's branches. A map step's
 * per-item templates are analysed too, and are the only place `item` and `index` may be read.
 */
import type { ActionSpec } from '../kinds/actions';
import type { KindSpec } from '../kinds/catalog';
import { isTemplateParam } from '../kinds/catalog';
import type { StepDefinition } from '../definition/definition';
import type { ExpressionCheck } from '../expressions/expressions';
import { checkExpression } from '../expressions/expressions';
import { validateWrittenParams } from './issues';
import { perItemValues, type MapItemKind } from './compileMapStep';
import type { PipelineIssue, PipelineIssueCode } from '../definition/issues';
import { STEP_FIELDS, type ExpressionReferences } from '../expressions/references';
import { didYouMean } from '../util/suggest';
import { checkTemplate, hasTemplate } from '../expressions/templates';

type Path = (string | number)[];

/** What every step may refer to. */
export interface StepContext {
  /** Every step id in the document (first occurrence), with its index. */
  knownIds: ReadonlyMap<string, number>;
  /** A step's output fields (`'any'` when not fixed or unknown). */
  outputsOf(id: string): readonly string[] | 'any';
  /** Declared pipeline params; when empty, any `params.x` is accepted. */
  declaredParams: readonly string[];
  /** The document's input nodes: input name → step id. */
  inputs: ReadonlyMap<string, string>;
}

/** Where a template or expression is: in the run's scope, or a map step's per-item template. */
interface Place {
  /** `item` and `index` are defined. */
  perItem: boolean;
  /** `{{ secrets.X }}` is allowed (the value is rendered for an activity). */
  secrets: boolean;
  /** The kind named when secrets are refused. */
  kind: string;
}

/** What the compiler needs from a step's analysis. */
export interface StepUse {
  /**
   * `depends_on` ∪ steps referenced by templates and conditions ∪ the input nodes behind `inputs.x`
   * (known ids only, never itself).
   */
  dependsOn: string[];
  /** `on_true` / `on_false` targets of a condition node. */
  branches: { target: string; when: boolean }[];
  /** Its condition reads some step's `status` or `error`: evaluated once dependencies are terminal. */
  readsStatus: boolean;
}

/**
 * Analyses one step, pushing issues. `known` is false for an unknown action (its params are not
 * validated, but its templates and references still are). `mapItem` is a map step's resolved
 * item step (see `checkMapStep`), when it has one.
 */
export function analyzeStep(
  def: StepDefinition,
  index: number,
  spec: KindSpec,
  known: boolean,
  params: Record<string, unknown>,
  ctx: StepContext,
  issues: PipelineIssue[],
  action?: ActionSpec,
  mapItem?: MapItemKind,
): StepUse {
  const id = def.id;
  const at = (...path: Path): Path => ['steps', index, ...path];
  const issue = (path: Path, code: PipelineIssueCode, message: string) =>
    issues.push({ path, code, message, stepId: id });
  const deps = new Set<string>();
  let readsStatus = false;
  const misplacedItems = new Set<string>();

  // Params against the kind's (or the action's) schema.
  const schema = action ? action.params : known ? spec.params : undefined;
  if (schema) issues.push(...validateWrittenParams(schema, params, at('params'), id));

  const checkReferences = (refs: ExpressionReferences, path: Path, isCondition: boolean, place: Place) => {
    if (!place.perItem) {
      for (const { name } of refs.item) {
        // Once per name and place, however many expressions of one template read it.
        const key = `${path.join('.')}:${name}`;
        if (misplacedItems.has(key)) continue;
        misplacedItems.add(key);
        issue(
          path,
          'unknown_variable',
          `'${name}' is defined only in a map step's per-item templates (params.step.params, params.inputs, params.params).`,
        );
      }
    }
    for (const ref of refs.steps) {
      if (ref.stepId === id) {
        issue(
          path,
          'self_dependency',
          `Step '${id}' refers to itself (steps.${id}); a step cannot read its own result.`,
        );
        continue;
      }
      if (!ctx.knownIds.has(ref.stepId)) {
        issue(
          path,
          'unknown_step',
          `Unknown step '${ref.stepId}' in steps.${ref.stepId}.${didYouMean(ref.stepId, ctx.knownIds.keys())}`,
        );
        continue;
      }
      deps.add(ref.stepId);
      if (ref.field !== undefined && !(STEP_FIELDS as readonly string[]).includes(ref.field)) {
        issue(
          path,
          'unknown_field',
          `steps.${ref.stepId}.${ref.field} does not exist; a step has ${STEP_FIELDS.join(', ')}.${didYouMean(ref.field, STEP_FIELDS)}`,
        );
        continue;
      }
      if (isCondition && (ref.field === 'status' || ref.field === 'error')) readsStatus = true;
      const outputs = ctx.outputsOf(ref.stepId);
      if (ref.outputField !== undefined && outputs !== 'any' && !outputs.includes(ref.outputField)) {
        issue(
          path,
          'unknown_field',
          `steps.${ref.stepId}.output has no field '${ref.outputField}'; it has ${outputs.join(', ')}.${didYouMean(ref.outputField, outputs)}`,
        );
      }
    }
    if (ctx.declaredParams.length > 0) {
      for (const ref of refs.params) {
        if (ref.name !== '' && !ctx.declaredParams.includes(ref.name)) {
          issue(
            path,
            'unknown_param',
            `Unknown param '${ref.name}'; declared params: ${ctx.declaredParams.join(', ')}.${didYouMean(ref.name, ctx.declaredParams)}`,
          );
        }
      }
    }
    for (const ref of refs.inputs) {
      if (ref.name === '') continue;
      const source = ctx.inputs.get(ref.name);
      if (source !== undefined) {
        deps.add(source);
        continue;
      }
      const names = [...ctx.inputs.keys()];
      const known = names.length ? `input nodes: ${names.join(', ')}` : 'there are no input nodes';
      issue(
        path,
        'unknown_input',
        `No input node reads '${ref.name}' (${known}).${didYouMean(ref.name, names)}`,
      );
    }
  };

  const record = (
    check: ExpressionCheck,
    path: Path,
    how: 'template' | 'expression' | 'condition',
    place: Place,
  ) => {
    if (!check.ok) {
      for (const problem of check.issues) {
        const code =
          how === 'template' && problem.code === 'invalid_expression' ? 'invalid_template' : problem.code;
        issue(path, code, problem.message);
      }
    } else if (how === 'condition' && check.resultType !== 'bool' && check.resultType !== 'dyn') {
      issue(
        path,
        'invalid_expression',
        `A condition must yield a bool, but this expression yields ${check.resultType}.`,
      );
    }
    if (check.references) checkReferences(check.references, path, how === 'condition', place);
  };

  const walkTemplates = (value: unknown, path: Path, place: Place): void => {
    if (typeof value === 'string') {
      if (!hasTemplate(value)) return;
      const result = checkTemplate(value);
      if (!result.ok) {
        issue(path, 'invalid_template', result.message);
        return;
      }
      for (const check of result.expressions) record(check, path, 'template', place);
      if (result.secrets.length > 0 && !place.secrets) {
        issue(
          path,
          'invalid_secret_reference',
          `Secrets are resolved only by I/O steps (activities); a ${place.kind} step runs inside the workflow and would expose {{ secrets.${result.secrets[0]} }} as text.`,
        );
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walkTemplates(item, [...path, i], place));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, member] of Object.entries(value)) walkTemplates(member, [...path, key], place);
    }
  };

  const runScope: Place = { perItem: false, secrets: spec.execution === 'activity', kind: def.action };
  for (const [key, value] of Object.entries(params)) {
    if (spec.expressionParams.includes(key)) {
      if (typeof value === 'string') {
        const how = key === 'condition' ? 'condition' : 'expression';
        record(checkExpression(value), at('params', key), how, runScope);
      }
    } else if (isTemplateParam(spec, key)) {
      walkTemplates(value, at('params', key), runScope);
    }
  }
  if (def.condition !== undefined) {
    record(checkExpression(def.condition), at('condition'), 'condition', runScope);
  }
  if (def.action === 'map' && known) {
    // Rendered per item by the map workflow: `item` and `index` are defined; what they read of
    // the run (steps, params, inputs) is a dependency of the map step like any other.
    const itemStep = params.step !== undefined;
    const perItem: Place = {
      perItem: true,
      secrets: itemStep && (mapItem?.spec.execution ?? 'activity') === 'activity',
      kind: itemStep ? (mapItem?.step.action ?? 'map') : 'map',
    };
    for (const { path, value, how } of perItemValues(params, mapItem)) {
      if (how === 'expression') record(checkExpression(value as string), at('params', ...path), how, perItem);
      else walkTemplates(value, at('params', ...path), perItem);
    }
  }

  (def.depends_on ?? []).forEach((dep, k) => {
    if (dep === id) issue(at('depends_on', k), 'self_dependency', `Step '${id}' lists itself in depends_on.`);
    else if (!ctx.knownIds.has(dep)) {
      issue(
        at('depends_on', k),
        'unknown_step',
        `Unknown step '${dep}' in depends_on.${didYouMean(dep, ctx.knownIds.keys())}`,
      );
    } else deps.add(dep);
  });

  const branches: StepUse['branches'] = [];
  if (def.action === 'condition' && known) {
    const seen = new Map<string, boolean>();
    for (const [key, when] of [
      ['on_true', true],
      ['on_false', false],
    ] as const) {
      const raw = params[key];
      const targets = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
      targets.forEach((target, k) => {
        if (typeof target !== 'string') return;
        const path = typeof raw === 'string' ? at('params', key) : at('params', key, k);
        if (target === id) {
          issue(path, 'invalid_branch_target', `A condition step cannot branch to itself ('${id}').`);
        } else if (!ctx.knownIds.has(target)) {
          issue(
            path,
            'invalid_branch_target',
            `${key} names unknown step '${target}'.${didYouMean(target, ctx.knownIds.keys())}`,
          );
        } else if (seen.has(target)) {
          if (seen.get(target) !== when) {
            issue(
              path,
              'invalid_branch_target',
              `Step '${target}' is in both on_true and on_false, so it could never run.`,
            );
          }
        } else {
          seen.set(target, when);
          branches.push({ target, when });
        }
      });
    }
  }

  return { dependsOn: [...deps].sort(), branches, readsStatus };
}
