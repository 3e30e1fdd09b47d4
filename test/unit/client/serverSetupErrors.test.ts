/**
 * The errors of the first hour, at unit level: a worker that may not add the engine's search
 * attributes (what the message names and the commands it gives), and run inputs of the wrong
 * type ("Invalid inputs", naming the input and its type).
 */
import type { OperatorService } from '@temporalio/client';
import { Metadata } from '@grpc/grpc-js';
import { PipelineValidationError, SearchAttributesMissingError } from '../../../src/client/errors';
import { ensureSearchAttributes } from '../../../src/client/searchAttributes';
import { prepareRun } from '../../../src/client/runs/startRun';

/** A gRPC error as the SDK surfaces it: code, details and metadata. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

/** An operator service whose namespace has `present` and that answers add with `onAdd`. */
function operator(present: Record<string, number>, onAdd: () => Promise<unknown>) {
  const added: unknown[] = [];
  const operatorService = {
    listSearchAttributes: () => Promise.resolve({ customAttributes: present }),
    addSearchAttributes: async (request: unknown) => {
      added.push(request);
      return onAdd();
    },
  } as unknown as OperatorService;
  return { connection: { operatorService }, added };
}

test('without operator rights the worker refuses to start, naming each attribute, its type and the command', async () => {
  const { connection } = operator({ PipelineName: 2 }, () =>
    Promise.reject(grpcError(7, 'Request unauthorized.')),
  );
  const err = await ensureSearchAttributes(connection, 'orders').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SearchAttributesMissingError);
  expect(err).toMatchObject({
    code: 'search_attributes_missing',
    namespace: 'orders',
    missing: [
      { name: 'PipelineVersion', type: 'Keyword' },
      { name: 'PipelineTags', type: 'KeywordList' },
      { name: 'PipelinePriority', type: 'Int' },
    ],
  });
  expect((err as Error).message).toBe(
    'Namespace orders has no search attribute PipelineVersion (Keyword), PipelineTags (KeywordList), ' +
      'PipelinePriority (Int), which every run carries, and this worker may not add them ' +
      '(PERMISSION_DENIED: Request unauthorized.). Ask an operator to add them once:\n' +
      '  temporal operator search-attribute create --namespace orders --name PipelineVersion --type Keyword\n' +
      '  temporal operator search-attribute create --namespace orders --name PipelineTags --type KeywordList\n' +
      '  temporal operator search-attribute create --namespace orders --name PipelinePriority --type Int\n' +
      '(or run deploy/temporal/setup-namespace.sh with TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE set; ' +
      'on Temporal Cloud add them to the namespace with `tcld namespace search-attributes add` or the Cloud UI).',
  );
});

test('a server without the operator call (UNIMPLEMENTED, as Temporal Cloud) gives the same advice', async () => {
  const { connection } = operator({}, () => Promise.reject(grpcError(12, 'unknown method')));
  const err = await ensureSearchAttributes(connection, 'default').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SearchAttributesMissingError);
  expect((err as Error).message).toContain('(UNIMPLEMENTED: unknown method)');
  expect((err as Error).message).toContain('--name PipelineName --type Keyword');
});

test('adds only what is missing, with the indexed types; nothing when all are there', async () => {
  const some = operator({ PipelineName: 2, PipelineVersion: 2 }, () => Promise.resolve({}));
  expect(await ensureSearchAttributes(some.connection, 'default')).toEqual({
    added: ['PipelineTags', 'PipelinePriority'],
  });
  expect(some.added).toEqual([
    { namespace: 'default', searchAttributes: { PipelineTags: 7, PipelinePriority: 3 } },
  ]);
  const all = operator({ PipelineName: 2, PipelineVersion: 2, PipelineTags: 7, PipelinePriority: 3 }, () =>
    Promise.reject(new Error('not called')),
  );
  expect(await ensureSearchAttributes(all.connection, 'default')).toEqual({ added: [] });
  expect(all.added).toEqual([]);
});

test('a refused listing is not a refusal to start: the attributes are reported unchecked', async () => {
  const operatorService = {
    listSearchAttributes: () => Promise.reject(grpcError(7, 'Request unauthorized.')),
    addSearchAttributes: () => Promise.reject(new Error('not called')),
  } as unknown as OperatorService;
  expect(await ensureSearchAttributes({ operatorService }, 'default')).toEqual({
    added: [],
    unchecked: 'listing the search attributes was refused (PERMISSION_DENIED: Request unauthorized.)',
  });
});

test('other failures pass through unchanged', async () => {
  const unavailable = grpcError(14, 'connection reset');
  const { connection } = operator({}, () => Promise.reject(unavailable));
  await expect(ensureSearchAttributes(connection, 'default')).rejects.toBe(unavailable);
});

describe('run inputs', () => {
  const document = {
    name: 'typed',
    steps: [
      { id: 'count', action: 'input', params: { type: 'integer' } },
      { id: 'twice', action: 'transform', params: { value: '{{ steps.count.output * 2 }}' } },
    ],
  };

  test('a bad input type is "Invalid inputs", naming the input and the expected type', () => {
    const err = (() => {
      try {
        prepareRun(document, { inputs: { count: 'three' } });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PipelineValidationError);
    expect((err as Error).message).toBe(
      "Invalid inputs (1 issue):\n  inputs.count: Input 'count' must be an integer, got a string.",
    );
    expect(err).toMatchObject({ issues: [{ path: ['inputs', 'count'], code: 'invalid_type' }] });
  });

  test('a bad definition is still "Invalid pipeline definition"; other run options say so', () => {
    expect(() => prepareRun({ steps: [{ id: 'x', action: 'nope' }] })).toThrow(
      /^Invalid pipeline definition/,
    );
    expect(() => prepareRun(document, { inputs: { count: 1 }, priority: 9 as never })).toThrow(
      /^Invalid run options/,
    );
    expect(() => prepareRun(document, { inputs: { count: 1, extra: 2 }, params: { p: 1 } })).toThrow(
      /^Invalid inputs/,
    );
  });
});
