import { retryWorkflowId } from '../../../src/client/runs/retryRun';

test('a retry id is <old id>-retry-<8 hex>; retrying a retry replaces the suffix', () => {
  const first = retryWorkflowId('triage-4711');
  expect(first).toMatch(/^triage-4711-retry-[0-9a-f]{8}$/);
  expect(retryWorkflowId(first)).toMatch(/^triage-4711-retry-[0-9a-f]{8}$/);
  expect(retryWorkflowId(first)).not.toBe(first);
});
