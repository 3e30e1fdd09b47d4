import { parse } from '@marcbachmann/cel-js';
import { PipelineDefinition } from '../../src/pipeline/definition';
test('cel-js and zod load under jest', () => {
  expect(parse('1 + 2')({})).toBe(3n);
  expect(PipelineDefinition.safeParse({ steps: [] }).success).toBe(false);
});
