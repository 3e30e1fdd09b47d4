/**
 * The compiler: a definition document in, an {@link ExecutionPlan} out — or every issue found.
 * Validation never stops at the first problem: shape, ids, actions, params, templates,
 * expressions, references, branches, retry settings and cycles are all reported together.
 */
import { z } from 'zod';
import { findNonJson } from '../definition/valueShape';
import type { ActionSpec } from '../kinds/actions';
import { toPlanBudget } from '../plan/budget';
import { analyzeStep, type StepContext, type StepUse } from './analyzeStep';
import {
  ACTION_DEFAULT_TIMEOUT_MS,
  isBuiltinKind,
  NODE_KINDS,
  USER_ACTION_SPEC,
  type KindSpec,
} from '../kinds/catalog';
import { PipelineDefinition, StepDefinition, type ParamDeclaration } from '../definition/definition';
import { durationToMs } from '../definition/duration';
import { PipelineValidationError } from '../definition/errors';
import { findCycles, topologicalOrder } from './graph';
import { hashJson } from '../definition/hash';
import { MAX_STEPS } from '../definition/limits';
import { fromZodIssues, schemaKeys } from './issues';
import { valueMatchesType } from '../plan/runValues';
import { MAX_DOCUMENT_DEPTH, pathDeeperThan } from './documentDepth';

export { MAX_DOCUMENT_DEPTH } from './documentDepth';
import type { PipelineIssue } from '../definition/issues';
import {
  BUILTIN_KINDS,
  type ExecutionPlan,
  type NodeKind,
  type PlanGate,
  type PlanNode,
  type PlanNodeFields,
  toPlanNode,
} from '../plan/plan';
import { ALWAYS_NON_RETRYABLE } from '../plan/planWire';
import { checkMapStep, mapItemNode, type MapItemKind } from './compileMapStep';
import { retryPolicy } from '../plan/retryPolicy';
import { ENGINE_DEFAULTS } from '../plan/engineDefaults';
import { didYouMean } from '../util/suggest';
import { isRecord } from '../util/records';
import { findSecretReferences } from '../expressions/templates';

/** Options of {@link compile}. */
export interface CompileOptions {
  /**
   * Users' actions the workers register, by name (an `ActionDefinition` fits; see `actionsByName`).
   * A step whose action is neither a built-in kind nor listed here is an `unknown_action`.
   */
  actions?: Readonly<Record<string, ActionSpec>>;
}

export type CompileResult =
  | { ok: true; plan: ExecutionPlan; warnings: PipelineIssue[] }
  | { ok: false; issues: PipelineIssue[]; warnings: PipelineIssue[] };

export { ALWAYS_NON_RETRYABLE };

/** The document with its steps left unchecked: they are checked one by one. */
const TopLevel = PipelineDefinition.extend({ steps: z.array(z.unknown()).min(1).max(MAX_STEPS) });

interface Step {
  index: number;
  def: StepDefinition;
  kind: NodeKind;
  spec: KindSpec;
  /** False for an unknown action: analysed for references, never planned. */
  known: boolean;
  params: Record<string, unknown>;
  /** A map step's per-item step, resolved. */
  mapItem?: MapItemKind;
}

/**
 * Compiles a pipeline document.
 *
 * @example
 * const result = compile({ steps: [{ id: 'hi', action: 'log', params: { message: 'hello' } }] });
 * if (!result.ok) console.error(result.issues);
 */
