import type { ExpressionScope } from '../../model';
import type { RunState } from './runState';

/**
 * Builds what expressions and templates see (`steps.<id>.{status,output,error,attempts}`,
 * `params`, `inputs`) from the run state, once per state change rather than once per expression.
 */
export class ExpressionScopeBuilder {
  private cached: ExpressionScope | undefined;
  /** Every step's view, kept up to date one step at a time. */
  private readonly steps: ExpressionScope['steps'] = {};

  constructor(
    private readonly state: RunState,
    private readonly params: Record<string, unknown>,
    private readonly inputs: Record<string, unknown>,
  ) {
    for (const id of Object.keys(state.snapshot.nodes)) this.refresh(id);
  }

  /**
   * Call whenever a step's status or output changed. Only that step's view is rebuilt (a run of
   * n steps would otherwise rebuild n views after each of its n changes).
   */
  invalidate(stepId: string): void {
    this.refresh(stepId);
    this.cached = undefined;
  }

  /**
   * The scope as of now. A new object after every change, because evaluation caches converted
   * values per scope object; it shares the step views, so hold it only for one synchronous use.
   */
  build(): ExpressionScope {
    this.cached ??= { steps: this.steps, params: this.params, inputs: this.inputs };
    return this.cached;
  }

  private refresh(id: string): void {
    const node = this.state.snapshot.nodes[id];
    if (!node) return;
    this.steps[id] = {
      status: node.status,
      output: node.output ?? null,
      error: node.error?.message ?? null,
      attempts: node.attempts,
    };
  }
}
