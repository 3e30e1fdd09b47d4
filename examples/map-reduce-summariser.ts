/**
 * Map-reduce: summarise a batch of documents, a few at a time, then combine the summaries into
 * one digest. The map step runs an llm call per document in a child workflow of its own, at most
 * `concurrency` at once, retries each document on its own, and hands back the summaries in the
 * documents' order; a list of thousands works the same way (the map continues as new as it goes).
 *
 * Shows
 * - the builder's `map()`: `items` from an input, `each` building the llm step for one document,
 *   with `item` and `index` as references (`doc.at('title')`, `index`);
 * - `concurrency` and a per-item retry policy;
 * - the map's progress from `client.executions.get()` while it runs (`map.progress`);
 * - `summaries.results` (one llm output per document, in order) feeding the reduce step.
 *
 * Run it
 *   npm run example:map
 * Starts a local Temporal server (or uses TEMPORAL_ADDRESS) and a worker in this process; uses
 * OpenAI when OPENAI_API_KEY / OPENAI_BASE_URL are set, else an offline model that echoes the
 * prompt (see examples/support/localStack.ts), slowed down here so the progress is visible.
 *
 * Prints
 *   started map-reduce-summariser-…
 *   progress: 4 of 12 documents summarised, 4 running
 *   …
 *   final status = completed (12 summaries, 0 failed)
 *   summary 0 = echo: Summarise document #0 (Release notes 1.0) in one sentence: Release notes 1.0. …
 *   …
 *   digest = echo: Combine these 12 summaries into a short digest: …
 */
import { PipelineBuilder, template } from '../src';
import { startLocalStack } from './support/localStack';

interface Document {
  title: string;
  text: string;
}

/** What an llm step yields (the fields this example reads). */
interface Summary {
  response: string;
  finishReason: string;
}

const TOPICS = [
  'Release notes 1.0',
  'Incident review: queue backlog',
  'Pricing page copy',
  'Onboarding survey results',
  'Security audit summary',
  'Roadmap for the next quarter',
  'Support ticket themes',
  'Latency report',
  'Hiring plan',
  'Customer interview: logistics',
  'Customer interview: fintech',
  'Postmortem: expired certificate',
];

const DOCUMENTS: Document[] = TOPICS.map((title, i) => ({
  title,
  text: `${title}. Paragraph ${i + 1} of the archive: what happened, who it affects, and what comes next.`,
}));

async function main(): Promise<void> {
  const stack = await startLocalStack({ offlineModel: { replyDelayMs: 300 } });
  const { client } = stack;
  const model = stack.modelName('gpt-5.1');
  try {
    // 1. The pipeline: documents → summaries (map) → texts → digest.
    const pipeline = new PipelineBuilder<{ documents: Document[] }>('map_reduce_summariser');
    const docs = pipeline.add({ name: 'documents' }).input({ inputType: 'array' });
    const summaries = pipeline.add({ name: 'summaries' }).map<Document, Summary>({
      items: docs.value,
      concurrency: 4,
      each: (doc, index) => ({
        llm: {
          model,
          prompt: template`Summarise document #${index} (${doc.at('title')}) in one sentence: ${doc.at('text')}`,
          maxTokens: 120,
        },
        retry: { maxAttempts: 4, initialInterval: '1s' },
        timeout: '60s',
      }),
    });
    const texts = pipeline
      .add({ name: 'texts' })
      .transform({ expression: 'steps.summaries.output.results.map(r, r.response)' });
    const digest = pipeline.add({ name: 'digest' }).llm({
      model,
      prompt: template`Combine these ${DOCUMENTS.length} summaries into a short digest: ${texts.output}`,
    });
    pipeline.add({ name: 'summary_list' }).output({ value: summaries.results });
    pipeline.add({ name: 'digest_text' }).output({ outputType: 'string', value: digest.response });

    // 2. Start the run with the documents.
    const run = await client.start(pipeline.definition, { inputs: { documents: DOCUMENTS } });
    console.log(`started ${run.taskId}`);
    stack.printRunLink(run.taskId);

    // 3. Watch the map: executions.get() reads its progress from the map workflow.
    let last = '';
    for (;;) {
      const execution = await client.executions.get(run.taskId);
      const progress = execution.steps.summaries?.map?.progress;
      if (progress) {
        const line = `progress: ${progress.settled} of ${progress.total} documents summarised, ${progress.running} running`;
        if (line !== last) console.log((last = line));
      }
      if (execution.status !== 'running' && execution.status !== 'pending') break;
      if (execution.steps.summaries?.status === 'completed') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // 4. The result: one summary per document, in order, and the digest.
    const result = await run.result({ timeout: '2m' });
    const list = result.outputs.summary_list as Array<Summary | null>;
    const failed = list.filter((summary) => summary === null).length;
    console.log(`final status = ${result.status} (${list.length} summaries, ${failed} failed)`);
    list.forEach((summary, i) => console.log(`summary ${i} = ${summary?.response ?? '(failed)'}`));
    console.log(`digest = ${String(result.outputs.digest_text)}`);
  } finally {
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