export function compile(document: unknown, options: CompileOptions = {}): CompileResult {
  const issues: PipelineIssue[] = [];
  const warnings: PipelineIssue[] = [];

  // 0. Nesting: every later pass walks values recursively, so a hostile document is stopped here.
  const tooDeep = pathDeeperThan(document, MAX_DOCUMENT_DEPTH);
  if (tooDeep) {
    issues.push({
      path: tooDeep,
      code: 'invalid_document',
      message: `This value is nested more than ${MAX_DOCUMENT_DEPTH} levels deep (or contains itself); a definition is plain JSON nested at most ${MAX_DOCUMENT_DEPTH} levels.`,
    });
    return { ok: false, issues, warnings };
  }
  const nonJson = findNonJson(document);
  if (nonJson) {
    issues.push({
      path: nonJson.path,
      code: 'invalid_document',
      message: `This value is ${nonJson.what}; a definition is plain JSON.`,
    });
    return { ok: false, issues, warnings };
  }

  // 1. Shape: the document, then each step on its own so one bad step does not hide the rest.
  const rawSteps =
    isRecord(document) && Array.isArray(document.steps) ? (document.steps as unknown[]) : undefined;
  const top = TopLevel.safeParse(document);
  if (!top.success) {
    issues.push(
      ...budgetCodes(
        fromZodIssues(top.error.issues, [], 'invalid_document', {
          knownKeys: (path) => (path.length === 0 ? schemaKeys(PipelineDefinition) : []),
        }),
        0,
      ),
    );
  }
  const steps: Step[] = [];
  const knownIds = new Map<string, number>();
  (rawSteps ?? []).forEach((raw, index) => {
    const rawId = isRecord(raw) && typeof raw.id === 'string' ? raw.id : undefined;
    const parsed = StepDefinition.safeParse(raw);
    if (!parsed.success) {
      issues.push(
        ...budgetCodes(
          fromZodIssues(parsed.error.issues, ['steps', index], 'invalid_document', {
            ...(rawId !== undefined && { stepId: rawId }),
            knownKeys: (path) => (path.length === 0 ? schemaKeys(StepDefinition) : []),
          }),
          2,
        ),
      );
    }
    const id = parsed.success ? parsed.data.id : rawId;
    if (id !== undefined) {
      const first = knownIds.get(id);
      if (first === undefined) knownIds.set(id, index);
      else {
        issues.push({
          path: ['steps', index, 'id'],
          code: 'duplicate_id',
          message: `Step id '${id}' is already used by steps[${first}]; step ids must be unique.`,
          stepId: id,
        });
        return;
      }
    }
    if (parsed.success) steps.push(resolveKind(parsed.data, index, options, issues));
  });
  if (!top.success || rawSteps === undefined) return { ok: false, issues, warnings };

  const declared: Record<string, ParamDeclaration> = top.data.params ?? {};
  for (const [name, decl] of Object.entries(declared)) {
    if (decl.default !== undefined && !valueMatchesType(decl.default, decl.type)) {
      issues.push({
        path: ['params', name, 'default'],
        code: 'invalid_document',
        message: `The default of param '${name}' is not of its declared type '${decl.type}'.`,
      });
    }
  }

  // 2. Names every step can refer to.
  const byId = new Map(steps.map((s) => [s.def.id, s]));
  const inputNames = new Map<string, string>();
  const outputNames = new Map<string, string>();
  for (const s of steps) {
    if (s.kind !== 'input' && s.kind !== 'output') continue;
    const name = typeof s.params.name === 'string' ? s.params.name : s.def.id;
    const names = s.kind === 'input' ? inputNames : outputNames;
    const other = names.get(name);
    if (other !== undefined) {
      issues.push({
        path: ['steps', s.index, ...(typeof s.params.name === 'string' ? ['params', 'name'] : ['id'])],
        code: 'duplicate_name',
        message: `Step '${s.def.id}' uses the ${s.kind} name '${name}', already used by step '${other}'.`,
        stepId: s.def.id,
      });
    } else names.set(name, s.def.id);
  }
  const ctx: StepContext = {
    knownIds,
    outputsOf: (id) => byId.get(id)?.spec.outputs ?? 'any',
    declaredParams: Object.keys(declared),
    inputs: inputNames,
  };

  // 3. Each step: params, templates, expressions, references, branches, retry.
  const uses = new Map<string, StepUse>();
  for (const s of steps) {
    if (s.kind === 'map')
      s.mapItem = checkMapStep(s.def.id, s.index, s.params, options.actions ?? {}, issues);
    const use = analyzeStep(
      s.def,
      s.index,
      s.spec,
      s.known,
      s.params,
      ctx,
      issues,
      options.actions?.[s.def.action],
      s.mapItem,
    );
    uses.set(s.def.id, use);
  }
  const gates = new Map<string, PlanGate[]>();
  for (const s of steps) {
    for (const gate of uses.get(s.def.id)!.branches) {
      const list = gates.get(gate.target) ?? [];
      list.push({ nodeId: s.def.id, when: gate.when });
      gates.set(gate.target, list);
    }
  }
  const dependsOn = (id: string): string[] => {
    const deps = new Set(uses.get(id)?.dependsOn ?? []);
    for (const gate of gates.get(id) ?? []) deps.add(gate.nodeId);
    deps.delete(id);
    return [...deps].filter((d) => byId.has(d)).sort();
  };

  // 4. The graph.
  const ids = steps.map((s) => s.def.id);
  for (const cycle of findCycles(ids, dependsOn)) {
    const first = byId.get(cycle[0]!)!;
    issues.push({
      path: ['steps', first.index],
      code: 'cycle',
      message: `Steps form a dependency cycle: ${cycle.join(' → ')} (each step depends on the next).`,
      stepId: first.def.id,
    });
  }

  const nodes: PlanNode[] = [];
  for (const id of topologicalOrder(ids, dependsOn)) {
    const s = byId.get(id)!;
    const node = planNode(s, uses.get(id)!, dependsOn(id), gates.get(id) ?? [], issues, warnings);
    if (node) nodes.push(node);
  }
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues), warnings };

  const definition = { ...top.data, steps: steps.map((s) => s.def) };
  const secrets = findSecretReferences(
    nodes.map((n) => [n.params, n.execution === 'map' ? n.item?.params : undefined]),
  );
  return {
    ok: true,
    warnings,
    plan: {
      planVersion: 1,
      name: top.data.name ?? 'unnamed',
      ...(top.data.description !== undefined && { description: top.data.description }),
      definitionHash: hashJson(definition),
      failFast: top.data.fail_fast ?? false,
      ...(top.data.max_concurrent_runs !== undefined && { maxConcurrentRuns: top.data.max_concurrent_runs }),
      ...(top.data.on_limit !== undefined && { onLimit: top.data.on_limit }),
      ...(top.data.budget && { budget: toPlanBudget(top.data.budget) }),
      params: declared,
      ...(secrets.length > 0 && { secrets }),
      nodes,
      engineDefaults: { ...ENGINE_DEFAULTS },
    },
  };
}

