/**
 * The redactor: every spelling of a resolved secret becomes `[secret:NAME]` in text, values,
 * failures (message, stack, details, causes) and streamed pieces; messages lose URL userinfo and
 * query strings; values under 4 characters are left alone. Also the activity wrapper applying it
 * to results, logs, heartbeats and failures.
 */
/* eslint-disable @typescript-eslint/require-await -- node fns are async by contract */
import { ApplicationFailure } from '@temporalio/common';
import { MIN_REDACTED_LENGTH, Redactor, secretForms, stripUrlSecrets } from '../../../src/activities/guards/redact';
import { wrapNodeActivity } from '../../../src/activities/nodes/wrapNodeActivity';
import { detailsOf, failureOf, mockEnv, nodeInput, runNode } from './support';

const TOKEN = 'tok/9+"x y"=&Z';
const r = new Redactor(new Map([['API_TOKEN', TOKEN]]));
const b64 = Buffer.from(TOKEN).toString('base64');

test('every spelling of the value is replaced: plain, JSON-escaped (once, twice), URL- and form-encoded, base64, base64url', () => {
  const spellings = [
    TOKEN,
    JSON.stringify(TOKEN).slice(1, -1),
    JSON.stringify(JSON.stringify(TOKEN).slice(1, -1)).slice(1, -1),
    encodeURIComponent(TOKEN),
    new URLSearchParams({ k: TOKEN }).toString().slice(2),
    b64,
    b64.replace(/=+$/, ''),
    Buffer.from(TOKEN).toString('base64url'),
  ];
  for (const spelling of spellings) {
    expect(r.text(`a ${spelling} b`)).toBe('a [secret:API_TOKEN] b');
  }
  // A JSON document quoting it, as a server echoing a header would.
  const echoed = JSON.stringify({ headers: { authorization: `Bearer ${TOKEN}` } });
  expect(r.text(echoed)).toBe('{"headers":{"authorization":"Bearer [secret:API_TOKEN]"}}');
});

test(`values under ${MIN_REDACTED_LENGTH} characters are not searched for`, () => {
  expect(secretForms('abc')).toEqual([]);
  const short = new Redactor(new Map([['PIN', 'abc']]));
  expect(short.active).toBe(false);
  expect(short.text('abcdef')).toBe('abcdef');
});

test('messages lose URL userinfo and query strings; other text keeps its URLs', () => {
  expect(stripUrlSecrets('GET https://bob:hunter22@api.test/v1/x?key=k1&b=2 failed')).toBe(
    'GET https://api.test/v1/x failed',
  );
  expect(
    stripUrlSecrets('Request cannot be constructed from a URL that includes credentials: http://u:p@h:8/a'),
  ).toBe('Request cannot be constructed from a URL that includes credentials: http://h:8/a');
  expect(new Redactor().message('see https://docs.test/page#part')).toBe('see https://docs.test/page#part');
  // Values (outputs) keep their URLs: only messages are stripped.
  expect(r.value({ link: 'https://x.test/?page=2' })).toEqual({ link: 'https://x.test/?page=2' });
});

test('values: every string and key, deeply; an untouched value is returned as is', () => {
  const output = { status: 500, body: { echoed: [`x ${TOKEN}`], [TOKEN]: 1 }, n: null };
  expect(r.value(output)).toEqual({
    status: 500,
    body: { echoed: ['x [secret:API_TOKEN]'], '[secret:API_TOKEN]': 1 },
    n: null,
  });
  const clean = { a: ['b', { c: 1 }] };
  expect(r.value(clean)).toBe(clean);
});

