/**
 * Failure text under encryption: with `payloads.encryption`, the data converter moves a failure's
 * message and stack trace (and its causes') into `encodedAttributes`, which the encryption codec
 * seals; a client decodes them back; the codec server's `/decode` opens the attributes payload as
 * it opens any other (so the Web UI shows the text). Without encryption nothing changes.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { ApplicationFailure, type Payload } from '@temporalio/common';
import {
  decodeOptionalFailureToOptionalError,
  encodeErrorToFailure,
} from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/data-converter-helpers';
import { createCodecServer, createDataConverter } from '../../../src/codec';
import { createPipelineWorker } from '../../../src/worker';

const payloads = { encryption: { currentKeyId: 'a', keys: { a: randomBytes(32).toString('base64') } } };
const converter = loadDataConverter(createDataConverter(payloads));
const SENSITIVE = 'card 4242-4242 declined for bob';

const failureWithCause = () =>
  ApplicationFailure.create({
    type: 'Declined',
    message: SENSITIVE,
    nonRetryable: true,
    cause: new Error(`upstream: ${SENSITIVE}`),
  });

const text = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v,
  );

test('with encryption, message and stack trace of the failure and its cause are sealed; a client reads them back', async () => {
  const failure = await encodeErrorToFailure(converter, failureWithCause());
  expect(failure.message).toBe('Encoded failure');
  expect(failure.stackTrace).toBe('');
  expect(failure.cause?.message).toBe('Encoded failure');
  expect(text(failure)).not.toContain('4242');
  expect(failure.applicationFailureInfo?.type).toBe('Declined');

  const error = await decodeOptionalFailureToOptionalError(converter, failure);
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect(error?.message).toBe(SENSITIVE);
  expect((error?.cause as Error | undefined)?.message).toBe(`upstream: ${SENSITIVE}`);
});

test('without encryption the failure text stays as it is', async () => {
  expect(createDataConverter({})).toBeUndefined();
  const failure = await encodeErrorToFailure(loadDataConverter(), failureWithCause());
  expect(failure.message).toBe(SENSITIVE);
  expect(failure.encodedAttributes).toBeFalsy();
});

describe('the codec server', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createCodecServer({ payloads });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('/decode opens the encoded attributes payload into { message, stack_trace }', async () => {
    const failure = await encodeErrorToFailure(converter, failureWithCause());
    const sealed = failure.encodedAttributes as Payload;
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
    const response = await fetch(`${url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        payloads: [
          {
            metadata: Object.fromEntries(Object.entries(sealed.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
            data: b64(sealed.data!),
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    const [opened] = body.payloads;
    expect(Buffer.from(opened!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    const attributes = JSON.parse(Buffer.from(opened!.data, 'base64').toString('utf8')) as {
      message: string;
      stack_trace: string;
    };
    expect(attributes.message).toBe(SENSITIVE);
    expect(attributes.stack_trace).toContain('ApplicationFailure');
  });
});

test('an encrypting worker refuses a workflow bundle that would write failure text in plain', async () => {
  await expect(
    createPipelineWorker({
      connection: {} as never, // refused before it is used
      payloads,
      workflowBundle: { code: '/* a bundle built without encodeFailures */' },
    }),
  ).rejects.toThrow(/bundleWorkflows\(\{ encodeFailures: true \}\)/);
});
