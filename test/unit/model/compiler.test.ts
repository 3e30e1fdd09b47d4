import { z } from 'zod';
import { defineAction, actionsByName } from '../../../src/model/kinds/actions';
import { compile, compileOrThrow, type CompileOptions } from '../../../src/model/compiler/compiler';
import { PipelineValidationError } from '../../../src/model/definition/errors';
import type { ExecutionPlan, PlanNode, PlanNodeFields } from '../../../src/model/plan/plan';
import type { PipelineIssue, PipelineIssueCode } from '../../../src/model/definition/issues';

const plan = (doc: unknown, options?: CompileOptions): ExecutionPlan => compileOrThrow(doc, options);
const node = (p: ExecutionPlan, id: string): PlanNode => {
  const found = p.nodes.find((n) => n.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
};
const issuesOf = (doc: unknown, options?: CompileOptions): PipelineIssue[] => {
  const result = compile(doc, options);
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.issues;
};
const log = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  action: 'log',
  params: { message: id },
  ...extra,
});

const chargeCard = defineAction({
  name: 'charge_card',
  params: z.object({ to: z.string(), amount: z.number().positive() }),
  outputs: ['receipt'],
  run: (p) => Promise.resolve({ receipt: `paid ${p.amount}` }),
});
const actions = actionsByName([chargeCard]);

describe('every issue code comes from a real failing document', () => {
  const cases: Record<
    Exclude<
      PipelineIssueCode,
      | 'ignored_setting'
      | 'missing_param'
      | 'missing_input'
      | 'invalid_type'
      | 'unsaved_changes'
      | 'too_large'
      // Schedules' codes (src/client/scheduleSpec.ts), never the compiler's.
      | 'invalid_cron'
      | 'invalid_schedule'
    >,
    [unknown, Partial<PipelineIssue>, CompileOptions?]
  > = {
    invalid_document: [
      { steps: [{ id: 'a', action: 'log', params: { message: 'x' }, dependsOn: ['b'] }] },
      {
        path: ['steps', 0, 'dependsOn'],
        stepId: 'a',
        message: expect.stringContaining("Did you mean 'depends_on'"),
      },
    ],
    duplicate_id: [{ steps: [log('a'), log('a')] }, { path: ['steps', 1, 'id'], stepId: 'a' }],
    unknown_action: [
      { steps: [{ id: 'a', action: 'lllm', params: {} }] },
      {
        path: ['steps', 0, 'action'],
        stepId: 'a',
        message: expect.stringMatching(/Did you mean 'llm'.*defineAction/),
      },
    ],
    invalid_params: [
      { steps: [{ id: 'l', action: 'llm', params: { model: 'gpt', prompt: 'hi', temperature: 9 } }] },
      { path: ['steps', 0, 'params', 'temperature'], stepId: 'l' },
    ],
    unknown_step: [
      { steps: [log('a', { params: { message: '{{ steps.nope.output }}' } })] },
      { path: ['steps', 0, 'params', 'message'], stepId: 'a', message: expect.stringContaining("'nope'") },
    ],
    unknown_field: [
      { steps: [log('a'), log('b', { condition: "steps.a.outptu == 'x'" })] },
      {
        path: ['steps', 1, 'condition'],
        stepId: 'b',
        message: expect.stringContaining("Did you mean 'output'"),
      },
    ],
    unknown_param: [
      { params: { env: { type: 'string' } }, steps: [log('a', { condition: "params.enn == 'prod'" })] },
      { path: ['steps', 0, 'condition'], message: expect.stringContaining("Did you mean 'env'") },
    ],
    unknown_input: [
      { steps: [{ id: 'q', action: 'input' }, log('a', { params: { message: '{{ inputs.qq }}' } })] },
      { path: ['steps', 1, 'params', 'message'], stepId: 'a', message: expect.stringContaining("'q'") },
    ],
    unknown_variable: [
      {
        steps: [
          { id: 'c', action: 'condition', params: { condition: 'value > 100', on_true: 'a' } },
          log('a'),
        ],
      },
      { path: ['steps', 0, 'params', 'condition'], stepId: 'c' },
    ],
    cycle: [
      {
        steps: [
          log('a', { depends_on: ['c'] }),
          log('b', { depends_on: ['a'] }),
          log('c', { depends_on: ['b'] }),
        ],
      },
      { path: ['steps', 0], stepId: 'a', message: expect.stringContaining('a → c → b → a') },
    ],
    self_dependency: [
      { steps: [log('a', { depends_on: ['a'] })] },
      { path: ['steps', 0, 'depends_on', 0], stepId: 'a' },
    ],
    invalid_branch_target: [
      {
        steps: [
          { id: 'c', action: 'condition', params: { condition: 'true', on_true: ['a', 'ghost'] } },
          log('a'),
        ],
      },
      { path: ['steps', 0, 'params', 'on_true', 1], stepId: 'c' },
    ],
    invalid_template: [
      { steps: [log('a', { params: { message: 'hi {{ steps.' } })] },
      { path: ['steps', 0, 'params', 'message'], stepId: 'a' },
    ],
    invalid_expression: [
      { steps: [{ id: 't', action: 'transform', params: { expression: "''.constructor" } }] },
      { path: ['steps', 0, 'params', 'expression'], stepId: 't' },
    ],
    invalid_secret_reference: [
      {
        steps: [
          {
            id: 'c',
            action: 'api_call',
            params: { url: 'https://x.test', headers: { a: '{{ "Bearer " + secrets.T }}' } },
          },
        ],
      },
      { path: ['steps', 0, 'params', 'headers', 'a'], stepId: 'c' },
    ],
    invalid_retry: [
      {
        steps: [
          {
            id: 'c',
            action: 'api_call',
            params: { url: 'https://x.test' },
            retry: { initial_interval: '10s', max_interval: '1s' },
          },
        ],
      },
      { path: ['steps', 0, 'retry', 'max_interval'], stepId: 'c' },
    ],
    invalid_budget: [
      {
        steps: [{ id: 'l', action: 'llm', params: { prompt: 'hi' }, budget: { max_tokens: 0 } }],
      },
      {
        path: ['steps', 0, 'budget', 'max_tokens'],
        stepId: 'l',
        message: 'max_tokens must be greater than 0',
      },
    ],
    duplicate_name: [
      {
        steps: [
          { id: 'o1', action: 'output', params: { value: 1, name: 'result' } },
          { id: 'o2', action: 'output', params: { value: 2, name: 'result' } },
        ],
      },
      { path: ['steps', 1, 'params', 'name'], stepId: 'o2' },
    ],
  };
  test.each(Object.entries(cases))('%s', (code, [doc, expected, options]) => {
    expect(issuesOf(doc, options)).toContainEqual(expect.objectContaining({ code, ...expected }));
  });
});