test('failures: message, stack, details and the whole cause chain are redacted; type and retryability kept', () => {
  const root = new TypeError(`connect to https://u:${TOKEN}@h.test failed`);
  const middle = new Error(`upstream said ${b64}`, { cause: root });
  const own = ApplicationFailure.create({
    type: 'Declined',
    message: `declined ${TOKEN}`,
    nonRetryable: true,
    details: [{ echo: TOKEN }],
    cause: middle,
  });
  const safe = r.failure(own);
  expect(safe).toMatchObject({
    type: 'Declined',
    nonRetryable: true,
    message: 'declined [secret:API_TOKEN]',
  });
  expect(safe.details).toEqual([{ echo: '[secret:API_TOKEN]' }]);
  expect(safe.cause).toMatchObject({ name: 'Error', message: 'upstream said [secret:API_TOKEN]' });
  expect(safe.cause?.cause).toMatchObject({ name: 'TypeError', message: 'connect to https://h.test failed' });
  const everything = JSON.stringify([
    safe.stack,
    safe.cause?.stack,
    (safe.cause?.cause as Error | undefined)?.stack,
  ]);
  expect(everything).not.toContain(TOKEN);
  expect(everything).not.toContain(b64);
  expect(everything).toContain('[secret:API_TOKEN]');
});

describe('streamed pieces', () => {
  const SECRET = 'sk-live-0123456789';
  const s = new Redactor(new Map([['KEY', SECRET]]));
  const run = (pieces: string[]) => {
    const stream = s.stream();
    const out = pieces.map((p) => stream.push(p));
    return [...out, stream.end()];
  };

  test('a secret split across pieces never reaches the output', () => {
    const out = run(['the key is sk-', 'live-01234', '56789 ok']);
    expect(out.join('')).toBe('the key is [secret:KEY] ok');
    for (const piece of out) expect(piece).not.toContain('sk-live');
  });

  test('a tail that only looked like a secret is sent at the end; the order of text is kept', () => {
    expect(run(['ask sk-', 'li']).join('')).toBe('ask sk-li');
    expect(run(['a', 'b', 'c']).join('')).toBe('abc');
  });

  test('a secret straddling the held tail of another spelling is still caught', () => {
    const forms = new Redactor(
      new Map([
        ['A', 'ABCD'],
        ['B', 'CDEF'],
      ]),
    );
    const stream = forms.stream();
    const out = [stream.push('xABCDE'), stream.push('Z'), stream.end()];
    expect(out.join('')).toBe('x[secret:A]EZ');
    expect(out.join('')).not.toContain('ABCD');
  });
});

describe('the activity wrapper', () => {
  const SECRET = 'pw-0f1e2d3c4b';
  const secrets = (name: string) => (name === 'DB' ? SECRET : undefined);

  test('the result, log records and heartbeats carry the name, never the value', async () => {
    const act = wrapNodeActivity(
      async (input, ctx) => {
        ctx.log.info(`connecting with ${String(input.params.pw)}`, { pw: input.params.pw });
        ctx.heartbeat({ using: input.params.pw });
        return { output: { echoed: input.params.pw } };
      },
      { secrets, heartbeatIntervalMs: 5 },
    );
    const { env, logs, heartbeats } = mockEnv();
    const result = await runNode(env, act, nodeInput({ pw: '{{ secrets.DB }}' }));
    expect(result.output).toEqual({ echoed: '[secret:DB]' });
    expect(result.logs?.[0]?.message).toBe('connecting with [secret:DB]');
    const seen = JSON.stringify({ logs, heartbeats, result });
    expect(seen).not.toContain(SECRET);
    expect(seen).toContain('[secret:DB]');
  });

  test('a failure quoting the secret is redacted in message, stack, details and causes', async () => {
    const act = wrapNodeActivity(
      async (input, ctx) => {
        ctx.log.warn(`retrying with ${String(input.params.pw)}`);
        throw new Error(`login refused for ${String(input.params.pw)}`, {
          cause: new Error(`server said: ${String(input.params.pw)}`),
        });
      },
      { secrets, fallbackCode: 'ActionFailed' },
    );
    const { env, logs } = mockEnv();
    const failure = await failureOf(runNode(env, act, nodeInput({ pw: 'x {{ secrets.DB }}' })));
    expect(failure.message).toBe('login refused for x [secret:DB]');
    expect(detailsOf(failure).logs?.[0]?.message).toBe('retrying with x [secret:DB]');
    const all = JSON.stringify({
      message: failure.message,
      stack: failure.stack,
      details: failure.details,
      cause: [
        failure.cause?.message,
        failure.cause?.stack,
        (failure.cause?.cause as Error | undefined)?.message,
      ],
      logs,
    });
    expect(all).not.toContain(SECRET);
  });
});
