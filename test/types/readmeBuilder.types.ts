/**
 * The builder snippet of docs/builder.md, compiled by `npm run typecheck` so the documentation cannot drift
 * from the API (never run).
 */
import { connect, NotFoundError, Pipeline, template } from '../../src';

export async function readmeBuilderSnippet(): Promise<unknown[]> {
  const client = await connect();
  type Inputs = { question: string; words: number };

  let pipeline: Pipeline<Inputs>;
  try {
    pipeline = await Pipeline.fetch<Inputs>({ name: 'qa', client });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    pipeline = await Pipeline.new<Inputs>({ name: 'qa', client });
  }
  const question = pipeline.add({ name: 'question' }).input({ inputType: 'string' });
  const words = pipeline.add({ name: 'words' }).input({ inputType: 'integer', required: false, default: 50 });
  const answer = pipeline.add({ name: 'answer', retry: { maxAttempts: 5 }, timeout: '60s' }).llm({
    model: 'gpt-4o-mini',
    prompt: template`Answer in at most ${words.value} words: ${question.text}`,
  });
  pipeline.add({ name: 'text' }).output({ outputType: 'string', value: answer.response });
  pipeline.add({ name: 'tokens' }).output({ outputType: 'number', value: answer.usage.at('totalTokens') });

  await pipeline.save({ deploy: true });
  const run = await pipeline.start({ inputs: { question: 'Why is the sky blue?', words: 30 } });
  const { outputs } = await run.result({ pollInterval: '2s', timeout: '2m' });
  await pipeline.terminate({ runId: run.taskId });
  const { outputs: again } = await pipeline.run({ inputs: { question: 'And at sunset?', words: 30 } });
  return [outputs, again];
}
