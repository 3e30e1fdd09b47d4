/**
 * The typed fluent builder: pipelines written in code compile to the same `steps` document as
 * JSON/YAML ones. `pipeline.add({ name }).llm({ … })` returns a node handle whose fields are
 * {@link Ref}s; a Ref placed in another node's params becomes the template
 * `{{ steps.<id>.output.<field> }}`, so dependencies follow from use.
 *
 * Pure: no I/O. The client's `Pipeline` adds saving and running on top.
 */
import type { OnLimit } from '../limits/concurrency';
import type { ParamDeclaration, ParamType, PipelineDefinitionInput } from '../definition/definition';
import type { AddOptions, BudgetOptions } from './options';
import type { ValueOfType } from './valueTypes';
import { NodeBuilder } from './nodeBuilder';
import { Ref } from './refs';
import { budgetConfig, cloneJson, compact, type BuiltStep } from './stepParams';

export {
  Ref,
  Template,
  template,
  serialiseValue,
  type Interpolation,
  type RefKey,
  type RefValue,
} from './refs';
export type * from './valueTypes';
export type * from './options';
export type * from './handles';
export { stepIdFromName } from './stepParams';
export { NodeBuilder } from './nodeBuilder';

/**
 * Builds a pipeline document in code.
 *
 * `Inputs` declares the run's inputs by input-node name; with it, an input node whose type does
 * not match, or a `start()` with a wrong input, does not compile.
 */
export class PipelineBuilder<Inputs = Record<string, unknown>> {
  private readonly steps: BuiltStep[] = [];
  private readonly params: Record<string, ParamDeclaration> = {};
  private failFast: boolean | undefined;
  private concurrency: { max_concurrent_runs?: number; on_limit?: OnLimit } = {};
  private budget: BudgetOptions | undefined;

  constructor(
    readonly name: string,
    public description?: string,
  ) {}

  /** Starts a node: `pipeline.add({ name: 'llm' }).llm({ … })`. */
  add<N extends string>(options: AddOptions<N>): NodeBuilder<Inputs, N> {
    return new NodeBuilder(this, options);
  }

  /** @internal Puts a step in place of one with the same name (or id), else at the end. */
  putStep(built: BuiltStep): void {
    const at = this.steps.findIndex((s) => s.name === built.name || s.step.id === built.step.id);
    if (at === -1) this.steps.push(built);
    else this.steps[at] = built;
  }

  /** Removes the node with this name; true if there was one. */
  remove(name: string): boolean {
    const at = this.steps.findIndex((s) => s.name === name);
    if (at !== -1) this.steps.splice(at, 1);
    return at !== -1;
  }

  /** Node names, in the order they were added. */
  get nodeNames(): string[] {
    return this.steps.map((s) => s.name);
  }

  /** Declares a run param (`start({ params })`) and returns a reference to it. */
  param<T extends ParamType = 'any'>(
    name: string,
    declaration: { type?: T; required?: boolean; default?: ValueOfType<T>; description?: string } = {},
  ): Ref<ValueOfType<T>> {
    this.params[name] = compact({ ...declaration, type: declaration.type ?? 'any' });
    return new Ref(`params.${name}`);
  }

  /** Cancel the nodes in flight as soon as one fails for good. */
  setFailFast(failFast: boolean): this {
    this.failFast = failFast;
    return this;
  }

  /**
   * At most `maxConcurrentRuns` runs of this pipeline execute at once (across all workers and
   * clients); at the limit a run waits as `pending`, or with `onLimit: 'reject'` its `start`
   * throws `RateLimitError`. The definition's `max_concurrent_runs` / `on_limit`.
   */
  setConcurrencyLimit(maxConcurrentRuns: number, onLimit?: OnLimit): this {
    this.concurrency = compact({ max_concurrent_runs: maxConcurrentRuns, on_limit: onLimit });
    return this;
  }

  /**
   * The run's token / cost budget over its llm steps (`budget` in the definition): once it is used
   * up, llm steps not started yet fail with `BudgetExceeded`. A run's own `budget` option
   * overrides it field by field. `undefined` removes it.
   * @example pipeline.setBudget({ maxTokens: 50_000, maxCost: 0.5 })
   */
  setBudget(budget: BudgetOptions | undefined): this {
    this.budget = budget && { ...budget };
    return this;
  }

  /** The definition document, as JSON/YAML authors would write it. */
  get definition(): PipelineDefinitionInput {
    return compact({
      name: this.name,
      description: this.description,
      params: Object.keys(this.params).length > 0 ? { ...this.params } : undefined,
      fail_fast: this.failFast,
      ...this.concurrency,
      budget: this.budget && budgetConfig(this.budget),
      steps: this.steps.map((s) => cloneJson(s.step)),
    });
  }

  toJSON(): PipelineDefinitionInput {
    return this.definition;
  }

  /** @internal Replaces this builder's content with a document's (used when fetching). */
  protected load(document: PipelineDefinitionInput): void {
    this.steps.length = 0;
    for (const step of document.steps) {
      const named =
        (step.action === 'input' || step.action === 'output') && typeof step.params?.name === 'string';
      this.steps.push({ name: named ? (step.params!.name as string) : step.id, step: cloneJson(step) });
    }
    for (const key of Object.keys(this.params)) delete this.params[key];
    Object.assign(this.params, document.params ?? {});
    this.failFast = document.fail_fast;
    this.concurrency = compact({
      max_concurrent_runs: document.max_concurrent_runs,
      on_limit: document.on_limit,
    });
    this.budget = document.budget && {
      maxTokens: document.budget.max_tokens,
      maxCost: document.budget.max_cost,
    };
    this.description = document.description ?? this.description;
  }
}
