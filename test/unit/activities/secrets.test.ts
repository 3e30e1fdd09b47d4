/**
 * The secrets allow-list: `{{ secrets.NAME }}` resolves from the worker's `secrets` option (a
 * record, a sync or an async resolver), else `PIPELINE_SECRET_<NAME>`, and never from any other
 * environment variable; an unknown name is `SecretNotFound` (never retried) naming it.
 */
import { z } from 'zod';
import { createActivities } from '../../../src/activities';
import { NodeActivityError } from '../../../src/activities/nodes/nodeFailures';
import { createSecretLookup, resolveParamSecrets } from '../../../src/activities/guards/secrets';
import { defineAction } from '../../../src/model/kinds/actions';
import { failureOf, mockEnv, nodeInput, runNode } from './support';

const ENV = {
  PIPELINE_ENCRYPTION_KEYS: 'k1:c2VjcmV0LWtleS1tYXRlcmlhbC0wMTIzNDU2Nzg5YWJjZGVm',
  PIPELINE_CALLBACK_SECRET: 'whsec-callback-0001',
  OPENAI_API_KEY: 'sk-openai-0002',
  TEMPORAL_API_KEY: 'tmprl-0003',
  PIPELINE_SECRET_FOO: 'foo-value-0004',
};

test('the environment gives only PIPELINE_SECRET_<NAME>', async () => {
  const lookup = createSecretLookup(undefined, ENV);
  expect(await lookup('FOO')).toBe('foo-value-0004');
  for (const name of [
    'PIPELINE_ENCRYPTION_KEYS',
    'PIPELINE_CALLBACK_SECRET',
    'OPENAI_API_KEY',
    'TEMPORAL_API_KEY',
  ]) {
    expect(await lookup(name)).toBeUndefined();
  }
  expect(await lookup('PIPELINE_SECRET_FOO')).toBeUndefined();
});

test('a name that is not an identifier reads nothing, from the option or the environment', async () => {
  const seen: string[] = [];
  const lookup = createSecretLookup(
    (name) => {
      seen.push(name);
      return 'resolver-value';
    },
    { ...ENV, 'PIPELINE_SECRET_FOO BAR': 'spaced', 'PIPELINE_SECRET_../x': 'dotted' },
  );
  for (const name of ['FOO BAR', '../x', '', 'FOO\n']) expect(await lookup(name)).toBeUndefined();
  expect(seen).toEqual([]);
  expect(await lookup('FOO')).toBe('resolver-value');
});

test('a record is read by own keys only, before the environment', async () => {
  const lookup = createSecretLookup({ FOO: 'from-record', BAR: 'bar-1' }, ENV);
  expect(await lookup('FOO')).toBe('from-record');
  expect(await lookup('BAR')).toBe('bar-1');
  expect(await lookup('constructor')).toBeUndefined();
  expect(await lookup('toString')).toBeUndefined();
});

test('a resolver may be sync or async; undefined falls through to the environment', async () => {
  const sync = createSecretLookup((name) => (name === 'A' ? 'a-sync' : undefined), ENV);
  expect(await sync('A')).toBe('a-sync');
  expect(await sync('FOO')).toBe('foo-value-0004');
  const vault = createSecretLookup(async (name) => {
    await Promise.resolve(); // answers later, as a vault client would
    return name === 'B' ? 'b-async' : undefined;
  }, {});
  expect(await vault('B')).toBe('b-async');
  expect(await vault('C')).toBeUndefined();
});

test('resolution looks each name up once, substitutes every use and keeps escaped braces literal', async () => {
  const asked: string[] = [];
  const { params, used } = await resolveParamSecrets(
    { a: '{{ secrets.X }}', b: ['x={{ secrets.X }};y={{ secrets.Y }}'], c: "{{'{{'}} secrets.X }}" },
    async (name) => {
      asked.push(name);
      return Promise.resolve(`${name.toLowerCase()}-value`);
    },
  );
  expect(asked).toEqual(['X', 'Y']);
  expect(params).toEqual({ a: 'x-value', b: ['x=x-value;y=y-value'], c: '{{ secrets.X }}' });
  expect([...used]).toEqual([
    ['X', 'x-value'],
    ['Y', 'y-value'],
  ]);
});

test('an unknown name is SecretNotFound naming it; a throwing resolver gives no detail of its own', async () => {
  const missing = await resolveParamSecrets({ a: '{{ secrets.NOPE }}' }, () =>
    Promise.resolve(undefined),
  ).catch((err: unknown) => err);
  expect(missing).toBeInstanceOf(NodeActivityError);
  expect(missing).toMatchObject({ code: 'SecretNotFound' });
  expect((missing as Error).message).toContain('"NOPE"');
  expect((missing as Error).message).toContain('PIPELINE_SECRET_NOPE');
  const broken = await resolveParamSecrets({ a: '{{ secrets.V }}' }, () =>
    Promise.reject(new Error('vault answered: token=leaked-value')),
  ).catch((err: unknown) => err);
  expect(broken).toMatchObject({ code: 'SecretNotFound' });
  expect((broken as Error).message).not.toContain('leaked-value');
});

describe('createActivities', () => {
  const echo = defineAction({
    name: 'echo_secret',
    params: z.object({ value: z.string() }),
    run: ({ value }) => Promise.resolve({ length: value.length }),
  });
  const activities = createActivities({ env: ENV, actions: [echo] });

  test.each(['PIPELINE_ENCRYPTION_KEYS', 'PIPELINE_CALLBACK_SECRET', 'OPENAI_API_KEY'])(
    'the worker’s own %s is not a secret a definition can read',
    async (name) => {
      const failure = await failureOf(
        runNode(mockEnv().env, activities.echo_secret!, nodeInput({ value: `{{ secrets.${name} }}` })),
      );
      expect(failure).toMatchObject({ type: 'SecretNotFound', nonRetryable: true });
      expect(failure.message).toContain(`"${name}"`);
      expect(failure.message).not.toContain(ENV[name as keyof typeof ENV]);
    },
  );

  test('PIPELINE_SECRET_FOO resolves {{ secrets.FOO }}', async () => {
    const result = await runNode(
      mockEnv().env,
      activities.echo_secret!,
      nodeInput({ value: '{{ secrets.FOO }}' }),
    );
    expect(result.output).toEqual({ length: ENV.PIPELINE_SECRET_FOO.length });
  });
});
