import type { ExpressionScope } from '../pipeline';
import type { RunState } from './runState';

/**
 * Builds what expressions and templates see (`steps.<id>.{status,output,error,attempts}`,
 * `params`, `inputs`) from the run state, once per state change rather than once per expression.
 */
export class ExpressionScopeBuilder {
  private cached: ExpressionScope | undefined;

  constructor(
    private readonly state: RunState,
    private readonly params: Record<string, unknown>,
    private readonly inputs: Record<string, unknown>,
  ) {}

  /** Call whenever a node's status or output changed. */
  invalidate(): void {
    this.cached = undefined;
  }

  build(): ExpressionScope {
    if (this.cached) return this.cached;
    const steps: ExpressionScope['steps'] = {};
    for (const [id, node] of Object.entries(this.state.snapshot.nodes)) {
      steps[id] = {
        status: node.status,
        output: node.output ?? null,
        error: node.error?.message ?? null,
        attempts: node.attempts,
      };
    }
    this.cached = { steps, params: this.params, inputs: this.inputs };
    return this.cached;
  }
}
