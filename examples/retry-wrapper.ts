/**
 * Retrying runs the right way: back off and retry what is transient, never retry a run that
 * failed, and never leave a run you stopped waiting for running. The TypeScript version of the
 * background-runs guide's `run_with_retries`, exported as `runWithRetries`.
 *
 * Shows
 * - `RateLimitError` (Temporal refused the call for load): wait `retryAfterMs` when the error
 *   carries it, else exponential backoff with jitter, then try again;
 * - `InternalServerError` (Temporal unavailable): the same backoff, then try again;
 * - `PipelineRunFailedError`: never retried: a failed run means bad input or a bad pipeline (node
 *   retries belong in the step's own `retry` policy). Prints the task id and the error, rethrows;
 * - `PollTimeoutError`: the run is terminated with `pipeline.terminate({ runId })`, then rethrown;
 * - every attempt uses one idempotency key, so a retry after a transient error while waiting
 *   finds the run that was already started instead of starting a second one.
 * The script runs one pipeline that succeeds, one whose `api_call` step hits an upstream that
 * answers 500 (with `retry: { maxAttempts: 1 }`) and one that is slower than the wait.
 *
 * Run it
 *   npm run example:retry
 * (local Temporal server or TEMPORAL_ADDRESS, worker in this process, offline model unless
 * OPENAI_API_KEY / OPENAI_BASE_URL are set: see examples/support/localStack.ts)
 *
 * Prints
 *   1. a run that succeeds
 *     attempt 1/3: started task_id=retry-summariser-… trace_id=…
 *     outputs = {"output_0":"echo: Name three moons of Jupiter."}
 *     runs started: 1
 *   2. a run that fails is not retried
 *     attempt 1/3: started task_id=retry-flaky-upstream-… trace_id=…
 *     run retry-flaky-upstream-… failed at node fetch after 1 attempt(s): step "fetch" failed after
 *       1 attempt(s): POST http://127.0.0.1:…/enrich → 500 Internal Server Error: {"error":"upstream is down"}
 *     runs started: 1, upstream called 1 time(s)
 *   3. a run slower than the wait is terminated
 *     attempt 1/3: started task_id=retry-summariser-… trace_id=…
 *     timed out waiting on retry-summariser-…; terminated
 *     status = terminated
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InternalServerError,
  NotFoundError,
  Pipeline,
  PipelineRunFailedError,
  PollTimeoutError,
  RateLimitError,
  type ClientDuration,
  type PipelinesClient,
  type RunHandle,
  type RunResult,
} from '../src';
import { startLocalStack } from './support/localStack';

export interface RunWithRetriesOptions {
  /** Attempts in all, the first included. @default 3 */
  maxRetries?: number;
  /** How often to check the run's status while waiting. @default '2s' */
  pollInterval?: ClientDuration;
  /** How long to wait for the run before terminating it. @default '30m' */
  timeout?: ClientDuration;
  /** Backoff base: attempt n waits base·2ⁿ plus up to one base of jitter. @default 1000 */
  baseDelayMs?: number;
  /** Makes every attempt start (or find) the same run. @default a new UUID per call */
  idempotencyKey?: string;
  /** Called with each handle `start` returns (log its ids: they are what support asks for). */
  onStart?: (handle: RunHandle, attempt: number) => void;
  /** @default console.log */
  log?: (line: string) => void;
}

/** The part of a `Pipeline` the wrapper uses. */
export type StartablePipeline<Inputs> = Pick<Pipeline<Inputs>, 'start' | 'terminate'>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long to wait before attempt `attempt + 1`. */
function backoffMs(attempt: number, baseDelayMs: number, err: unknown): number {
  if (err instanceof RateLimitError && err.retryAfterMs !== undefined) return err.retryAfterMs;
  return baseDelayMs * 2 ** attempt + Math.random() * baseDelayMs;
}

/**
 * Starts a run and waits for its result, retrying what is transient.
 * @throws PipelineRunFailedError at once when the run failed (never retried).
 * @throws PollTimeoutError after terminating the run, when it did not finish within `timeout`.
 * @throws Error (its `cause` the last error) when every attempt hit a transient error.
 */
