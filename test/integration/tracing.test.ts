/**
 * OpenTelemetry (issue 7 item 4): with `connect({ tracing: true })` and a worker with `tracing`,
 * one trace, whose id is the run's `traceId`, holds the start, the workflow, each node activity
 * and the node's outgoing HTTP and LLM calls, in that parent chain; the outgoing requests carry
 * a `traceparent` naming their own span.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { connect, type PipelinesClient } from '../../src/client/connect';
import { createPipelineWorker } from '../../src/worker';
import { eventually } from '../support/eventually';
import { startOfflineModel, type OfflineModel } from '../../src/dev/offlineModel';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { TEST_EGRESS, sharedTestEnv } from '../support/pipelineHarness';

const exporter = new InMemorySpanExporter();
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let client: PipelinesClient;
let http: HttpRecorder;
let llm: OfflineModel;
const taskQueue = `tracing-${Date.now().toString(36)}`;

beforeAll(async () => {
  const env = sharedTestEnv();
  [http, llm] = await Promise.all([startHttpRecorder(), startOfflineModel()]);
  native = await NativeConnection.connect({ address: env.address });
  worker = await createPipelineWorker({
    connection: native,
    namespace: env.namespace,
    taskQueue,
    shutdownGraceTimeMs: 1000,
    activities: { providers: { openai: { baseURL: llm.baseURL, apiKey: 'test-key' } }, egress: TEST_EGRESS },
    tracing: { spanProcessor: new SimpleSpanProcessor(exporter) },
  });
  running = worker.run();
  client = await connect({ address: env.address, namespace: env.namespace, taskQueue, tracing: true });
}, 60_000);
afterAll(async () => {
  worker?.shutdown();
  await running;
  await client?.close();
  await native?.close();
  await http?.close();
  await llm?.close();
});

test('one trace with the run id: start → workflow → node activities → HTTP and LLM calls', async () => {
  llm.script({ reply: 'ship it' });
  const run = await client.start({
    name: 'traced',
    steps: [
      { id: 'ask', action: 'llm', params: { model: 'gpt-test', prompt: 'ready?' } },
      {
        id: 'post',
        action: 'api_call',
        params: {
          url: http.url('/decision'),
          method: 'POST',
          body: { answer: '{{ steps.ask.output.response }}' },
        },
      },
    ],
  });
  await run.result();
  const traceId = run.traceId!;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);

  const spans = await eventually(
    () => Promise.resolve(exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId)),
    (found) =>
      ['RunWorkflow:runPipeline', 'HTTP POST', 'llm gpt-test'].every((n) => found.some((s) => s.name === n)),
  );
  const byName = (name: string): ReadableSpan => {
    const span = spans.find((s) => s.name === name);
    if (!span) throw new Error(`no span ${name}; spans: ${spans.map((s) => s.name).join(', ')}`);
    return span;
  };
  const parentOf = (span: ReadableSpan) =>
    spans.find((s) => s.spanContext().spanId === span.parentSpanId)?.name;

  // The chain: each span's parent is the one before it.
  expect(parentOf(byName('RunWorkflow:runPipeline'))).toBe('StartWorkflow:runPipeline');
  expect(parentOf(byName('StartActivity:llm'))).toBe('RunWorkflow:runPipeline');
  expect(parentOf(byName('RunActivity:llm'))).toBe('StartActivity:llm');
  expect(parentOf(byName('llm gpt-test'))).toBe('RunActivity:llm');
  expect(parentOf(byName('StartActivity:api_call'))).toBe('RunWorkflow:runPipeline');
  expect(parentOf(byName('RunActivity:api_call'))).toBe('StartActivity:api_call');
  expect(parentOf(byName('HTTP POST'))).toBe('RunActivity:api_call');
  expect(byName('HTTP POST').attributes).toMatchObject({ 'http.response.status_code': 200 });

  // The outgoing calls name their own spans.
  const httpSpan = byName('HTTP POST').spanContext();
  expect(http.requestsTo('/decision')[0]!.headers.traceparent).toBe(`00-${traceId}-${httpSpan.spanId}-01`);
  const llmSpan = byName('llm gpt-test').spanContext();
  expect(llm.chatRequests().at(-1)!.headers.traceparent).toBe(`00-${traceId}-${llmSpan.spanId}-01`);
});
