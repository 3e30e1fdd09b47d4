/**
 * Bad input gets a structured error before any run starts, and nothing is started.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { PipelineValidationError } from '../../src/model';
import { startPipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(async () => h?.close());

const cases: [string, unknown, object, Record<string, unknown>?][] = [
  [
    'a cycle',
    {
      steps: [
        { id: 'a', action: 'log', params: { message: 'x' }, depends_on: ['b'] },
        { id: 'b', action: 'log', params: { message: 'y' }, depends_on: ['a'] },
      ],
    },
    { code: 'cycle' },
  ],
  [
    'an unknown action',
    { steps: [{ id: 'a', action: 'lllm', params: {} }] },
    { code: 'unknown_action', stepId: 'a' },
  ],
  [
    'a bad template',
    { steps: [{ id: 'a', action: 'log', params: { message: 'hi {{ steps.' } }] },
    { code: 'invalid_template', stepId: 'a' },
  ],
  [
    'a hostile expression',
    { steps: [{ id: 'a', action: 'transform', params: { expression: "''.constructor" } }] },
    { stepId: 'a' },
  ],
  [
    'a wrong input type',
    { steps: [{ id: 'n', action: 'input', params: { type: 'integer' } }] },
    { path: ['inputs', 'n'] },
    { inputs: { n: 'seven' } },
  ],
];

test.each(cases)(
  '%s is rejected with a structured issue and no run is started',
  async (_name, doc, issue, options = {}) => {
    const workflowId = `never-started-${Math.random().toString(16).slice(2)}`;
    let error: unknown;
    try {
      await h.start(doc, { workflowId, ...options });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PipelineValidationError);
    const { issues } = error as PipelineValidationError;
    expect(issues).toEqual(expect.arrayContaining([expect.objectContaining(issue)]));
    for (const i of issues) {
      expect(Array.isArray(i.path)).toBe(true);
      expect(typeof i.message).toBe('string');
    }
    await expect(h.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  },
);
