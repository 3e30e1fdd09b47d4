/**
 * The `pipeline` node kind in the model: what the compiler checks before a run starts (the
 * params' shapes only: the saved pipeline is resolved when the step starts), how it plans and
 * packs, and the builder's subPipeline().
 */
import { compile, compileOrThrow } from '../../../src/model/compiler/compiler';
import { PipelineBuilder } from '../../../src/model/builder/builder';
import type { PipelineIssue } from '../../../src/model/definition/issues';
import { packPlan, unpackPlan } from '../../../src/model/plan/planWire';
import { KIND_DEFAULTS } from '../../../src/model/kinds/catalog';
import { isTemplateParam, PARAM_ROLES } from '../../../src/model/kinds/paramRoles';

const issuesOf = (doc: unknown): PipelineIssue[] => {
  const result = compile(doc);
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
};
const subStep = (params: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  steps: [
    { id: 'doc', action: 'input', params: { type: 'string' } },
    { id: 'sub', action: 'pipeline', params, ...extra },
  ],
});

describe('pipeline steps at compile time', () => {
  test('a saved name with templated inputs and params compiles to a child step that depends on what it reads', () => {
    const plan = compileOrThrow(
      subStep({
        pipeline: 'summarize',
        version: 3,
        inputs: { text: '{{ steps.doc.output.value }}' },
        params: { n: 2 },
      }),
    );
    const node = plan.nodes.find((n) => n.id === 'sub')!;
    expect(node).toMatchObject({ kind: 'pipeline', execution: 'child', dependsOn: ['doc'] });
    expect(node).not.toHaveProperty('retry');
    expect(node).not.toHaveProperty('timeoutMs');
    expect(unpackPlan(packPlan(plan, KIND_DEFAULTS))).toEqual(plan);
    expect(packPlan(plan, KIND_DEFAULTS).nodes[1]).toEqual({
      id: 'sub',
      kind: 'pipeline',
      params: node.params,
      dependsOn: ['doc'],
    });
  });

  test('a missing or empty pipeline name, a bad version, non-object inputs or params, or an unknown param are refused', () => {
    const paths = (params: Record<string, unknown>) =>
      issuesOf(subStep(params)).map((issue) => [issue.code, issue.path.join('.')]);
    expect(paths({})).toEqual([['invalid_params', 'steps.1.params.pipeline']]);
    expect(paths({ pipeline: '' })).toEqual([['invalid_params', 'steps.1.params.pipeline']]);
    expect(paths({ pipeline: 'p', version: 0 })).toEqual([['invalid_params', 'steps.1.params.version']]);
    expect(paths({ pipeline: 'p', version: 1.5 })).toEqual([['invalid_params', 'steps.1.params.version']]);
    expect(paths({ pipeline: 'p', inputs: ['a'] })).toEqual([['invalid_params', 'steps.1.params.inputs']]);
    expect(paths({ pipeline: 'p', params: 'x' })).toEqual([['invalid_params', 'steps.1.params.params']]);
    expect(paths({ pipeline: 'p', wait: true })[0]![0]).toBe('invalid_params');
  });

  test('a template that reads an unknown step or field is refused like anywhere else', () => {
    const issues = issuesOf(subStep({ pipeline: 'p', inputs: { text: '{{ steps.nope.output }}' } }));
    expect(issues.map((i) => i.code)).toEqual(['unknown_step']);
  });

  test('only inputs and params hold templates; retry and timeout are ignored with a warning', () => {
    expect(isTemplateParam(PARAM_ROLES.pipeline, 'inputs')).toBe(true);
    expect(isTemplateParam(PARAM_ROLES.pipeline, 'params')).toBe(true);
    expect(isTemplateParam(PARAM_ROLES.pipeline, 'pipeline')).toBe(false);
    const result = compile(subStep({ pipeline: 'p' }, { retry: { max_attempts: 2 } }));
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'ignored_setting',
        message: expect.stringContaining('child workflow'),
      }),
    ]);
  });

  test("a later step may read the child's outputs, executionId and version; other fields are unknown", () => {
    const doc = (expr: string) => ({
      steps: [
        { id: 'sub', action: 'pipeline', params: { pipeline: 'p' } },
        { id: 'use', action: 'transform', params: { expression: expr } },
      ],
    });
    expect(compile(doc('steps.sub.output.outputs.text')).ok).toBe(true);
    expect(compile(doc('steps.sub.output.executionId + string(steps.sub.output.version)')).ok).toBe(true);
    expect(issuesOf(doc('steps.sub.output.result')).map((i) => i.code)).toEqual(['unknown_field']);
  });

  test('the builder writes pipeline steps and reads their fields', () => {
    const p = new PipelineBuilder('parent');
    const doc = p.add({ name: 'doc' }).input({ inputType: 'string' });
    const sub = p.add({ name: 'sub' }).subPipeline<{ text: string }>({
      pipeline: 'summarize',
      version: 2,
      inputs: { text: doc.value },
      params: { tone: 'dry' },
    });
    p.add({ name: 'out' }).output({ value: { text: sub.outputs.at('text'), child: sub.executionId } });
    const steps = p.definition.steps;
    expect(steps[1]).toEqual({
      id: 'sub',
      action: 'pipeline',
      params: {
        pipeline: 'summarize',
        version: 2,
        inputs: { text: '{{ steps.doc.output.value }}' },
        params: { tone: 'dry' },
      },
    });
    expect(steps[2]!.params).toEqual({
      value: { text: '{{ steps.sub.output.outputs.text }}', child: '{{ steps.sub.output.executionId }}' },
    });
    expect(compileOrThrow(p.definition).nodes.find((n) => n.id === 'out')!.dependsOn).toEqual(['sub']);
  });
});
