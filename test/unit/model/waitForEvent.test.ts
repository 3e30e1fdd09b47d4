/**
 * `wait_for_event` in the model: payloads against their schema, and what the compiler checks
 * (the schema itself, timeout / on_timeout / default, the output's fields) before a run starts.
 */
import { compile, compileOrThrow } from '../../../src/model/compiler/compiler';
import {
  APPROVAL_SCHEMA,
  checkEventPayload,
  type EventSchema,
} from '../../../src/model/definition/eventSchema';
import { PipelineBuilder, template } from '../../../src/model/builder/builder';
import type { PipelineIssue } from '../../../src/model/definition/issues';
import { packPlan, unpackPlan } from '../../../src/model/plan/planWire';
import { KIND_DEFAULTS } from '../../../src/model/kinds/catalog';

const issuesOf = (doc: unknown): PipelineIssue[] => {
  const result = compile(doc);
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
};
const waitStep = (params: Record<string, unknown>) => ({
  steps: [{ id: 'approve', action: 'wait_for_event', params }],
});

describe('checkEventPayload', () => {
  const order: EventSchema = {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      lines: {
        type: 'array',
        items: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] },
      },
    },
    required: ['id'],
  };

  test('a payload that fits has no issues; fields outside properties are allowed', () => {
    expect(checkEventPayload(APPROVAL_SCHEMA, { approved: true })).toEqual([]);
    expect(checkEventPayload(APPROVAL_SCHEMA, { approved: false, comment: 'no', extra: 1 })).toEqual([]);
    expect(checkEventPayload(order, { id: 7, lines: [{ sku: 'a' }, { sku: 'b', qty: 2 }] })).toEqual([]);
    expect(checkEventPayload({ type: 'any' }, 'anything')).toEqual([]);
  });

  test('each issue names the field by its path inside the payload', () => {
    expect(checkEventPayload(APPROVAL_SCHEMA, { approved: 'yes' })).toEqual([
      { path: ['approved'], message: 'payload.approved must be a boolean, got a string' },
    ]);
    expect(checkEventPayload(APPROVAL_SCHEMA, { comment: 'hm' })).toEqual([
      { path: ['approved'], message: 'payload.approved is required' },
    ]);
    expect(checkEventPayload(APPROVAL_SCHEMA, { approved: null })).toEqual([
      { path: ['approved'], message: 'payload.approved is required' },
    ]);
    expect(checkEventPayload(APPROVAL_SCHEMA, true)).toEqual([
      { path: [], message: 'payload must be an object, got a boolean' },
    ]);
    expect(checkEventPayload(order, { id: 1.5, lines: [{ sku: 3 }, {}] })).toEqual([
      { path: ['id'], message: 'payload.id must be an integer, got the number 1.5' },
      { path: ['lines', 0, 'sku'], message: 'payload.lines[0].sku must be a string, got the integer 3' },
      { path: ['lines', 1, 'sku'], message: 'payload.lines[1].sku is required' },
    ]);
  });
});

