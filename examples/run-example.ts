/**
 * Runs a pipeline document end to end on a local stack, streaming the llm step's tokens to the
 * terminal as they arrive:
 *   npm run example                                   # examples/support-triage.json
 *   npm run example -- examples/support-triage.json --input ticket="Refund please"
 *
 * - Temporal, model and worker: `startLocalStack()` (examples/support/localStack.ts): `TEMPORAL_ADDRESS`
 *   if set, else a local dev server with the Web UI; OpenAI (or any compatible server) when
 *   `OPENAI_API_KEY` / `OPENAI_BASE_URL` are set, else the offline echo model server the tests use.
 * - `api_base`: a small local ticketing API that prints what it receives.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { PipelineRunFailedError } from '../src/client/errors';
import { startLocalStack } from './support/localStack';

function parseArgs(argv: string[]) {
  const file = argv.find((a) => !a.startsWith('--') && !a.includes('=')) ?? 'examples/support-triage.json';
  const inputs: Record<string, unknown> = { ticket: 'URGENT: checkout is down for every customer' };
  const params: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const [key, ...rest] = (argv[i + 1] ?? '').split('=');
    if ((flag === '--input' || flag === '--param') && key) {
      (flag === '--input' ? inputs : params)[key] = rest.join('=');
      i++;
    }
  }
  return { file, inputs, params };
}

/** A stand-in ticketing API: answers every POST with an id and prints it. */
async function startTicketApi(): Promise<{ url: string; close: () => void }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      console.log(`  ticketing API ← ${req.method} ${req.url} ${body}`);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `T-${Math.floor(Math.random() * 9000) + 1000}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

async function main() {
  const { file, inputs, params } = parseArgs(process.argv.slice(2));
  const document: unknown = JSON.parse(readFileSync(file, 'utf8'));

  const stack = await startLocalStack();
  const ticketApi = await startTicketApi();

  try {
    try {
      const run = await stack.client.start(document, {
        inputs,
        params: { api_base: ticketApi.url, ...params },
      });
      console.log(`Started ${run.taskId}`);
      stack.printRunLink(run.taskId);
      // Steps as they change, and the llm step's tokens as the model sends them.
      let streaming = false;
      for await (const chunk of run.stream()) {
        if (chunk.type === 'stream') {
          if (!streaming) process.stdout.write(`  ${chunk.nodeId} says: `);
          streaming = true;
          process.stdout.write(chunk.outputValue);
        } else if (chunk.type === 'node') {
          if (streaming) process.stdout.write('\n');
          streaming = false;
          console.log(`  ${chunk.status.padEnd(10)} ${chunk.nodeId}`);
        }
      }
      try {
        const { outputs } = await run.result();
        console.log('Outputs:', JSON.stringify(outputs, null, 2));
      } catch (err) {
        if (!(err instanceof PipelineRunFailedError)) throw err;
        console.log(`Run ${err.status}: ${err.message}`);
      }
      const { snapshot } = await run.runStatus();
      for (const [id, node] of Object.entries(snapshot?.nodes ?? {})) {
        const extra = node.error?.message ?? node.skipReason ?? '';
        console.log(
          `  ${node.status.padEnd(10)} ${id.padEnd(14)} ${node.kind.padEnd(13)} ${node.durationMs ?? 0} ms ${extra}`,
        );
      }
    } finally {
      ticketApi.close();
    }
    if (stack.ownServer) {
      console.log('The local server keeps serving so you can look at the run in the Web UI. Ctrl-C to stop.');
      await stack.untilCtrlC();
    }
  } finally {
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
