/**
 * Background runs: start a pipeline, get a handle back at once, check its status, then wait for
 * the result. The TypeScript version of the "Background batch jobs" guide.
 *
 * Shows
 * - the "create or update" idiom: `Pipeline.fetch`, else `Pipeline.new`, then add the nodes again
 *   (adding a node whose name exists replaces it, so re-running the script makes no new version);
 * - `save({ deploy: true })`, `start()` (returns a handle at once), `handle.taskId` / `traceId`
 *   (persist these: any process can resume or terminate the run with the task id alone);
 * - one non-blocking `runStatus()`, then `result({ pollInterval, timeout })`, which checks the
 *   run's status every `pollInterval` and throws `PollTimeoutError` after `timeout`.
 *
 * Run it
 *   npm run example:background
 * Starts a local Temporal server (or uses TEMPORAL_ADDRESS) and a worker in this process; uses
 * OpenAI when OPENAI_API_KEY / OPENAI_BASE_URL are set, else an offline model that takes a
 * second or two to echo the prompt (see examples/support/localStack.ts).
 *
 * Prints
 *   created pipeline id=pipeline:bg_summariser
 *   saved version 1, deployed
 *   started
 *     task_id  = bg-summariser-3142e04599b2
 *     trace_id = f7572418f1a25716d063eefab4b81a5c
 *   status = running
 *   final status = completed
 *   outputs      = {"output_0":"echo: Tell me a fun fact about space in 50 words."}
 */
import { NotFoundError, Pipeline } from '../src';
import { startLocalStack } from './support/localStack';

const PIPELINE_NAME = 'bg_summariser';

async function main(): Promise<void> {
  const stack = await startLocalStack({ offlineModel: { replyDelayMs: 1500 } });
  const { client } = stack;
  try {
    // 1. Build the pipeline: fetch it if it exists, else make a new one.
    const name = stack.pipelineName(PIPELINE_NAME);
    let pipeline: Pipeline<{ input_0: string }>;
    try {
      pipeline = await Pipeline.fetch({ name, client });
      console.log(`fetched pipeline id=${pipeline.id} (version ${pipeline.version})`);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      pipeline = await Pipeline.new({ name, client });
      console.log(`created pipeline id=${pipeline.id}`);
    }

    const inp = pipeline.add({ name: 'input_0' }).input({ inputType: 'string' });
    const llm = pipeline
      .add({ name: 'llm' })
      .llm({ provider: 'openai', model: stack.modelName('gpt-5.1'), prompt: inp.text });
    pipeline.add({ name: 'output_0' }).output({ outputType: 'string', value: llm.response });

    const saved = await pipeline.save({ deploy: true });
    console.log(`saved version ${saved.version}, deployed${saved.created ? '' : ' (unchanged)'}`);

    // 2. Start the run in the background: the handle comes back at once.
    const handle = await pipeline.start({
      inputs: { input_0: 'Tell me a fun fact about space in 50 words.' },
    });
    console.log('started');
    console.log(`  task_id  = ${handle.taskId}`);
    console.log(`  trace_id = ${handle.traceId}`);
    stack.printRunLink(handle.taskId);

    // 3. One non-blocking status check (pending until a worker picks the run up, then running).
    const status = await handle.runStatus();
    console.log(`status = ${status.status}`);

    // 4. Block until done: polls every 2 s, gives up (PollTimeoutError) after 2 minutes.
    const result = await handle.result({ pollInterval: '2s', timeout: '2m' });
    console.log(`final status = ${result.status}`);
    console.log(`outputs      = ${JSON.stringify(result.outputs)}`);
  } finally {
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