describe('collecting issues', () => {
  test('reports every problem at once, in document order, and one bad step does not hide the others', () => {
    const issues = issuesOf({
      steps: [
        { id: 'a', action: 'log', params: { message: 'x' }, bogus: true },
        { id: 'b', action: 'lllm' },
        log('c', { depends_on: ['zzz'] }),
        log('d', { params: { message: '{{ steps.a.output.x }} {{ steps.q.output }}' } }),
      ],
    });
    expect(issues.map((i) => [i.code, i.stepId])).toEqual([
      ['invalid_document', 'a'],
      ['unknown_action', 'b'],
      ['unknown_step', 'c'],
      ['unknown_step', 'd'],
    ]);
  });

  test('document-level shape issues', () => {
    expect(issuesOf({ steps: [] })).toEqual([
      expect.objectContaining({ code: 'invalid_document', path: ['steps'] }),
    ]);
    expect(issuesOf('nope')).toEqual([expect.objectContaining({ code: 'invalid_document', path: [] })]);
    expect(issuesOf({ stepz: [] })).toContainEqual(
      expect.objectContaining({ path: ['stepz'], message: expect.stringContaining("'steps'") }),
    );
  });

  test('a param default of the wrong type is reported', () => {
    expect(issuesOf({ params: { n: { type: 'integer', default: 1.5 } }, steps: [log('a')] })).toEqual([
      expect.objectContaining({ code: 'invalid_document', path: ['params', 'n', 'default'] }),
    ]);
  });

  test('compileOrThrow throws a PipelineValidationError listing issues as path: message', () => {
    let error: unknown;
    try {
      compileOrThrow({
        steps: [{ id: 'a', action: 'llm', params: { model: 'm' } }, log('b', { depends_on: ['x'] })],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PipelineValidationError);
    const e = error as PipelineValidationError;
    expect(e.code).toBe('validation_error');
    expect(e.issues).toHaveLength(2);
    expect(e.message).toContain('steps[0].params: an llm step needs a prompt or messages');
    expect(e.message).toContain("steps[1].depends_on[0]: Unknown step 'x'");
  });

  test('PipelineValidationError is recognised across module copies via its brand', () => {
    const foreign = Object.assign(new Error('x'), {});
    Object.defineProperty(foreign, Symbol.for('temporal-pipelines.error'), { value: 'validation_error' });
    expect(foreign).toBeInstanceOf(PipelineValidationError);
    expect(new Error('plain')).not.toBeInstanceOf(PipelineValidationError);
  });
});

describe('params against the kind schema', () => {
  test('template strings are not checked statically where a number or enum is expected', () => {
    const p = plan({
      params: { temp: { type: 'number', default: 0.2 } },
      steps: [
        {
          id: 'l',
          action: 'llm',
          params: {
            model: 'm',
            prompt: 'p',
            temperature: '{{ params.temp }}',
            max_tokens: '{{ params.temp }}',
          },
        },
        {
          id: 'c',
          action: 'api_call',
          params: { url: '{{ steps.l.output.response }}', method: '{{ "POST" }}' },
        },
      ],
    });
    expect(node(p, 'l').params.temperature).toBe('{{ params.temp }}');
  });

  test('literal values are checked, with suggestions for unknown keys', () => {
    const issues = issuesOf({
      steps: [{ id: 'c', action: 'api_call', params: { url: 'ftp://x', metod: 'POST', method: 'FETCH' } }],
    });
    expect(issues.map((i) => i.path)).toEqual([
      ['steps', 0, 'params', 'url'],
      ['steps', 0, 'params', 'method'],
      ['steps', 0, 'params', 'metod'],
    ]);
    expect(issues[2]!.message).toContain("Did you mean 'method'");
  });

  test('kind cross-field rules: notification needs url or channel; transform needs exactly one of expression/value', () => {
    expect(issuesOf({ steps: [{ id: 'n', action: 'notification', params: { message: 'x' } }] })).toEqual([
      expect.objectContaining({
        code: 'invalid_params',
        message: expect.stringContaining('url or a channel'),
      }),
    ]);
    expect(
      issuesOf({ steps: [{ id: 't', action: 'transform', params: { expression: '1', value: 2 } }] }),
    ).toEqual([
      expect.objectContaining({ code: 'invalid_params', message: expect.stringContaining('exactly one') }),
    ]);
  });

  test("an input's default must match its type", () => {
    expect(
      issuesOf({ steps: [{ id: 'n', action: 'input', params: { type: 'integer', default: 'seven' } }] }),
    ).toEqual([expect.objectContaining({ code: 'invalid_params', path: ['steps', 0, 'params', 'default'] })]);
  });

  test("a user action's params are checked against its schema (template fields skipped)", () => {
    expect(
      issuesOf(
        { steps: [{ id: 'pay', action: 'charge_card', params: { to: 'bob', amount: -1 } }] },
        { actions },
      ),
    ).toEqual([
      expect.objectContaining({
        code: 'invalid_params',
        path: ['steps', 0, 'params', 'amount'],
        stepId: 'pay',
      }),
    ]);
    const p = plan(
      {
        params: { n: { type: 'number' } },
        steps: [{ id: 'pay', action: 'charge_card', params: { to: 'bob', amount: '{{ params.n }}' } }],
      },
      { actions },
    );
    expect(node(p, 'pay')).toMatchObject({
      kind: 'action',
      action: 'charge_card',
      execution: 'activity',
      timeoutMs: 300_000,
    });
  });

  test("a user action's declared outputs are checked", () => {
    const issues = issuesOf(
      {
        steps: [
          { id: 'pay', action: 'charge_card', params: { to: 'b', amount: 1 } },
          log('l', { params: { message: '{{ steps.pay.output.reciept }}' } }),
        ],
      },
      { actions },
    );
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'unknown_field',
        message: expect.stringContaining("Did you mean 'receipt'"),
      }),
    ]);
  });
});