function resolveKind(
  def: StepDefinition,
  index: number,
  options: CompileOptions,
  issues: PipelineIssue[],
): Step {
  const params = def.params ?? {};
  if (isBuiltinKind(def.action)) {
    return { index, def, kind: def.action, spec: NODE_KINDS[def.action], known: true, params };
  }
  const declaredActions = options.actions ?? {};
  if (Object.hasOwn(declaredActions, def.action)) {
    const outputs = declaredActions[def.action]!.outputs;
    const spec: KindSpec = outputs ? { ...USER_ACTION_SPEC, outputs } : USER_ACTION_SPEC;
    return { index, def, kind: 'action', spec, known: true, params };
  }
  const candidates = [...BUILTIN_KINDS, ...Object.keys(declaredActions)];
  const hint = didYouMean(def.action, candidates);
  const known = Object.keys(declaredActions);
  issues.push({
    path: ['steps', index, 'action'],
    code: 'unknown_action',
    message:
      `Unknown action '${def.action}'.${hint} Built-in kinds: ${BUILTIN_KINDS.join(', ')}.` +
      (known.length ? ` Declared actions: ${known.join(', ')}.` : '') +
      ' A worker action must be declared to the compiler: compile(doc, { actions: actionsByName([myAction]) }) with myAction from defineAction().',
    stepId: def.id,
  });
  return { index, def, kind: 'action', spec: USER_ACTION_SPEC, known: false, params };
}