describe('compiling wait_for_event', () => {
  test('a valid step plans as an event step; its params are kept as written', () => {
    const plan = compileOrThrow(
      waitStep({
        event: 'approval',
        prompt: 'Publish it?',
        schema: APPROVAL_SCHEMA,
        timeout: '3d',
        on_timeout: 'default',
        default: { approved: false, comment: 'no answer' },
      }),
    );
    const node = plan.nodes[0]!;
    expect(node).toMatchObject({ kind: 'wait_for_event', execution: 'event', params: { timeout: '3d' } });
    expect(node).not.toHaveProperty('retry');
    expect(node).not.toHaveProperty('timeoutMs');
    expect(unpackPlan(packPlan(plan, KIND_DEFAULTS))).toEqual(plan);
    expect(compile(waitStep({})).ok).toBe(true);
  });

  test('the schema itself is checked, with issues at their paths', () => {
    const issues = issuesOf(
      waitStep({
        schema: {
          type: 'object',
          properties: { approved: { type: 'bool' }, tags: { type: 'string', items: { type: 'string' } } },
          required: ['approved', 'who'],
        },
      }),
    );
    const at = issues.map((i) => [i.code, i.path.join('.')]);
    expect(at).toEqual(
      expect.arrayContaining([
        ['invalid_params', 'steps.0.params.schema.properties.approved.type'],
        ['invalid_params', 'steps.0.params.schema.properties.tags.items'],
      ]),
    );
    // `required` naming a field that is not in properties.
    const missing = issuesOf(
      waitStep({ schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['b'] } }),
    );
    expect(missing).toEqual([
      expect.objectContaining({
        code: 'invalid_params',
        path: ['steps', 0, 'params', 'schema', 'required', 0],
        message: expect.stringContaining("required field 'b' is not in properties"),
        stepId: 'approve',
      }),
    ]);
    expect(issuesOf(waitStep({ schema: { type: 'string', required: ['x'] } }))[0]!.message).toMatch(
      /applies only to type 'object'/,
    );
  });

  test('timeout, on_timeout and default must agree; the default must fit the schema', () => {
    const messages = (params: Record<string, unknown>) =>
      issuesOf(waitStep(params)).map((i) => `${i.path.slice(3).join('.')}: ${i.message}`);
    expect(messages({ timeout: '0s' })).toEqual(['timeout: timeout must be longer than 0']);
    expect(messages({ on_timeout: 'fail' })).toEqual([
      'on_timeout: on_timeout applies only with a timeout (without one the step waits until an event arrives)',
    ]);
    expect(messages({ timeout: '1h', on_timeout: 'default' })).toEqual([
      "default: on_timeout: 'default' needs a default payload",
    ]);
    expect(messages({ timeout: '1h', default: 1 })).toEqual([
      "default: default is used only with on_timeout: 'default'",
    ]);
    expect(
      messages({
        schema: APPROVAL_SCHEMA,
        timeout: '1h',
        on_timeout: 'default',
        default: { approved: 'no' },
      }),
    ).toEqual([
      'default.approved: the default does not fit the schema: default.approved must be a boolean, got a string',
    ]);
    expect(messages({ timeout: '1h', on_timeout: 'later' })[0]).toMatch(/^on_timeout: /);
  });

  test('a templated default is checked when the step times out, not before', () => {
    const doc = {
      params: { fallback: { type: 'boolean', default: false } },
      steps: [
        {
          id: 'approve',
          action: 'wait_for_event',
          params: {
            schema: APPROVAL_SCHEMA,
            timeout: '1h',
            on_timeout: 'default',
            default: { approved: '{{ params.fallback }}' },
          },
        },
      ],
    };
    expect(compile(doc).ok).toBe(true);
  });

  test("references to the step's output are checked against its fields", () => {
    const doc = (field: string) => ({
      steps: [
        { id: 'approve', action: 'wait_for_event', params: { schema: APPROVAL_SCHEMA } },
        { id: 'go', action: 'log', params: { message: 'ok' }, condition: `steps.approve.output.${field}` },
      ],
    });
    expect(compile(doc('payload.approved')).ok).toBe(true);
    expect(compile(doc('timedOut')).ok).toBe(true);
    expect(issuesOf(doc('aproved'))[0]).toMatchObject({
      code: 'unknown_field',
      message: expect.stringContaining('payload, timedOut, receivedAt, by'),
    });
  });

  test('a step timeout or retry is ignored with a warning that points at params.timeout', () => {
    const result = compile({
      steps: [{ id: 'approve', action: 'wait_for_event', timeout: '1h', params: {} }],
    });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'ignored_setting',
        message: expect.stringContaining('set params.timeout for how long to wait'),
      }),
    ]);
  });

  test('the builder writes wait_for_event steps; approval() fixes the schema and reads the decision', () => {
    const p = new PipelineBuilder('approval');
    const draft = p.add({ name: 'draft' }).llm({ prompt: 'Write a haiku' });
    const approve = p.add({ name: 'approve' }).approval({
      prompt: template`Publish this? ${draft.response}`,
      timeout: '2d',
      onTimeout: 'default',
      default: { approved: false, comment: 'nobody answered' },
    });
    p.add({ name: 'publish', condition: approve.approved }).log({ message: draft.response });
    const score = p.add({ name: 'score' }).waitForEvent<{ n: number }>({ event: 'score' });
    p.add({ name: 'out' }).output({ value: { n: score.payload.at('n'), by: approve.by } });
    const steps = p.definition.steps;
    expect(steps[1]).toEqual({
      id: 'approve',
      action: 'wait_for_event',
      params: {
        event: 'approval',
        prompt: 'Publish this? {{ steps.draft.output.response }}',
        schema: APPROVAL_SCHEMA,
        timeout: '2d',
        on_timeout: 'default',
        default: { approved: false, comment: 'nobody answered' },
      },
    });
    expect(steps[2]!.condition).toBe('steps.approve.output.payload.approved');
    expect(steps[4]!.params).toEqual({
      value: { n: '{{ steps.score.output.payload.n }}', by: '{{ steps.approve.output.by }}' },
    });
    const plan = compileOrThrow(p.definition);
    expect(plan.nodes.find((n) => n.id === 'publish')!.dependsOn).toEqual(['approve', 'draft']);
  });
});
