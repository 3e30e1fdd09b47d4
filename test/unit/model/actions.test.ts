import { z } from 'zod';
import { actionsByName, defineAction } from '../../../src/model/kinds/actions';
import { isBuiltinKind, NODE_KINDS } from '../../../src/model/kinds/catalog';
import { BUILTIN_KINDS } from '../../../src/model/plan/plan';

const run = () => Promise.resolve({ ok: true });

describe('defineAction', () => {
  test('returns a frozen definition with its schema, outputs and run', async () => {
    const action = defineAction({
      name: 'send_invoice',
      description: 'Sends one',
      params: z.object({ id: z.string() }),
      outputs: ['ok'],
      run,
    });
    expect(Object.isFrozen(action)).toBe(true);
    expect(Object.isFrozen(action.outputs)).toBe(true);
    expect(action).toMatchObject({ name: 'send_invoice', description: 'Sends one', outputs: ['ok'] });
    expect(action.params.parse({ id: 'x' })).toEqual({ id: 'x' });
    await expect(
      action.run(
        { id: 'x' },
        {
          nodeId: 'n',
          attempt: 1,
          taskId: 't',
          traceId: '0'.repeat(32),
          signal: new AbortController().signal,
          heartbeat: () => undefined,
          log: Object.assign(() => undefined, {
            debug: () => undefined,
            info: () => undefined,
            warn: () => undefined,
            error: () => undefined,
          }),
        },
      ),
    ).resolves.toEqual({ ok: true });
    expect(actionsByName([action])).toEqual({ send_invoice: action });
  });

  test.each(['', '1abc', 'has space', 'a/b', 'x'.repeat(129)])('rejects the name %j', (name) => {
    expect(() => defineAction({ name, params: z.object({}), run })).toThrow(/Invalid action name/);
  });

  test.each(['llm', 'api_call', 'condition'])('rejects the built-in kind name %s', (name) => {
    expect(() => defineAction({ name, params: z.object({}), run })).toThrow(/built-in node kind/);
  });

  test('accepts dotted and dashed names', () => {
    expect(defineAction({ name: 'billing.charge-card', params: z.object({}), run }).name).toBe(
      'billing.charge-card',
    );
  });
});

describe('the node-kind catalog', () => {
  test('describes every built-in kind', () => {
    expect(Object.keys(NODE_KINDS).sort()).toEqual([...BUILTIN_KINDS].sort());
    expect(BUILTIN_KINDS.every(isBuiltinKind)).toBe(true);
    expect(isBuiltinKind('charge_card')).toBe(false);
  });

  test('I/O kinds are activities with default timeouts; pure kinds run inline; delay is a timer; wait_for_event an event wait; pipeline a child run; map a map workflow', () => {
    const byExecution = Object.fromEntries(
      Object.entries(NODE_KINDS).map(([kind, spec]) => [kind, [spec.execution, spec.defaultTimeoutMs]]),
    );
    expect(byExecution).toEqual({
      input: ['inline', undefined],
      output: ['inline', undefined],
      llm: ['activity', 120_000],
      api_call: ['activity', 30_000],
      notification: ['activity', 30_000],
      transform: ['inline', undefined],
      condition: ['inline', undefined],
      log: ['inline', undefined],
      delay: ['timer', undefined],
      wait_for_event: ['event', undefined],
      pipeline: ['child', undefined],
      map: ['map', undefined],
    });
  });

  test('rendered params are validated by the kind schemas', () => {
    expect(
      NODE_KINDS.llm.params.safeParse({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).success,
    ).toBe(true);
    expect(NODE_KINDS.llm.params.safeParse({ model: 'm' }).success).toBe(false);
    expect(NODE_KINDS.condition.params.safeParse({ condition: 'true', on_true: ['a', 'b'] }).success).toBe(
      true,
    );
    expect(NODE_KINDS.condition.params.safeParse({ condition: 'true', on_true: 'not an id!' }).success).toBe(
      false,
    );
    expect(NODE_KINDS.delay.params.safeParse({ duration: '5m' }).success).toBe(true);
    expect(NODE_KINDS.api_call.params.safeParse({ url: 'https://x.test', method: 'TRACE' }).success).toBe(
      false,
    );
  });
});
