/**
 * Serving runs to browsers as Server-Sent Events: an HTTP server (node:http) with
 *
 *   POST /runs              {"input":"…"} → starts a run and streams it (header `x-task-id`)
 *   GET  /runs/:id/events   the run's stream; resumes after `Last-Event-ID`
 *
 * Each route is a few lines around `sseResponse(handle, { lastEventId, signal })`, which returns
 * a standard web `Response` (return it as is from Next.js, Hono, Deno; here it is written to a
 * node:http response). Every event's `id:` is the chunk's `seq`, so a browser `EventSource` that
 * loses its connection reconnects with `Last-Event-ID` and gets exactly the chunks it missed; once
 * it has the `result` event a reconnect gets 204, which tells `EventSource` to stop.
 *
 * Then the example is its own client: it starts a run with POST /runs, reads 6 events, drops the
 * connection, reconnects with `Last-Event-ID`, reads to the end, and checks nothing was lost or
 * repeated.
 *
 * Run it
 *   npm run example:sse            (add `--serve` to keep the server up: curl -N its routes)
 * Starts a local Temporal server (or uses TEMPORAL_ADDRESS) and a worker in this process; uses
 * OpenAI when OPENAI_API_KEY / OPENAI_BASE_URL are set, else an offline model that echoes the
 * prompt one word every 30 ms.
 *
 * Prints
 *   SSE server on http://127.0.0.1:34823
 *   POST /runs → 200 text/event-stream; task x-task-id=sse-demo-35a0de2b3d7f
 *   read 6 events (ids 1–6), disconnected
 *   GET /runs/sse-demo-35a0de2b3d7f/events, Last-Event-ID: 6 → 200
 *   read 9 more events (ids 7–15), the last: result completed
 *   ids 1–15 in order: nothing lost, nothing twice
 *   text: echo: Write a haiku about a lighthouse keeper who counts the waves at night.
 *   GET after the result → 204 (EventSource stops reconnecting)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  NotFoundError,
  PipelineValidationError,
  sendResponse,
  sseResponse,
  type PipelinesClient,
} from '../src';
import { startLocalStack } from './support/localStack';

const READ_FIRST = 6;

/** The pipeline every POST /runs starts: input → streaming llm → `stream<string>` output. */
function storyPipeline(model: string) {
  return {
    name: 'sse-demo',
    steps: [
      { id: 'input', action: 'input', params: { type: 'string' } },
      { id: 'llm', action: 'llm', params: { model, prompt: '{{ inputs.input }}', stream: true } },
      {
        id: 'text',
        action: 'output',
        params: { value: '{{ steps.llm.output.response }}', type: 'stream<string>' },
      },
    ],
  };
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}

function createSseServer(client: PipelinesClient, model: string): http.Server {
  return http.createServer((req, res) => {
    // Aborted when the client disconnects: the response stops reading the run.
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const route = async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'POST' && url.pathname === '/runs') {
        const { input } = (await readBody(req)) as { input?: unknown };
        const run = await client.start(storyPipeline(model), { inputs: { input } });
        const response = await sseResponse(run, {
          signal: gone.signal,
          headers: { 'x-task-id': run.taskId, location: `/runs/${run.taskId}/events` },
        });
        return sendResponse(res, response);
      }
      const events = /^\/runs\/([^/]+)\/events$/.exec(url.pathname);
      if (req.method === 'GET' && events) {
        const run = client.runs.get(decodeURIComponent(events[1]!));
        const lastEventId = req.headers['last-event-id'];
        return sendResponse(
          res,
          await sseResponse(run, { lastEventId: String(lastEventId ?? ''), signal: gone.signal }),
        );
      }
      res.writeHead(404).end();
    };
    route().catch((err: unknown) => {
      const status = err instanceof NotFoundError ? 404 : err instanceof PipelineValidationError ? 400 : 500;
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
    });
  });
}

interface Event {
  id: number;
  event?: string;
  data: { type: string; status?: string; output_name?: string; output_value?: string };
}

/** Reads SSE events from a fetch response until `max` events (then disconnects) or its end. */
async function readEvents(response: Response, abort: AbortController, max = Infinity): Promise<Event[]> {
  const events: Event[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body!.getReader();
  while (events.length < max) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0 && events.length < max; end = buffer.indexOf('\n\n')) {
      const fields = new Map<string, string>();
      for (const line of buffer.slice(0, end).split('\n')) {
        if (!line || line.startsWith(':')) continue; // a comment: keep-alive
        const colon = line.indexOf(':');
        fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      buffer = buffer.slice(end + 2);
      const data = fields.get('data');
      if (data !== undefined) {
        events.push({ id: Number(fields.get('id')), event: fields.get('event'), data: JSON.parse(data) });
      }
    }
  }
  abort.abort(); // disconnect (a no-op once the server ended the response)
  return events;
}

async function main(): Promise<void> {
  const stack = await startLocalStack({ offlineModel: { chunkDelayMs: 30 } });
  const server = createSseServer(stack.client, stack.modelName('gpt-4o-mini'));
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    console.log(`SSE server on ${base}`);
    if (process.argv.includes('--serve')) {
      console.log(`try: curl -N -X POST ${base}/runs -d '{"input":"Write a haiku"}'`);
      await new Promise(() => undefined); // until Ctrl-C
    }

    // Start a run and read the first events, then drop the connection.
    const first = new AbortController();
    const posted = await fetch(`${base}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        input: 'Write a haiku about a lighthouse keeper who counts the waves at night.',
      }),
      signal: first.signal,
    });
    const taskId = posted.headers.get('x-task-id')!;
    console.log(
      `POST /runs → ${posted.status} ${posted.headers.get('content-type')?.split(';')[0]}; task x-task-id=${taskId}`,
    );
    stack.printRunLink(taskId);
    const before = await readEvents(posted, first, READ_FIRST);
    console.log(`read ${before.length} events (ids ${before[0]?.id}–${before.at(-1)?.id}), disconnected`);

    // Reconnect the way EventSource does: the same URL with Last-Event-ID.
    const lastId = String(before.at(-1)!.id);
    const second = new AbortController();
    const resumed = await fetch(`${base}/runs/${encodeURIComponent(taskId)}/events`, {
      headers: { 'last-event-id': lastId },
      signal: second.signal,
    });
    console.log(`GET /runs/${taskId}/events, Last-Event-ID: ${lastId} → ${resumed.status}`);
    const after = await readEvents(resumed, second);
    const last = after.at(-1);
    console.log(
      `read ${after.length} more events (ids ${after[0]?.id}–${last?.id}), the last: ${last?.event} ${last?.data.status}`,
    );

    const all = [...before, ...after];
    const inOrder = all.every((e, i) => e.id === i + 1);
    console.log(
      inOrder
        ? `ids 1–${all.length} in order: nothing lost, nothing twice`
        : `ids out of order: ${all.map((e) => e.id).join(',')}`,
    );
    const text = all
      .filter((e) => e.data.output_name === 'text')
      .map((e) => e.data.output_value)
      .join('');
    console.log(`text: ${text}`);

    const done = await fetch(`${base}/runs/${encodeURIComponent(taskId)}/events`, {
      headers: { 'last-event-id': String(last?.id) },
    });
    console.log(`GET after the result → ${done.status} (EventSource stops reconnecting)`);
    if (!inOrder || last?.event !== 'result' || done.status !== 204) process.exitCode = 1;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
