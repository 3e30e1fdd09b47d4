/**
 * Human in the loop: a model drafts an announcement, the run pauses until a person approves or
 * rejects it, and only an approved draft is published. The run waits durably — for seconds here,
 * for days in real use — without holding a worker slot; the approval arrives from any process
 * that knows the run's id.
 *
 * Shows
 * - the builder's `approval()`: a `wait_for_event` step whose payload is `{ approved, comment?, by? }`,
 *   with a prompt rendered from the draft, a timeout and what to do when it passes;
 * - `approve.approved` as the publish step's condition;
 * - the run's status while it waits (`waitingFor`: event, prompt, until when);
 * - a bad payload refused with `EventRejectedError` (nothing recorded; the step keeps waiting);
 * - `client.executions.signal(id, { node, payload, by })` sending the decision.
 *
 * Run it
 *   npm run example:approval
 * Starts a local Temporal server (or uses TEMPORAL_ADDRESS) and a worker in this process; uses
 * OpenAI when OPENAI_API_KEY / OPENAI_BASE_URL are set, else an offline model that echoes the
 * prompt (see examples/support/localStack.ts). From another terminal, the same decision is
 * `tpipe executions signal <task id> --node approve --payload '{"approved":true}'`.
 *
 * Prints
 *   started approval-flow-…
 *   status = running; step approve waits for 'approval' until 2026-11-26T10:00:00.000Z
 *   approve asks: Publish this announcement? echo: Write a two-sentence announcement of: dark mode
 *   refused: Run approval-flow-… refused the event for step 'approve': The payload does not fit the schema of step 'approve': payload.approved must be a boolean, got a string.
 *   sent approval (accepted at 2026-11-23T10:00:01.000Z)
 *   final status = completed
 *   decision  = {"payload":{"approved":true,"comment":"Ship it"},"timedOut":false,…,"by":"editor@example.com"}
 *   published = PUBLISHED: echo: Write a two-sentence announcement of: dark mode
 */
import { EventRejectedError, PipelineBuilder, template, type NodeSnapshot } from '../src';
import { startLocalStack } from './support/localStack';

async function main(): Promise<void> {
  const stack = await startLocalStack();
  const { client } = stack;
  try {
    // 1. The pipeline: draft → approval → publish (only when approved).
    const pipeline = new PipelineBuilder<{ topic: string }>('approval_flow');
    const topic = pipeline.add({ name: 'topic' }).input({ inputType: 'string' });
    const draft = pipeline.add({ name: 'draft' }).llm({
      model: stack.modelName('gpt-5.1'),
      prompt: template`Write a two-sentence announcement of: ${topic.text}`,
    });
    const approve = pipeline.add({ name: 'approve' }).approval({
      prompt: template`Publish this announcement? ${draft.response}`,
      timeout: '3d',
      onTimeout: 'default',
      default: { approved: false, comment: 'nobody answered within 3 days' },
    });
    const publish = pipeline
      .add({ name: 'publish', condition: approve.approved })
      .transform({ value: template`PUBLISHED: ${draft.response}` });
    pipeline.add({ name: 'decision' }).output({ value: approve.output });
    pipeline.add({ name: 'published' }).output({ outputType: 'string', value: publish.output.as<string>() });

    // 2. Start the run: it drafts, then waits for the approval.
    const run = await client.start(pipeline.definition, { inputs: { topic: 'dark mode' } });
    console.log(`started ${run.taskId}`);
    stack.printRunLink(run.taskId);

    // 3. What the run waits for, from its status (any process can ask).
    let approveStep: NodeSnapshot | undefined;
    for (let i = 0; i < 600 && !approveStep?.waitingFor; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      approveStep = (await run.runStatus()).nodes.approve;
    }
    const waitingFor = approveStep?.waitingFor;
    if (!waitingFor) throw new Error('the run never reached its approval step');
    console.log(
      `status = running; step approve waits for '${waitingFor.event}' until ${waitingFor.timeoutAt}`,
    );
    console.log(`approve asks: ${waitingFor.prompt}`);

    // 4. A payload that does not fit is refused, and the step goes on waiting.
    try {
      await run.sendEvent('approve', { approved: 'yes' });
    } catch (err) {
      if (!(err instanceof EventRejectedError)) throw err;
      console.log(`refused: ${err.message}`);
    }

    // 5. The decision, as a reviewer's app would send it.
    const accepted = await client.executions.signal(run.taskId, {
      node: 'approve',
      payload: { approved: true, comment: 'Ship it' },
      by: 'editor@example.com',
    });
    console.log(`sent approval (accepted at ${accepted.receivedAt})`);

    const result = await run.result({ timeout: '2m' });
    console.log(`final status = ${result.status}`);
    console.log(`decision  = ${JSON.stringify(result.outputs.decision)}`);
    console.log(`published = ${String(result.outputs.published)}`);
  } finally {
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