function planNode(
  s: Step,
  use: StepUse,
  dependsOn: string[],
  gates: PlanGate[],
  issues: PipelineIssue[],
  warnings: PipelineIssue[],
): PlanNode | undefined {
  const { def, spec, index } = s;
  const io = spec.execution === 'activity';
  for (const setting of ['retry', 'timeout'] as const) {
    if (!io && def[setting] !== undefined) {
      warnings.push({
        path: ['steps', index, setting],
        code: 'ignored_setting',
        message:
          spec.execution === 'event'
            ? `'${setting}' is ignored: '${s.kind}' steps wait inside the workflow, not as an activity${setting === 'timeout' ? '; set params.timeout for how long to wait' : ''}.`
            : spec.execution === 'child'
              ? `'${setting}' is ignored: '${s.kind}' steps run a child workflow, which is not retried; its own steps retry per their settings.`
              : spec.execution === 'map'
                ? `'${setting}' is ignored: 'map' steps run a child workflow, which is not retried; set ${setting} on params.step for each item's activity (a pipeline's own steps retry per their settings).`
                : `'${setting}' is ignored: '${s.kind}' steps run ${spec.execution === 'timer' ? 'as a durable timer' : 'inside the workflow'}, not as an activity.`,
        stepId: def.id,
      });
    }
  }
  const retry = io ? retryPolicy(def.retry, ['steps', index, 'retry'], def.id, issues) : undefined;
  if (def.budget !== undefined && s.kind !== 'llm') {
    issues.push({
      path: ['steps', index, 'budget'],
      code: 'invalid_budget',
      message: `A budget applies only to llm steps; '${def.action}' steps report no token usage for it to count.`,
      stepId: def.id,
    });
  }
  const fields: PlanNodeFields = {
    id: def.id,
    kind: s.kind,
    action: def.action,
    execution: spec.execution,
    params: { ...spec.defaults, ...s.params },
    dependsOn,
    trigger: use.readsStatus ? 'all_terminal' : 'all_completed',
    ...(def.condition !== undefined && { condition: def.condition }),
    gates: [...gates].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0)),
    ...(retry && { retry }),
    ...(io && {
      timeoutMs:
        def.timeout !== undefined
          ? durationToMs(def.timeout)
          : (spec.defaultTimeoutMs ?? ACTION_DEFAULT_TIMEOUT_MS),
    }),
    allowFailure: def.allow_failure ?? false,
    ...(s.kind === 'output' && { outputName: typeof s.params.name === 'string' ? s.params.name : def.id }),
    ...(s.kind === 'input' && { inputName: typeof s.params.name === 'string' ? s.params.name : def.id }),
    ...(s.kind === 'llm' && def.budget && { budget: toPlanBudget(def.budget) }),
    ...(s.mapItem?.known && { item: mapItemNode(def.id, index, s.mapItem, issues, warnings) }),
  };
  return s.known ? toPlanNode(fields) : undefined;
}

/** Shape issues inside a `budget` (its path segment at `at`) get the code `invalid_budget`. */
function budgetCodes(issues: PipelineIssue[], at: number): PipelineIssue[] {
  return issues.map((issue) => (issue.path[at] === 'budget' ? { ...issue, code: 'invalid_budget' } : issue));
}

/** Issues in document order (by path), stable otherwise. */
function sortIssues(issues: PipelineIssue[]): PipelineIssue[] {
  const key = (i: PipelineIssue) => (i.path[0] === 'steps' && typeof i.path[1] === 'number' ? i.path[1] : -1);
  return issues
    .map((issue, n) => ({ issue, n }))
    .sort((a, b) => key(a.issue) - key(b.issue) || a.n - b.n)
    .map((x) => x.issue);
}

/**
 * Compiles a document or throws.
 *
 * @throws PipelineValidationError with every issue found.
 */
export function compileOrThrow(document: unknown, options: CompileOptions = {}): ExecutionPlan {
  const result = compile(document, options);
  if (!result.ok) throw new PipelineValidationError(result.issues);
  return result.plan;
}