describe('references', () => {
  test('self-reference in a template is a self_dependency', () => {
    expect(issuesOf({ steps: [log('a', { params: { message: '{{ steps.a.output }}' } })] })).toEqual([
      expect.objectContaining({ code: 'self_dependency', path: ['steps', 0, 'params', 'message'] }),
    ]);
  });

  test('undeclared params are fine when the document declares none', () => {
    expect(compile({ steps: [log('a', { condition: "params.anything == 'x'" })] }).ok).toBe(true);
  });

  test('secrets are only allowed in I/O steps, and only as bare templates', () => {
    expect(issuesOf({ steps: [log('a', { params: { message: 'key={{ secrets.K }}' } })] })).toEqual([
      expect.objectContaining({ code: 'invalid_secret_reference', path: ['steps', 0, 'params', 'message'] }),
    ]);
    expect(issuesOf({ steps: [log('a', { condition: "secrets.K == 'x'" })] })).toEqual([
      expect.objectContaining({ code: 'invalid_secret_reference', path: ['steps', 0, 'condition'] }),
    ]);
    const p = plan({
      steps: [
        {
          id: 'c',
          action: 'api_call',
          params: { url: 'https://x.test', headers: { authorization: 'Bearer {{ secrets.TOKEN }}' } },
        },
      ],
    });
    expect(node(p, 'c').params.headers).toEqual({ authorization: 'Bearer {{ secrets.TOKEN }}' });
  });

  test('the plan lists the secrets the definition names, map item steps included; none → no field', () => {
    const p = plan({
      steps: [
        {
          id: 'c',
          action: 'api_call',
          params: {
            url: 'https://x.test/{{ secrets.ZED }}',
            headers: { a: '{{ secrets.TOKEN }}', b: '{{ secrets.TOKEN }}' },
          },
        },
        {
          id: 'each',
          action: 'map',
          params: {
            items: [1, 2],
            step: {
              action: 'api_call',
              params: { url: 'https://x.test', headers: { k: '{{ secrets.ITEM_KEY }}' } },
            },
          },
        },
      ],
    });
    expect(p.secrets).toEqual(['ITEM_KEY', 'TOKEN', 'ZED']);
    expect(plan({ steps: [log('a', { params: { message: 'hi' } })] })).not.toHaveProperty('secrets');
  });

  test('a condition must yield a bool', () => {
    expect(issuesOf({ steps: [log('a', { condition: '1 + 1' })] })).toEqual([
      expect.objectContaining({ code: 'invalid_expression', message: expect.stringContaining('yields int') }),
    ]);
  });

  test('expression problems inside templates are invalid_template', () => {
    expect(issuesOf({ steps: [log('a', { params: { message: "x {{ ''.constructor }}" } })] })).toEqual([
      expect.objectContaining({ code: 'invalid_template' }),
    ]);
  });

  test('branch targets: itself, and both branches at once', () => {
    const issues = issuesOf({
      steps: [
        { id: 'c', action: 'condition', params: { condition: 'true', on_true: ['c', 'a'], on_false: 'a' } },
        log('a'),
      ],
    });
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['invalid_branch_target', ['steps', 0, 'params', 'on_true', 0]],
      ['invalid_branch_target', ['steps', 0, 'params', 'on_false']],
    ]);
  });
});

