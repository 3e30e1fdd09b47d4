/**
 * OpenTelemetry tracing: one trace per run, with the run's `traceId`, from the client's start
 * through the workflow and each node activity to the node's outgoing HTTP and LLM calls.
 * Temporal's interceptors carry the context across (`@temporalio/interceptors-opentelemetry`);
 * this module wires them into the worker and the client, and starts the spans of outgoing calls.
 * Everything here is a no-op until tracing is turned on.
 */
import {
  context,
  isSpanContextValid,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Span,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';

/** Turns tracing on in a worker (`createPipelineWorker({ tracing })`). */
export interface TracingOptions {
  /** Where spans go, e.g. `new BatchSpanProcessor(new OTLPTraceExporter())`. */
  spanProcessor: SpanProcessor;
  /** @default service.name `temporal-pipelines-worker` */
  resource?: Resource;
}

const TRACER = 'temporal-pipelines';

/** The module the workflow bundle must include for workflow spans (`bundleWorkflows({ tracing: true })`). */
export const WORKFLOW_TRACING_MODULE =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/**
 * Registers a global tracer provider with `spanProcessor` (and an AsyncLocalStorage context
 * manager) unless the process has one, and returns the worker options that trace workflows and
 * activities: interceptors and the sink workflow spans are exported through.
 */
export function workerTracing(options: TracingOptions): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const resource = options.resource ?? new Resource({ 'service.name': 'temporal-pipelines-worker' });
  const registered = trace.getTracerProvider() as { getDelegate?: () => unknown };
  if (!(registered.getDelegate?.() instanceof BasicTracerProvider)) {
    const provider = new BasicTracerProvider({ resource });
    provider.addSpanProcessor(options.spanProcessor);
    provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  }
  return {
    // Workflow spans come from the interceptor module in the bundle (`bundleWorkflows({ tracing: true })`).
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(options.spanProcessor, resource) },
  };
}

/**
 * The client interceptor that starts a run's trace (`connect({ tracing: true })`). It passes the
 * trace to the workflow in W3C `traceparent` form: a process without an OpenTelemetry SDK of its
 * own gets the W3C propagator and an AsyncLocalStorage context manager (ones it registered stay).
 */
export function clientTracingInterceptor(): OpenTelemetryWorkflowClientInterceptor {
  // Both calls do nothing when the process registered its own.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return new OpenTelemetryWorkflowClientInterceptor();
}

/** The trace id of the caller's active span, so a run started inside a trace joins it. */
export function activeTraceId(): string | undefined {
  const span = trace.getSpan(context.active());
  const spanContext = span?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/**
 * Runs `start` where the active trace is `traceId` (the run's): a start outside any trace
 * begins the run's own; a start inside one (same trace id, see `activeTraceId`) keeps its span.
 */
export function withRunTrace<T>(traceId: string, start: () => Promise<T>): Promise<T> {
  if (activeTraceId() === traceId) return start();
  const parent = trace.setSpanContext(context.active(), {
    traceId,
    spanId: randomBytes(8).toString('hex'),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  return context.with(parent, start);
}

/**
 * Runs an outgoing call in a client span (`HTTP POST`, `llm gpt-4o-mini`), child of the active
 * node activity's span, and hands it the `traceparent` to send: the span's own when tracing is
 * on, else `fallback` (the run's trace id with a fresh span id).
 */
export async function tracedCall<T>(
  name: string,
  attributes: Record<string, string | number>,
  fallback: Readonly<Record<string, string>>,
  call: (traceHeaders: Readonly<Record<string, string>>, span: Span) => Promise<T>,
): Promise<T> {
  return trace
    .getTracer(TRACER)
    .startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const sc = span.spanContext();
      const headers =
        span.isRecording() && isSpanContextValid(sc)
          ? { traceparent: `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TraceFlags.SAMPLED}` }
          : fallback;
      try {
        return await call(headers, span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    });
}
