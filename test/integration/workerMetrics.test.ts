/**
 * The worker entrypoint's telemetry (issue 7 item 4), in worker processes: WORKER_METRICS_ADDRESS
 * serves Temporal's worker metrics for Prometheus (its /metrics page counts the run it did), and
 * OTEL_EXPORTER_OTLP_ENDPOINT sends the run's trace over OTLP/HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startPipelineRun } from '../../src/client/runs/startRun';
import { connect } from '../../src/client/connect';
import { sharedTestEnv } from '../support/pipelineHarness';
import { startHttpRecorder, type HttpRecorder } from '../support/httpRecorder';
import { eventually } from '../support/eventually';
import { freePort } from '../support/freePort';

const ROOT = path.join(__dirname, '..', '..');

/** The worker entrypoint as a process, on the shared server and `taskQueue`, with `extra` env. */
function spawnWorker(taskQueue: string, extra: NodeJS.ProcessEnv): ChildProcess {
  const env = sharedTestEnv();
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'worker.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_LOG_LEVEL: 'WARN',
      // The runs call a server this test starts on 127.0.0.1.
      PIPELINE_EGRESS_ALLOW: 'loopback',
      ...extra,
    },
    stdio: 'ignore',
  });
}

let worker: ChildProcess | undefined;
let tracedWorker: ChildProcess | undefined;
let connection: Connection | undefined;
let collector: HttpRecorder | undefined;

afterAll(async () => {
  worker?.kill('SIGTERM');
  tracedWorker?.kill('SIGTERM');
  await connection?.close();
  await collector?.close();
});

test('WORKER_METRICS_ADDRESS serves the worker metrics, counting the runs it completed', async () => {
  const env = sharedTestEnv();
  const port = await freePort();
  const taskQueue = `metrics-${port}`;
  worker = spawnWorker(taskQueue, {
    WORKFLOW_BUNDLE_PATH: env.bundlePath,
    WORKER_METRICS_ADDRESS: `127.0.0.1:${port}`,
  });
  connection = await Connection.connect({ address: env.address });
  const client = new Client({ connection, namespace: env.namespace });
  const run = await startPipelineRun(
    client,
    { name: 'metrics_check', steps: [{ id: 'one', action: 'transform', params: { expression: '1 + 1' } }] },
    { taskQueue },
  );
  expect((await run.result()).outputs).toEqual({ one: 2 });

  const page = await eventually(
    () =>
      fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      ),
    (text) => /temporal_workflow_completed\{[^}]*task_queue="metrics-/.test(text),
    20_000,
  );
  expect(page).toMatch(new RegExp(`temporal_workflow_completed\\{[^}]*task_queue="${taskQueue}"[^}]*\\} 1`));
  expect(page).toMatch(/# TYPE temporal_worker_task_slots_available gauge/);
});

test('OTEL_EXPORTER_OTLP_ENDPOINT sends each run as one trace, with the run id, to the collector', async () => {
  const env = sharedTestEnv();
  collector = await startHttpRecorder();
  const taskQueue = `otlp-${Date.now().toString(36)}`;
  tracedWorker = spawnWorker(taskQueue, {
    // No prebuilt bundle: the worker bundles the workflows with the tracing interceptor.
    WORKFLOW_BUNDLE_PATH: '',
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url(''),
    OTEL_SERVICE_NAME: 'pipelines-under-test',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  });
  const client = await connect({ address: env.address, namespace: env.namespace, taskQueue, tracing: true });
  try {
    const run = await client.start({
      name: 'otlp_check',
      steps: [{ id: 'ping', action: 'api_call', params: { url: collector.url('/ping') } }],
    });
    await run.result();
    const traceId = run.traceId!;
    type OtlpBody = {
      resourceSpans?: Array<{
        resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
        scopeSpans: Array<{ spans: Array<{ traceId: string; name: string }> }>;
      }>;
    };
    const spansOf = () =>
      collector!.requestsTo('/v1/traces').flatMap((r) =>
        ((r.body as OtlpBody).resourceSpans ?? []).flatMap((rs) =>
          rs.scopeSpans.flatMap((ss) =>
            ss.spans.map((span) => ({
              ...span,
              service: rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue,
            })),
          ),
        ),
      );
    const names = await eventually(
      () =>
        Promise.resolve(
          spansOf()
            .filter((span) => span.traceId === traceId)
            .map((span) => span.name),
        ),
      (found) =>
        ['RunWorkflow:runPipeline', 'RunActivity:api_call', 'HTTP GET'].every((n) => found.includes(n)),
      30_000,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'RunWorkflow:runPipeline',
        'StartActivity:api_call',
        'RunActivity:api_call',
        'HTTP GET',
      ]),
    );
    expect(spansOf().find((span) => span.traceId === traceId)?.service).toBe('pipelines-under-test');
    expect(collector.requestsTo('/ping')[0]!.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-`));
  } finally {
    await client.close();
  }
}, 90_000);