export async function runWithRetries<Inputs>(
  pipeline: StartablePipeline<Inputs>,
  inputs: Inputs,
  options: RunWithRetriesOptions = {},
): Promise<RunResult> {
  const maxRetries = options.maxRetries ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const idempotencyKey = options.idempotencyKey ?? randomUUID();
  const log = options.log ?? ((line: string) => console.log(line));
  let lastError: unknown;

  for (let attempt = 0; attempt < maxRetries; attempt++) {
    try {
      const handle = await pipeline.start({ inputs, idempotencyKey });
      (
        options.onStart ??
        ((h, n) =>
          log(`attempt ${n}/${maxRetries}: started task_id=${h.taskId} trace_id=${h.traceId ?? '-'}`))
      )(handle, attempt + 1);
      return await handle.result({
        pollInterval: options.pollInterval ?? '2s',
        timeout: options.timeout ?? '30m',
      });
    } catch (err) {
      if (err instanceof PipelineRunFailedError) {
        // Don't retry: bad input or a bad pipeline, not a flake.
        const where = err.nodeId ? ` at node ${err.nodeId} after ${err.attempts ?? '?'} attempt(s)` : '';
        log(`run ${err.taskId} failed${where}: ${err.runError}`);
        throw err;
      }
      if (err instanceof PollTimeoutError) {
        // Make sure the run does not keep consuming compute.
        await pipeline.terminate({ runId: err.taskId, reason: 'runWithRetries: gave up waiting' });
        log(`timed out waiting on ${err.taskId}; terminated`);
        throw err;
      }
      if (!(err instanceof RateLimitError || err instanceof InternalServerError)) throw err;
      lastError = err;
      if (attempt + 1 === maxRetries) break;
      const delay = backoffMs(attempt, baseDelayMs, err);
      const what = err instanceof RateLimitError ? 'rate limited' : 'server error';
      log(`${what}; retry ${attempt + 2}/${maxRetries} in ${(delay / 1000).toFixed(1)}s`);
      await sleep(delay);
    }
  }
  throw new Error(`runWithRetries: exhausted ${maxRetries} attempts`, { cause: lastError });
}

/** The "create or update" idiom: the saved pipeline if there is one, else a new one. */
async function fetchOrNew<Inputs>(name: string, client: PipelinesClient): Promise<Pipeline<Inputs>> {
  try {
    return await Pipeline.fetch<Inputs>({ name, client });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return Pipeline.new<Inputs>({ name, client });
  }
}

/** An upstream that is down: answers every request with 500 and counts them. */
async function startBrokenUpstream(): Promise<{
  url: string;
  calls: () => number;
  close: () => Promise<void>;
}> {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'upstream is down' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/enrich`,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function main(): Promise<void> {
  const stack = await startLocalStack();
  const upstream = await startBrokenUpstream();
  const { client } = stack;
  try {
    const summariser = await fetchOrNew<{ input_0: string }>(stack.pipelineName('retry_summariser'), client);
    const inp = summariser.add({ name: 'input_0' }).input({ inputType: 'string' });
    const llm = summariser
      .add({ name: 'llm' })
      .llm({ provider: 'openai', model: stack.modelName('gpt-4o-mini'), prompt: inp.text });
    summariser.add({ name: 'output_0' }).output({ outputType: 'string', value: llm.response });
    await summariser.save({ deploy: true });

    let starts = 0;
    const onStart = (handle: RunHandle, attempt: number) => {
      starts++;
      console.log(
        `  attempt ${attempt}/3: started task_id=${handle.taskId} trace_id=${handle.traceId ?? '-'}`,
      );
      stack.printRunLink(handle.taskId);
    };
    const log = (line: string) => console.log(`  ${line}`);

    console.log('1. a run that succeeds');
    const ok = await runWithRetries(
      summariser,
      { input_0: 'Name three moons of Jupiter.' },
      { onStart, log },
    );
    console.log(`  outputs = ${JSON.stringify(ok.outputs)}`);
    console.log(`  runs started: ${starts}`);

    console.log('2. a run that fails is not retried');
    const flaky = await fetchOrNew<{ topic: string }>(stack.pipelineName('retry_flaky_upstream'), client);
    const topic = flaky.add({ name: 'topic' }).input({ inputType: 'string' });
    const fetched = flaky
      .add({ name: 'fetch', retry: { maxAttempts: 1 } })
      .apiCall({ url: upstream.url, method: 'POST', body: { topic: topic.value } });
    flaky.add({ name: 'enriched' }).output({ value: fetched.body });
    await flaky.save({ deploy: true });

    starts = 0;
    try {
      await runWithRetries(flaky, { topic: 'space' }, { onStart, log });
      throw new Error('expected the run to fail');
    } catch (err) {
      if (!(err instanceof PipelineRunFailedError)) throw err;
    }
    console.log(`  runs started: ${starts}, upstream called ${upstream.calls()} time(s)`);

    console.log('3. a run slower than the wait is terminated');
    // Offline, make the model take 30 s for this one reply; a real model writes the essay slowly anyway.
    stack.model?.script({ reply: 'A very long essay.', delayMs: 30_000 });
    starts = 0;
    try {
      await runWithRetries(
        summariser,
        { input_0: 'Write a 500 word essay about the history of computing.' },
        { onStart, log, pollInterval: '500ms', timeout: '2s' },
      );
      throw new Error('expected the wait to time out');
    } catch (err) {
      if (!(err instanceof PollTimeoutError)) throw err;
      // Any process can look the run up by its task id.
      const status = await client.runs.get(err.taskId).runStatus();
      console.log(`  status = ${status.status}`);
    }
  } finally {
    await upstream.close();
    await stack.close();
  }
}

// Run the demonstration only when executed directly, not when imported for `runWithRetries`.
if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
