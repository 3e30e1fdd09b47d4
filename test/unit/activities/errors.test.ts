import { ApplicationFailure } from '@temporalio/common';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import {
  HttpStatusError,
  NodeActivityError,
  codeForStatus,
  isRetryableCode,
  retryAfterMs,
  toNodeFailure,
  transportFailure,
} from '../../../src/activities/nodes/nodeFailures';
import { ALWAYS_NON_RETRYABLE, NODE_ERROR_CODES, type NodeErrorCode } from '../../../src/model/kinds/nodeErrors';
import { defaultRetryPolicy } from '../../../src/model/plan/planWire';

const apiError = (status: number, headers: Record<string, string> = {}) =>
  APIError.generate(status, { message: `boom ${status}` }, undefined, new Headers(headers));

describe('codeForStatus / isRetryableCode', () => {
  test.each([
    [429, 'RateLimited', false],
    [408, 'UpstreamUnavailable', false],
    [409, 'UpstreamUnavailable', false],
    [500, 'UpstreamUnavailable', false],
    [502, 'UpstreamUnavailable', false],
    [503, 'UpstreamUnavailable', false],
    [504, 'UpstreamUnavailable', false],
    [401, 'Unauthorized', true],
    [403, 'Unauthorized', true],
    [400, 'BadRequest', true],
    [404, 'BadRequest', true],
    [422, 'BadRequest', true],
  ] as const)('%i → %s (nonRetryable %s)', (status, code, nonRetryable) => {
    expect(codeForStatus(status)).toBe(code);
    const failure = toNodeFailure(apiError(status), { attempt: 3 });
    expect(failure.type).toBe(code);
    expect(failure.nonRetryable).toBe(nonRetryable);
    expect(failure.details).toEqual([{ attempt: 3, status }]);
    // The cause is a redacted copy: same name and message.
    const original = apiError(status);
    expect(failure.cause).toMatchObject({ name: original.name, message: original.message });
  });

  test('every code has a retryability decision', () => {
    const decided = Object.fromEntries(NODE_ERROR_CODES.map((c) => [c, isRetryableCode(c)]));
    expect(decided).toEqual({
      RateLimited: true,
      UpstreamUnavailable: true,
      UpstreamTimeout: true,
      ActionFailed: true,
      BadRequest: false,
      Unauthorized: false,
      ResponseTooLarge: false,
      OutputTooLarge: false,
      NodeConfigError: false,
      InvalidActionParams: false,
      BudgetExceeded: false,
      BudgetUnpriced: false,
      SecretNotFound: false,
      EgressDenied: false,
    });
    expect(() => isRetryableCode('Nope' as NodeErrorCode)).toThrow(/unexpected node error code: Nope/);
  });

  test("every plan's non-retryable list is the table's, in the order recorded plans hold", () => {
    // Part of every recorded plan's retry policy: a change here breaks replay of runs in flight.
    const recorded = [
      'BadRequest',
      'Unauthorized',
      'ResponseTooLarge',
      'OutputTooLarge',
      'NodeConfigError',
      'InvalidActionParams',
      'SecretNotFound',
      'EgressDenied',
    ];
    expect(ALWAYS_NON_RETRYABLE).toEqual(recorded);
    expect(defaultRetryPolicy().nonRetryableErrorTypes).toEqual(recorded);
    for (const code of ALWAYS_NON_RETRYABLE) expect(isRetryableCode(code)).toBe(false);
  });

  test.each(NODE_ERROR_CODES.map((code) => [code]))(
    'a %s failure is retryable exactly as the table says',
    (code) => {
      const failure = toNodeFailure(new NodeActivityError(code, 'x'), { attempt: 1 });
      expect(failure.type).toBe(code);
      expect(failure.nonRetryable).toBe(!isRetryableCode(code));
    },
  );
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-01T12:00:00Z');
  test('seconds, fractional seconds, retry-after-ms, HTTP date, garbage', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(1500);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sun, 01 Nov 2026 12:00:07 GMT' }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sun, 01 Nov 2026 11:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs({ 'Retry-After': '3' }, now)).toBe(3000);
  });

  test('becomes nextRetryDelay on retryable failures only', () => {
    expect(toNodeFailure(apiError(429, { 'retry-after': '2' }), { attempt: 1 }).nextRetryDelay).toBe(2000);
    expect(toNodeFailure(apiError(503, { 'retry-after-ms': '250' }), { attempt: 1 }).nextRetryDelay).toBe(
      250,
    );
    expect(
      toNodeFailure(apiError(400, { 'retry-after': '2' }), { attempt: 1 }).nextRetryDelay,
    ).toBeUndefined();
    expect(toNodeFailure(apiError(429), { attempt: 1 }).nextRetryDelay).toBeUndefined();
  });
});

