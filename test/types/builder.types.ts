/**
 * Type tests, checked by `npm run typecheck` (never run): each `@ts-expect-error` line must fail
 * to compile, or the check fails with "Unused '@ts-expect-error' directive".
 */
import { Pipeline, PipelineBuilder, template, type PipelinesClient, type Ref } from '../../src';

declare const client: PipelinesClient;

export async function typedPipeline(): Promise<void> {
  const pipeline = await Pipeline.new<{ question: string; limit: number }>({ name: 'typed', client });
  const question = pipeline.add({ name: 'question' }).input({ inputType: 'string' });
  const limit = pipeline.add({ name: 'limit' }).input({ inputType: 'integer' });
  const llm = pipeline
    .add({ name: 'llm' })
    .llm({ prompt: template`Answer in ${limit.value} words: ${question.text}` });
  pipeline.add({ name: 'answer' }).output({ outputType: 'string', value: llm.response });
  pipeline.add({ name: 'tokens' }).output({ outputType: 'number', value: llm.usage.at('totalTokens') });

  // @ts-expect-error an input whose type differs from the declared Inputs
  pipeline.add({ name: 'limit' }).input({ inputType: 'string' });
  // @ts-expect-error an input node that Inputs does not declare
  pipeline.add({ name: 'other' }).input({ inputType: 'string' });
  // @ts-expect-error a field the node does not have (typo)
  pipeline.add({ name: 'x' }).output({ value: llm.respons });
  // @ts-expect-error a usage object is not text
  pipeline.add({ name: 'y' }).llm({ prompt: llm.usage });
  // @ts-expect-error a number input has no .text
  pipeline.add({ name: 'z' }).llm({ prompt: limit.text });
  // @ts-expect-error a string where the output declares a number
  pipeline.add({ name: 'w' }).output({ outputType: 'number', value: llm.response });
  // @ts-expect-error no such key in TokenUsage
  llm.usage.at('tokens');
  // @ts-expect-error a duration needs a unit
  pipeline.add({ name: 'v', timeout: 30 }).delay({ duration: '1s' });

  await pipeline.save({ deploy: true });
  await pipeline.start({ inputs: { question: 'why?', limit: 50 } });
  // @ts-expect-error a wrong input type
  await pipeline.start({ inputs: { question: 'why?', limit: 'fifty' } });
  // @ts-expect-error a missing input
  await pipeline.start({ inputs: { question: 'why?' } });
  // @ts-expect-error an input the pipeline does not have
  await pipeline.start({ inputs: { question: 'why?', limit: 1, extra: true } });
}

export function untypedPipeline(): void {
  // Without declared Inputs any input node is allowed, typed by its inputType.
  const p = new PipelineBuilder('loose');
  const n = p.add({ name: 'n' }).input({ inputType: 'number' });
  p.add({ name: 'o' }).output({ outputType: 'number', value: n.value });
  // @ts-expect-error the input's value is a number
  p.add({ name: 's' }).output({ outputType: 'string', value: n.value });
}

export function typedWaits(): void {
  const pipeline = new PipelineBuilder('waits');
  const approve = pipeline.add({ name: 'approve' }).approval({ timeout: '2d' });
  pipeline.add({ name: 'ship', condition: approve.approved }).log({ message: 'shipping' });
  const comment: Ref<string | undefined> = approve.payload.at('comment');
  void comment;
  // @ts-expect-error an approval's default must be an approval payload
  pipeline.add({ name: 'a2' }).approval({ timeout: '1h', onTimeout: 'default', default: { approved: 'no' } });
  // @ts-expect-error the approval's schema is fixed
  pipeline.add({ name: 'a3' }).approval({ schema: { type: 'any' } });
  // @ts-expect-error a timeout needs a unit
  pipeline.add({ name: 'w1' }).waitForEvent({ timeout: 30 });
  const score = pipeline.add({ name: 'score' }).waitForEvent<{ n: number }>({ event: 'score' });
  pipeline.add({ name: 'n' }).output({ outputType: 'number', value: score.payload.at('n') });
  // @ts-expect-error no such field in the payload type
  score.payload.at('m');
}
