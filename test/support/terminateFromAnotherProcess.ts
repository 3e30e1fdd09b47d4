/**
 * Run as its own process by the builder tests: terminates a run knowing only the pipeline's name
 * and the run's id, as a different service would. Prints the run's status afterwards as JSON.
 *
 * Usage: node --import tsx test/support/terminateFromAnotherProcess.ts <pipeline> <taskId>
 * (TEMPORAL_ADDRESS and TEMPORAL_TASK_QUEUE from the environment).
 */
import { connect } from '../../src/client/connect';
import { Pipeline } from '../../src/client/pipelines/pipeline';

async function main(): Promise<void> {
  const [name, runId] = process.argv.slice(2);
  if (!name || !runId) throw new Error('usage: terminateFromAnotherProcess <pipeline> <taskId>');
  const client = await connect();
  try {
    const pipeline = await Pipeline.fetch({ name, client });
    await pipeline.terminate({ runId, reason: `terminated by process ${process.pid}` });
    const status = await client.runs.get(runId).runStatus();
    process.stdout.write(`${JSON.stringify({ pid: process.pid, status: status.status })}\n`);
  } finally {
    await client.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
