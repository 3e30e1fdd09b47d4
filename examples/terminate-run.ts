/**
 * Terminating runs: a "Stop generating" button. The TypeScript version of the terminate-run
 * example, against a slow LLM pipeline.
 *
 * Shows
 * - `handle.terminate()` on the handle `pipeline.start()` returned;
 * - `pipeline.terminate({ runId })` with nothing but the run's task id, as any other process or
 *   service could (`handle.taskId` is the id you persist);
 * - the status afterwards, `terminated`, and what code waiting on `result()` sees then
 *   (`PipelineRunFailedError`). A terminated run ends at once: nothing of it runs any more.
 *
 * Run it
 *   npm run example:terminate
 * (local Temporal server or TEMPORAL_ADDRESS, worker in this process; offline the model takes
 * 10 s per answer, like a real model writing an essay; OPENAI_API_KEY / OPENAI_BASE_URL use a real
 * one: see examples/support/localStack.ts)
 *
 * Prints
 *   created pipeline id=pipeline:terminate_example
 *   Started: terminate-example-…
 *   status before = running
 *   Terminated via handle
 *   status = terminated
 *   result() → PipelineRunFailedError: Run terminate-example-… failed: …
 *   Started: terminate-example-…
 *   Terminated via pipeline.terminate({ runId: 'terminate-example-…' })
 *   status = terminated
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError, Pipeline, PipelineRunFailedError } from '../src';
import { startLocalStack } from './support/localStack';

const PIPELINE_NAME = 'terminate_example';

async function main(): Promise<void> {
  const stack = await startLocalStack({ offlineModel: { replyDelayMs: 10_000 } });
  const { client } = stack;
  try {
    // An LLM pipeline: LLM calls take a few seconds, which gives us time to terminate.
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
      .llm({ provider: 'openai', model: stack.modelName('gpt-4o'), prompt: inp.text });
    pipeline.add({ name: 'output_0' }).output({ outputType: 'string', value: llm.response });
    await pipeline.save({ deploy: true });

    // 1. Start a background run and terminate it through its handle.
    const handle = await pipeline.start({
      inputs: { input_0: 'Write a 500 word essay about the history of computing.' },
    });
    console.log(`Started: ${handle.taskId}`);
    stack.printRunLink(handle.taskId);
    await sleep(2000);
    console.log(`status before = ${(await handle.runStatus()).status}`);

    await handle.terminate('stopped by the user');
    console.log('Terminated via handle');
    console.log(`status = ${(await handle.runStatus()).status}`);
    try {
      await handle.result({ timeout: '10s' });
    } catch (err) {
      if (!(err instanceof PipelineRunFailedError)) throw err;
      console.log(`result() → PipelineRunFailedError: ${err.message}`);
    }

    // 2. Start another and terminate it through the pipeline, with the task id alone.
    const handle2 = await pipeline.start({
      inputs: { input_0: 'Write another 500 word essay about robotics.' },
    });
    console.log(`Started: ${handle2.taskId}`);
    stack.printRunLink(handle2.taskId);
    await sleep(2000);

    await pipeline.terminate({ runId: handle2.taskId });
    console.log(`Terminated via pipeline.terminate({ runId: '${handle2.taskId}' })`);
    const status = await client.runs.get(handle2.taskId).runStatus();
    console.log(`status = ${status.status}`);
  } finally {
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
