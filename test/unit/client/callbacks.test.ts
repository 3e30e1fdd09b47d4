import { createHmac } from 'node:crypto';
import { signCallback } from '../../../src/activities/engine/deliverCallback';
import { verifyCallbackSignature } from '../../../src/client/callbacks/callbackSignature';
import { callbackIssues, prepareRun } from '../../../src/client/runs/startRun';
import { PipelineValidationError } from '../../../src/model';

describe('callback signatures', () => {
  const body = JSON.stringify({ executionId: 'x', status: 'completed' });
  const t = 1_800_000_000;
  const now = t * 1000;

  test('the header is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', 's3cret').update(`${t}.${body}`).digest('hex');
    expect(signCallback('s3cret', body, t)).toBe(`t=${t},v1=${expected}`);
  });

  test('verifies with the secret; fails with another secret, another body or an old timestamp', () => {
    const header = signCallback('s3cret', body, t);
    expect(verifyCallbackSignature({ body, header, secret: 's3cret', now })).toBe(true);
    expect(verifyCallbackSignature({ body: Buffer.from(body), header, secret: 's3cret', now })).toBe(true);
    expect(verifyCallbackSignature({ body, header, secret: 'other', now })).toBe(false);
    expect(verifyCallbackSignature({ body: body + ' ', header, secret: 's3cret', now })).toBe(false);
    expect(verifyCallbackSignature({ body, header, secret: 's3cret', now: now + 301_000 })).toBe(false);
    expect(
      verifyCallbackSignature({ body, header, secret: 's3cret', now: now + 301_000, toleranceSeconds: 600 }),
    ).toBe(true);
  });

  test('malformed headers do not verify', () => {
    for (const header of [
      undefined,
      null,
      '',
      'v1=abc',
      `t=${t}`,
      `t=${t},v1=zz`,
      `t=soon,v1=${'a'.repeat(64)}`,
    ]) {
      expect(verifyCallbackSignature({ body, header, secret: 's3cret', now })).toBe(false);
    }
  });
});

describe('callbackIssues', () => {
  test('accepts http(s) URLs and a maxAttempts of 1–20', () => {
    expect(callbackIssues(undefined)).toEqual([]);
    expect(
      callbackIssues({
        onComplete: 'https://a.example/done',
        onFailure: 'http://127.0.0.1:8080/x',
        maxAttempts: 3,
      }),
    ).toEqual([]);
  });

  test('names the malformed field', () => {
    const issues = callbackIssues({
      onComplete: 'ftp://a.example/x',
      onFailure: 'not a url',
      maxAttempts: 0,
      other: 1,
    });
    expect(issues.map((i) => i.path)).toEqual([
      ['callbacks', 'other'],
      ['callbacks', 'onComplete'],
      ['callbacks', 'onFailure'],
      ['callbacks', 'maxAttempts'],
    ]);
    expect(callbackIssues('https://a.example')[0]?.path).toEqual(['callbacks']);
  });
});

test('prepareRun rejects a malformed callback URL before anything starts', () => {
  const doc = { steps: [{ id: 'a', action: 'transform', params: { value: 1 } }] };
  let error: unknown;
  try {
    prepareRun(doc, { callbacks: { onComplete: 'mailto:ops@example.com' } });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(PipelineValidationError);
  expect((error as PipelineValidationError).issues).toEqual([
    expect.objectContaining({ path: ['callbacks', 'onComplete'] }),
  ]);
  expect(prepareRun(doc, { callbacks: { onComplete: 'https://a.example/done' } }).callbacks).toEqual({
    onComplete: 'https://a.example/done',
  });
});
