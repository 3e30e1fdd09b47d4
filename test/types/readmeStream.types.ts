/**
 * The "Stream a run" snippets of docs/streaming.md, compiled by `npm run typecheck` so the documentation cannot
 * drift from the API (never run).
 */
import { connect, Pipeline, sseResponse, type RunStreamChunk } from '../../src';

export async function readmeStreamSnippet(taskId: string, seq: number): Promise<unknown[]> {
  const client = await connect();
  const pipeline = await Pipeline.new<{ question: string }>({ name: 'qa', client });
  const question = pipeline.add({ name: 'question' }).input({ inputType: 'string' });
  const answer = pipeline
    .add({ name: 'answer' })
    .llm({ model: 'gpt-4o-mini', prompt: question.text, stream: true });
  pipeline.add({ name: 'text' }).output({ outputType: 'stream<string>', value: answer.response });
  await pipeline.save({ deploy: true });

  const seen: unknown[] = [];
  for await (const chunk of pipeline.stream({ inputs: { question: 'Why is the sky blue?' } })) {
    switch (chunk.type) {
      case 'node':
        seen.push(`[${chunk.nodeId}] ${chunk.status}`);
        break;
      case 'stream':
        seen.push(chunk.outputName, chunk.outputValue);
        break;
      case 'retry':
        seen.push(chunk.nodeId, chunk.attempt);
        break;
      case 'gap':
        seen.push(chunk.missedFrom, chunk.missedUpTo);
        break;
      case 'result':
        seen.push(chunk.status, chunk.outputs ?? chunk.error, chunk.runId, chunk.synthesized);
    }
  }

  const run = client.runs.get(taskId);
  const all: RunStreamChunk[] = [];
  for await (const chunk of run.stream({ from: 0 })) all.push(chunk);
  for await (const chunk of run.stream({ from: seq, signal: AbortSignal.timeout(1000) })) all.push(chunk);

  const GET = (request: Request, { params }: { params: { id: string } }) =>
    sseResponse(client.runs.get(params.id), { request });
  const POST = async (request: Request) => {
    const run = await client.start(
      { steps: [] },
      { inputs: (await request.json()) as Record<string, unknown> },
    );
    return sseResponse(run, { request, headers: { 'x-task-id': run.taskId } });
  };

  for await (const frame of pipeline.run({ inputs: { question: 'Tell me a story' } }, { stream: true })) {
    if (!frame.startsWith('data: ')) continue;
    const data = JSON.parse(frame.slice(6)) as { output_name?: string; output_value?: string };
    if (data.output_name === 'text') seen.push(data.output_value);
  }
  return [seen, all, GET, POST];
}