describe('toNodeFailure', () => {
  test('openai connection, timeout and stray abort errors', () => {
    const refused = new APIConnectionError({ cause: new TypeError('fetch failed') });
    expect(toNodeFailure(refused, { attempt: 1 })).toMatchObject({
      type: 'UpstreamUnavailable',
      nonRetryable: false,
    });
    const timeout = toNodeFailure(new APIConnectionTimeoutError(), { attempt: 1 });
    expect(timeout).toMatchObject({ type: 'UpstreamTimeout', nonRetryable: false });
    expect(toNodeFailure(new APIUserAbortError(), { attempt: 1 }).type).toBe('UpstreamUnavailable');
    // An error event inside a stream: an APIError with no status.
    expect(
      toNodeFailure(new APIError(undefined, undefined, 'stream error', undefined), { attempt: 1 }).type,
    ).toBe('UpstreamUnavailable');
  });

  test('fetch / undici errors by their cause codes', () => {
    const withCause = (message: string, code: string) => {
      const cause = Object.assign(new Error(code), { code });
      return new TypeError(message, { cause });
    };
    expect(toNodeFailure(withCause('fetch failed', 'ECONNREFUSED'), { attempt: 1 }).type).toBe(
      'UpstreamUnavailable',
    );
    expect(toNodeFailure(withCause('terminated', 'UND_ERR_SOCKET'), { attempt: 1 }).type).toBe(
      'UpstreamUnavailable',
    );
    expect(toNodeFailure(withCause('fetch failed', 'ECONNRESET'), { attempt: 1 }).type).toBe(
      'UpstreamUnavailable',
    );
    expect(toNodeFailure(withCause('fetch failed', 'UND_ERR_HEADERS_TIMEOUT'), { attempt: 1 }).type).toBe(
      'UpstreamTimeout',
    );
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(toNodeFailure(timeout, { attempt: 1 })).toMatchObject({
      type: 'UpstreamTimeout',
      nonRetryable: false,
    });
  });

  test('NodeActivityError and HttpStatusError keep their code, status and delay', () => {
    const tooLarge = toNodeFailure(new NodeActivityError('ResponseTooLarge', 'too big', { status: 200 }), {
      attempt: 2,
    });
    expect(tooLarge).toMatchObject({ type: 'ResponseTooLarge', nonRetryable: true, message: 'too big' });
    expect(tooLarge.details).toEqual([{ attempt: 2, status: 200 }]);
    const http = new HttpStatusError(429, new Headers({ 'retry-after': '4' }), 'GET x → 429');
    expect(toNodeFailure(http, { attempt: 1 })).toMatchObject({
      type: 'RateLimited',
      nonRetryable: false,
      nextRetryDelay: 4000,
      message: 'GET x → 429',
    });
  });

  test('unknown errors take the fallback code and keep the cause; ApplicationFailure keeps its decision', () => {
    const bug = new RangeError('oops');
    const failure = toNodeFailure(bug, { attempt: 1, fallback: 'ActionFailed' });
    expect(failure).toMatchObject({ type: 'ActionFailed', nonRetryable: false, message: 'oops' });
    expect(failure.cause).toMatchObject({ name: 'RangeError', message: 'oops' });
    expect(toNodeFailure('a string', { attempt: 1 }).message).toBe('non-error thrown: a string');
    const own = ApplicationFailure.nonRetryable('declined', 'CardDeclined');
    expect(toNodeFailure(own, { attempt: 1 })).toMatchObject({
      type: 'CardDeclined',
      nonRetryable: true,
      message: 'declined',
    });
  });

  test('brand checks survive without the class identity', () => {
    const err = new NodeActivityError('BadRequest', 'x');
    const copy = Object.create(err) as unknown;
    expect(NodeActivityError.is(copy)).toBe(true);
    expect(copy instanceof NodeActivityError).toBe(true);
    expect(new Error('x') instanceof NodeActivityError).toBe(false);
  });
});

describe('transportFailure: a request that got no answer names itself and its cause code', () => {
  const where = 'api_call GET https://api.example.com/v1/items';
  const fetchFailed = (code: string, message: string) =>
    new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });

  test.each([
    [
      'UND_ERR_CONNECT_TIMEOUT',
      'Connect Timeout Error',
      'UND_ERR_CONNECT_TIMEOUT (Connect Timeout Error)',
      'UpstreamTimeout',
    ],
    [
      'ECONNREFUSED',
      'connect ECONNREFUSED 10.0.0.1:443',
      'connect ECONNREFUSED 10.0.0.1:443',
      'UpstreamUnavailable',
    ],
    [
      'CERT_HAS_EXPIRED',
      'certificate has expired',
      'CERT_HAS_EXPIRED (certificate has expired)',
      'UpstreamUnavailable',
    ],
  ])('%s', (code, message, said, type) => {
    const failure = toNodeFailure(transportFailure(where, fetchFailed(code, message)), { attempt: 1 });
    expect(failure.message).toBe(`${where} failed: ${said}`);
    expect(failure.type).toBe(type);
  });

  test('a per-request timeout says so; our own errors pass unchanged', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(toNodeFailure(transportFailure(where, timeout), { attempt: 1 })).toMatchObject({
      message: `${where} failed: timed out`,
      type: 'UpstreamTimeout',
    });
    const denied = new NodeActivityError('EgressDenied', 'refused');
    expect(transportFailure(where, denied)).toBe(denied);
  });
});
