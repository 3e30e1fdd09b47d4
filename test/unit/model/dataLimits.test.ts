/**
 * The bounds on durations a definition may write, and the start-time check of a run's inputs and
 * params (issue 17 item 5), without a server: each refusal names the path (and the step).
 */
import { prepareRun } from '../../../src/client/runs/startRun';
import { compile, PipelineValidationError } from '../../../src/model';
import { DURATION_LIMITS } from '../../../src/model/definition/duration';
import { MAX_RUN_VALUE_DEPTH, runValueIssues } from '../../../src/model/definition/valueShape';
import type { PlanNodeFields } from '../../../src/model/plan/plan';

const issuesOf = (document: unknown) => {
  const result = compile(document);
  return result.ok
    ? []
    : result.issues.map((i) => ({ path: i.path.join('.'), stepId: i.stepId, message: i.message }));
};

describe('duration bounds', () => {
  test.each([
    [
      'delay duration',
      { id: 's', action: 'delay', params: { duration: '366d' } },
      'steps.0.params.duration',
      /365d/,
    ],
    [
      'delay in seconds',
      { id: 's', action: 'delay', params: { duration: 1e300 } },
      'steps.0.params.duration',
      /365d/,
    ],
    [
      'event timeout',
      { id: 's', action: 'wait_for_event', params: { timeout: '400d' } },
      'steps.0.params.timeout',
      /365d/,
    ],
    [
      'step timeout',
      { id: 's', action: 'api_call', params: { url: 'https://x.test' }, timeout: '31d' },
      'steps.0.timeout',
      /30d/,
    ],
    [
      'retry interval',
      { id: 's', action: 'api_call', params: { url: 'https://x.test' }, retry: { max_interval: '31d' } },
      'steps.0.retry.max_interval',
      /30d/,
    ],
    [
      'request timeout',
      { id: 's', action: 'api_call', params: { url: 'https://x.test', timeout: '25h' } },
      'steps.0.params.timeout',
      /1d/,
    ],
  ])('%s past its bound is refused, naming the step and field', (_, step, path, limit) => {
    const issues = issuesOf({ name: 'p', steps: [step] });
    expect(issues).toEqual([{ path, stepId: 's', message: expect.stringMatching(limit) as unknown }]);
  });

  test('at the bounds they compile; a default max_interval is capped at the retry bound', () => {
    const result = compile({
      name: 'p',
      steps: [
        { id: 'd', action: 'delay', params: { duration: '365d' } },
        {
          id: 'c',
          action: 'api_call',
          params: { url: 'https://x.test', timeout: '1d' },
          timeout: '30d',
          retry: { initial_interval: '30d' },
        },
      ],
    });
    expect(result.ok).toBe(true);
    const call: PlanNodeFields | undefined = result.ok
      ? result.plan.nodes.find((n) => n.id === 'c')
      : undefined;
    expect(call?.retry?.maximumIntervalMs).toBe(DURATION_LIMITS.retryInterval);
  });
});

describe('run values at start', () => {
  const doc = { name: 'p', steps: [{ id: 'x', action: 'input' }] };
  const nest = (levels: number) => {
    let v: unknown = 0;
    for (let i = 0; i < levels; i++) v = [v];
    return v;
  };

  test('nesting up to the limit passes; one more level is refused at its path', () => {
    expect(runValueIssues('inputs', { x: nest(MAX_RUN_VALUE_DEPTH) })).toEqual([]);
    const [issue] = runValueIssues('inputs', { x: nest(MAX_RUN_VALUE_DEPTH + 1) });
    expect(issue!.path).toEqual(['inputs', 'x', ...Array<number>(MAX_RUN_VALUE_DEPTH).fill(0)]);
  });

  test('a run timeout past 366 days or not a duration is refused before start', () => {
    for (const timeout of ['367d', 'soon', -1, 0]) {
      expect(() => prepareRun(doc, { inputs: { x: 1 }, timeout: timeout as never })).toThrow(
        PipelineValidationError,
      );
    }
    expect(() => prepareRun(doc, { inputs: { x: 1 }, timeout: '366d' })).not.toThrow();
  });

  test('__proto__ as an input name is kept as an own key', () => {
    const input = prepareRun(
      { name: 'p', steps: [{ id: 't', action: 'transform', params: { expression: '1' } }] },
      {
        inputs: JSON.parse('{"__proto__": "x"}') as Record<string, unknown>,
      },
    );
    expect(Object.keys(input.inputs)).toEqual(['__proto__']);
    expect(JSON.stringify(input.inputs)).toBe('{"__proto__":"x"}');
  });
});