describe('the plan', () => {
  const budai = {
    name: 'Resilient Deployment',
    steps: [
      {
        id: 'health_check',
        action: 'api_call',
        params: { url: 'https://c.test/health' },
        retry: { max_attempts: 5, backoff_multiplier: 3 },
      },
      {
        id: 'deploy',
        action: 'api_call',
        params: {
          url: 'https://c.test/deploy',
          method: 'POST',
          body: { model: ' {{ steps.health_check.output.body.model }} ' },
        },
        depends_on: ['health_check'],
        condition: 'steps.health_check.output.status == 200',
        timeout: '2m',
      },
      {
        id: 'notify_failure',
        action: 'notification',
        params: { message: 'Deployment failed', channel: 'slack' },
        condition: "steps.deploy.status == 'failed'",
      },
    ],
  };

  test('a BudAI document compiles unchanged: dependencies inferred, triggers detected', () => {
    const p = plan(budai);
    expect(p).toMatchObject({ planVersion: 1, name: 'Resilient Deployment', failFast: false, params: {} });
    expect(p.nodes.map((n) => [n.id, n.dependsOn, n.trigger])).toEqual([
      ['health_check', [], 'all_completed'],
      ['deploy', ['health_check'], 'all_completed'],
      ['notify_failure', ['deploy'], 'all_terminal'],
    ]);
    expect(node(p, 'deploy').condition).toBe('steps.health_check.output.status == 200');
  });

  test('I/O nodes get retry policies and timeouts with defaults; kind defaults are applied to params', () => {
    const p = plan(budai);
    expect((node(p, 'health_check') as PlanNodeFields).retry).toEqual({
      maximumAttempts: 5,
      initialIntervalMs: 1000,
      backoffCoefficient: 3,
      maximumIntervalMs: 100_000,
      nonRetryableErrorTypes: [
        'BadRequest',
        'Unauthorized',
        'ResponseTooLarge',
        'OutputTooLarge',
        'NodeConfigError',
        'InvalidActionParams',
        'SecretNotFound',
        'EgressDenied',
      ],
    });
    expect((node(p, 'health_check') as PlanNodeFields).timeoutMs).toBe(30_000);
    expect((node(p, 'deploy') as PlanNodeFields).timeoutMs).toBe(120_000);
    expect(node(p, 'health_check').params).toEqual({
      url: 'https://c.test/health',
      method: 'GET',
      body_type: 'json',
      max_response_bytes: 1_048_576,
    });
    expect(node(p, 'deploy').params.method).toBe('POST');
    const llm = plan({
      steps: [
        {
          id: 'l',
          action: 'llm',
          params: { model: 'm', prompt: 'p' },
          retry: { non_retryable_errors: ['RateLimited', 'BadRequest'], initial_interval: 2 },
        },
      ],
    });
    expect(node(llm, 'l')).toMatchObject({
      timeoutMs: 120_000,
      params: { provider: 'openai' },
      retry: {
        maximumAttempts: 3,
        initialIntervalMs: 2000,
        maximumIntervalMs: 200_000,
        nonRetryableErrorTypes: [
          'RateLimited',
          'BadRequest',
          'Unauthorized',
          'ResponseTooLarge',
          'OutputTooLarge',
          'NodeConfigError',
          'InvalidActionParams',
          'SecretNotFound',
          'EgressDenied',
        ],
      },
    });
  });

  test('inline and timer nodes carry no retry or timeout; setting them is a warning, not an error', () => {
    const result = compile({
      steps: [
        log('a', { retry: { max_attempts: 2 }, timeout: '1s' }),
        { id: 'w', action: 'delay', params: { duration: '1s' } },
      ],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan.nodes.map((n: PlanNodeFields) => [n.execution, n.retry, n.timeoutMs])).toEqual([
      ['inline', undefined, undefined],
      ['timer', undefined, undefined],
    ]);
    expect(result.warnings.map((w) => [w.code, w.path])).toEqual([
      ['ignored_setting', ['steps', 0, 'retry']],
      ['ignored_setting', ['steps', 0, 'timeout']],
    ]);
  });

  test('nodes are in topological order with ties in document order', () => {
    const p = plan({
      steps: [
        log('report', { params: { message: '{{ steps.sum.output }}' } }),
        { id: 'sum', action: 'transform', params: { expression: 'steps.x.output + steps.y.output' } },
        { id: 'y', action: 'transform', params: { expression: '2' } },
        { id: 'x', action: 'transform', params: { expression: '1' } },
        log('independent'),
      ],
    });
    expect(p.nodes.map((n) => n.id)).toEqual(['y', 'x', 'sum', 'report', 'independent']);
    expect(node(p, 'sum').dependsOn).toEqual(['x', 'y']);
  });

  test('dependencies are depends_on ∪ template and condition references, sorted and de-duplicated', () => {
    const p = plan({
      steps: [
        log('a'),
        log('b'),
        log('c'),
        log('d', {
          depends_on: ['c', 'a'],
          params: { message: '{{ steps.b.output.message }} {{ steps.a.status }}' },
          condition: 'steps.c.attempts > 0',
        }),
      ],
    });
    expect(node(p, 'd')).toMatchObject({ dependsOn: ['a', 'b', 'c'], trigger: 'all_completed' });
  });

  test('a condition reading .error (or a condition node reading .status) makes the trigger all_terminal', () => {
    const p = plan({
      steps: [
        { id: 'call', action: 'api_call', params: { url: 'https://x.test' }, allow_failure: true },
        log('on_error', { condition: 'steps.call.error != null' }),
        {
          id: 'failed',
          action: 'condition',
          params: { condition: "steps.call.status == 'failed'", on_true: 'rollback' },
        },
        log('rollback'),
        log('uses_status_in_template', { params: { message: '{{ steps.call.status }}' } }),
      ],
    });
    expect(node(p, 'on_error').trigger).toBe('all_terminal');
    expect(node(p, 'failed').trigger).toBe('all_terminal');
    expect(node(p, 'uses_status_in_template').trigger).toBe('all_completed');
    expect(node(p, 'call').allowFailure).toBe(true);
  });

  test('on_true / on_false targets depend on their condition node and get gates', () => {
    const p = plan({
      steps: [
        { id: 'n', action: 'input', params: { type: 'integer' } },
        {
          id: 'big',
          action: 'condition',
          params: { condition: 'steps.n.output.value > 100', on_true: 'path_a', on_false: ['path_b'] },
        },
        { id: 'path_a', action: 'transform', params: { value: 'A' } },
        { id: 'path_b', action: 'transform', params: { value: 'B' } },
      ],
    });
    expect(node(p, 'path_a')).toMatchObject({ dependsOn: ['big'], gates: [{ nodeId: 'big', when: true }] });
    expect(node(p, 'path_b')).toMatchObject({ dependsOn: ['big'], gates: [{ nodeId: 'big', when: false }] });
    expect(node(p, 'big').gates).toEqual([]);
    expect(p.nodes.map((x) => x.id)).toEqual(['n', 'big', 'path_a', 'path_b']);
  });

  test('a branch back to an ancestor of the condition is a cycle', () => {
    const issues = issuesOf({
      steps: [
        log('a'),
        {
          id: 'c',
          action: 'condition',
          params: { condition: "steps.a.status == 'completed'", on_true: 'a' },
        },
      ],
    });
    expect(issues).toEqual([
      expect.objectContaining({ code: 'cycle', message: expect.stringContaining('a → c → a') }),
    ]);
  });

  test('input and output names default to the step id', () => {
    const p = plan({
      steps: [
        { id: 'q', action: 'input', params: { type: 'string' } },
        { id: 'named', action: 'input', params: { name: 'question2', required: false } },
        { id: 'out', action: 'output', params: { value: '{{ inputs.q }} {{ inputs.question2 }}' } },
        { id: 'out2', action: 'output', params: { value: 1, name: 'answer' } },
      ],
    });
    expect(p.nodes.map((n: PlanNodeFields) => [n.id, n.inputName, n.outputName])).toEqual([
      ['q', 'q', undefined],
      ['named', 'question2', undefined],
      ['out', undefined, 'out'],
      ['out2', undefined, 'answer'],
    ]);
    expect(node(p, 'q').params).toEqual({ type: 'string', required: true });
    // Reading inputs.x depends on the input node that provides it.
    expect(node(p, 'out').dependsOn).toEqual(['named', 'q']);
  });

  test('the plan is plain JSON and its hash ignores key order but not content', () => {
    const p = plan(budai);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    expect(p.definitionHash).toMatch(/^[0-9a-f]{64}$/);
    const reordered = {
      steps: budai.steps.map((s) => Object.fromEntries(Object.entries(s).reverse())),
      name: budai.name,
    };
    expect(plan(reordered).definitionHash).toBe(p.definitionHash);
    expect(plan({ ...budai, name: 'other' }).definitionHash).not.toBe(p.definitionHash);
  });

  test('name defaults to "unnamed"; description, fail_fast and params are carried', () => {
    const p = plan({
      description: 'd',
      fail_fast: true,
      params: { n: { type: 'integer', default: 1 } },
      steps: [log('a')],
    });
    expect(p).toMatchObject({
      name: 'unnamed',
      description: 'd',
      failFast: true,
      params: { n: { type: 'integer', default: 1 } },
    });
  });

  test('a 1,000-step chain compiles quickly', () => {
    const steps = Array.from({ length: 1000 }, (_, i) =>
      i === 0
        ? { id: 's0', action: 'transform', params: { expression: '0' } }
        : { id: `s${i}`, action: 'transform', params: { expression: `steps.s${i - 1}.output + 1` } },
    );
    const started = performance.now();
    const p = plan({ steps: [...steps].reverse() });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(p.nodes[0]!.id).toBe('s0');
    expect(p.nodes[999]!.id).toBe('s999');
  });
});

test('an llm step may leave model to the provider default configured on the worker', () => {
  const result = compile({
    steps: [{ id: 'l', action: 'llm', params: { provider: 'local', prompt: 'hi' } }],
  });
  expect(result.ok).toBe(true);
  const missingPrompt = compile({ steps: [{ id: 'l', action: 'llm', params: { model: 'm' } }] });
  expect(missingPrompt.ok).toBe(false);
});
