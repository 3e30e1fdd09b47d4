/**
 * The params a step may write (the compiler's check) and the params the worker parses once
 * templates are rendered come from one definition per kind: the same fields, and the same verdict
 * on literal values, so a step the compiler lets through is never refused by the worker for a rule
 * the compiler did not know (as message roles and content types once were).
 */
import type { z } from 'zod';
import { compile } from '../../../src/model/compiler/compiler';
import { ApiCallParams, RenderedApiCallParams } from '../../../src/model/kinds/apiCall';
import { LlmParams, RenderedLlmParams } from '../../../src/model/kinds/llm';
import { NotificationParams, RenderedNotificationParams } from '../../../src/model/kinds/notification';
import { NODE_KINDS, USER_ACTION_SPEC } from '../../../src/model/kinds/catalog';
import { KIND_EXECUTION } from '../../../src/model/plan/planWire';

type Kind = 'llm' | 'api_call' | 'notification';
const RENDERED: Record<Kind, z.ZodType> = {
  llm: RenderedLlmParams,
  api_call: RenderedApiCallParams,
  notification: RenderedNotificationParams,
};

const compiles = (action: Kind, params: Record<string, unknown>): boolean =>
  compile({ name: 'p', steps: [{ id: 's', action, params }] }).ok;
const workerTakes = (action: Kind, params: Record<string, unknown>): boolean =>
  RENDERED[action].safeParse(params).success;

const URL = 'https://example.com/hook';
const msgs = (...messages: unknown[]) => ({ model: 'm', messages });

/** Literal params both sides accept. */
const ACCEPTED: Array<[string, Kind, Record<string, unknown>]> = [
  ['a prompt', 'llm', { model: 'm', prompt: 'hi' }],
  ['system and user messages', 'llm', msgs({ role: 'system', content: 'S' }, { role: 'user', content: 'U' })],
  ['a developer message', 'llm', msgs({ role: 'developer', content: 'be brief' })],
  [
    'a tool call and its answer',
    'llm',
    msgs(
      { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function' }] },
      { role: 'tool', content: '42', tool_call_id: 't1' },
    ),
  ],
  ['content parts', 'llm', msgs({ role: 'user', content: [{ type: 'image_url', image_url: { url: URL } }] })],
  ['a prompt after an empty history', 'llm', { model: 'm', prompt: 'hi', messages: [] }],
  ['a query with a list and a null', 'api_call', { url: URL, query: { tag: ['a', 'b'], skip: null, n: 1 } }],
  [
    'every api_call field',
    'api_call',
    {
      url: URL,
      method: 'POST',
      headers: { 'x-a': 'b' },
      body: { a: 1 },
      body_type: 'text',
      timeout: '30s',
      max_response_bytes: 10,
    },
  ],
  [
    'a url and a message',
    'notification',
    { url: URL, message: 'done', payload: { a: 1 }, headers: { a: 'b' } },
  ],
  ['a channel', 'notification', { channel: 'ops' }],
];

/** Literal params both sides refuse (not a template's rendering: a wrong value as written). */
const REFUSED: Array<[string, Kind, Record<string, unknown>]> = [
  ['an unknown role', 'llm', msgs({ role: 'narrator', content: 'x' })],
  ['numeric content', 'llm', msgs({ role: 'user', content: 5 })],
  ['a message without content', 'llm', msgs({ role: 'user' })],
  ['a temperature out of range', 'llm', { model: 'm', prompt: 'x', temperature: 3 }],
  ['a nested query value', 'api_call', { url: URL, query: { q: { deep: 1 } } }],
  ['an unknown method', 'api_call', { url: URL, method: 'TRACE' }],
  ['a request timeout over a day', 'api_call', { url: URL, timeout: '2d' }],
  ['a zero response cap', 'api_call', { url: URL, max_response_bytes: 0 }],
  ['a numeric header', 'notification', { url: URL, headers: { a: 1 } }],
];

describe('one params definition per I/O kind', () => {
  test.each(ACCEPTED)('%s: the compiler and the worker both accept it', (_what, kind, params) => {
    expect([compiles(kind, params), workerTakes(kind, params)]).toEqual([true, true]);
  });

  test.each(REFUSED)('%s: the compiler and the worker both refuse it', (_what, kind, params) => {
    expect([compiles(kind, params), workerTakes(kind, params)]).toEqual([false, false]);
  });

  test.each([
    ['llm', LlmParams, RenderedLlmParams],
    ['api_call', ApiCallParams, RenderedApiCallParams],
    ['notification', NotificationParams, RenderedNotificationParams],
  ] as const)('%s: the worker parses exactly the fields a step may write', (_kind, written, rendered) => {
    expect(Object.keys(rendered.shape).sort()).toEqual(Object.keys(written.shape).sort());
  });

  test('what rendering changes: a template may produce a non-string prompt, a number header, a lowercase method', () => {
    expect(RenderedLlmParams.parse({ prompt: { city: 'Paris' } })).toMatchObject({
      prompt: '{"city":"Paris"}',
      provider: 'openai',
      stream: false,
      json: false,
    });
    expect(
      RenderedApiCallParams.parse({ url: URL, method: 'post', headers: { n: 1 }, timeout: '2s' }),
    ).toMatchObject({
      method: 'POST',
      headers: { n: '1' },
      timeout: 2000,
      body_type: 'json',
      max_response_bytes: 1_048_576,
    });
  });
});

test('the zod-free tables workflow code reads (where a kind runs) agree with the kind modules', () => {
  const fromKinds = Object.fromEntries(
    [...Object.entries(NODE_KINDS), ['action', USER_ACTION_SPEC] as const].map(([kind, spec]) => [
      kind,
      spec.execution,
    ]),
  );
  expect(fromKinds).toEqual(KIND_EXECUTION);
});
