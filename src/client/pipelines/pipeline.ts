/**
 * `Pipeline`: the typed builder together with its saved versions and runs.
 *
 * @example
 * let pipeline: Pipeline<{ question: string }>;
 * try {
 *   pipeline = await Pipeline.fetch({ name: 'qa', client });
 * } catch (err) {
 *   if (!(err instanceof NotFoundError)) throw err;
 *   pipeline = await Pipeline.new({ name: 'qa', client });
 * }
 * const question = pipeline.add({ name: 'question' }).input({ inputType: 'string' });
 * const llm = pipeline.add({ name: 'llm' }).llm({ model: 'gpt-4o-mini', prompt: question.text });
 * pipeline.add({ name: 'answer' }).output({ outputType: 'string', value: llm.response });
 * await pipeline.save({ deploy: true });
 * const run = await pipeline.start({ inputs: { question: 'Why is the sky blue?' } });
 */
import {
  hashJson,
  PipelineBuilder,
  PipelineValidationError,
  type CompileOptions,
  type PipelineDefinitionInput,
} from '../../model';
import { registryWorkflowId, type SaveResult } from '../../protocol';
import type { PipelinesClient } from '../connect';
import { AlreadyExistsError, NotFoundError } from '../errors';
import type { RunHandle, RunResult } from '../runs/runHandle';
import { sseFrame, type SseOptions } from '../streaming/sse';
import type { ClientDuration, StartRunOptions } from '../runs/startRun';
import type { RunStreamChunk, StreamOptions } from '../streaming/stream';

/** Options of `pipeline.start()`; `inputs` is typed by the pipeline's `Inputs`. */
export interface PipelineStartOptions<Inputs> extends Omit<
  StartRunOptions,
  'inputs' | 'pipelineVersion' | 'workflowId' | 'taskQueue'
> {
  inputs?: Inputs;
}

/**
 * A run started for streaming: iterate it for its chunks (or frames); `handle` is the run's handle
 * (its `taskId` lets any process read or resume the stream later).
 */
export interface RunStream<T> extends AsyncIterable<T> {
  /** Rejects as `start()` would (e.g. `PipelineValidationError`); iterating rethrows that error. */
  readonly handle: Promise<RunHandle>;
}

function startedStream<T>(
  handle: Promise<RunHandle>,
  read: (handle: RunHandle) => AsyncIterable<T>,
): RunStream<T> {
  handle.catch(() => undefined); // reported to whoever iterates or awaits `handle`
  return {
    handle,
    async *[Symbol.asyncIterator]() {
      yield* read(await handle);
    },
  };
}

export interface PipelineRef {
  name: string;
  client: PipelinesClient;
}

export class Pipeline<Inputs = Record<string, unknown>> extends PipelineBuilder<Inputs> {
  private savedVersion: number | undefined;
  private savedHash: string | undefined;

  private constructor(
    private readonly client: PipelinesClient,
    name: string,
    description?: string,
  ) {
    super(name, description);
  }

  /**
   * A new, empty pipeline. Nothing is stored until `save()`.
   * @throws AlreadyExistsError when a pipeline with this name is saved already (use `fetch`).
   */
  static async new<Inputs = Record<string, unknown>>(
    options: PipelineRef & { description?: string },
  ): Promise<Pipeline<Inputs>> {
    const exists = await options.client.pipelines.get(options.name).then(
      () => true,
      (err: unknown) => {
        if (err instanceof NotFoundError) return false;
        throw err;
      },
    );
    if (exists) {
      throw new AlreadyExistsError(`A pipeline named ${options.name} exists already; use Pipeline.fetch()`);
    }
    return new Pipeline<Inputs>(options.client, options.name, options.description);
  }

  /**
   * A saved pipeline: `version`, else its deployed version, else its latest. Adding nodes to it
   * replaces nodes of the same name, so fetch-then-add is idempotent.
   * @throws NotFoundError
   */
  static async fetch<Inputs = Record<string, unknown>>(
    options: PipelineRef & { version?: number },
  ): Promise<Pipeline<Inputs>> {
    const saved = await options.client.pipelines.version(options.name, options.version);
    const pipeline = new Pipeline<Inputs>(options.client, options.name);
    pipeline.load(saved.definition as PipelineDefinitionInput);
    pipeline.markSaved(saved.version);
    return pipeline;
  }

  /** The id of the pipeline's registry entity in Temporal. */
  get id(): string {
    return registryWorkflowId(this.name);
  }

  /** The saved version this object was fetched as or last saved as; undefined before the first save. */
  get version(): number | undefined {
    return this.savedVersion;
  }

  /** Whether the definition differs from the saved `version`. */
  get hasUnsavedChanges(): boolean {
    return this.savedHash === undefined || this.savedHash !== hashJson(this.definition);
  }

  /**
   * Validates (the same issues as the compiler) and saves the definition as a new immutable
   * version, unless it equals the latest one.
   * @param options.deploy make it the version new runs of this pipeline use. @default false
   * @throws PipelineValidationError (nothing is stored)
   */
  async save(options: { deploy?: boolean; actions?: CompileOptions['actions'] } = {}): Promise<SaveResult> {
    const result = await this.client.pipelines.save({
      name: this.name,
      definition: this.definition,
      description: this.description,
      deploy: options.deploy,
      actions: options.actions,
    });
    this.markSaved(result.version);
    return result;
  }

  /**
   * Starts a run of the saved `version` and returns its handle at once; the run keeps that
   * version whatever is saved or deployed later.
   * @throws PipelineValidationError when the inputs do not fit the input nodes, or the pipeline has
   * unsaved changes (nothing is started).
   */
  async start(options: PipelineStartOptions<Inputs> = {}): Promise<RunHandle> {
    if (this.hasUnsavedChanges) {
      throw new PipelineValidationError([
        {
          path: [],
          code: 'unsaved_changes',
          message: `Pipeline ${this.name} has changes that were never saved: call save() before start().`,
        },
      ]);
    }
    return this.client.start(this.definition, {
      ...options,
      inputs: options.inputs as Record<string, unknown> | undefined,
      pipelineVersion: String(this.savedVersion),
    });
  }

  /**
   * Starts a run and waits for it to end (`timeout` is the run's own limit).
   * @throws PipelineRunFailedError when the run does not complete (failed, cancelled, terminated, timed out).
   */
  run(options?: PipelineStartOptions<Inputs> & { pollInterval?: ClientDuration }): Promise<RunResult>;
  /**
   * Starts a run and yields it as Server-Sent-Events frames, `data: <json>\n\n`, one per chunk of
   * `handle.stream()`; the last is the `result`. The JSON is the chunk, with the reference SDK's
   * names alongside (`output_name`, `output_value`, `run_id`) and its `seq`, the cursor to resume
   * from (`handle.stream({ from: seq })`). To serve a run over HTTP with `id:` lines and
   * `Last-Event-ID` resume, use `sseResponse(handle)` / `toSseFrames(handle)`.
   * @example
   * for await (const frame of pipeline.run({ inputs: { input_0: 'Tell me a story' } }, { stream: true })) {
   *   if (!frame.startsWith('data: ')) continue;
   *   const data = JSON.parse(frame.slice(6));
   *   if (data.output_name === 'output_0') process.stdout.write(data.output_value);
   * }
   */
  run(
    options: PipelineStartOptions<Inputs>,
    mode: { stream: true } & Omit<SseOptions, 'lastEventId'>,
  ): RunStream<string>;
  run(
    options: PipelineStartOptions<Inputs> & { pollInterval?: ClientDuration } = {},
    mode?: { stream: true } & Omit<SseOptions, 'lastEventId'>,
  ): Promise<RunResult> | RunStream<string> {
    if (mode?.stream) {
      const { stream: _stream, ...read } = mode;
      return startedStream(this.start(options), async function* (handle) {
        for await (const chunk of handle.stream(read)) yield sseFrame(chunk, { dataOnly: true });
      });
    }
    const { pollInterval, ...start } = options;
    return this.start(start).then((handle) => handle.result({ pollInterval }));
  }

  /**
   * Starts a run and yields its chunks as it runs: node status changes, intermediate outputs and
   * LLM token deltas, then the result (see `RunHandle.stream()` for the contract: a failed run ends
   * with a `result` chunk of status `failed`, it does not throw).
   * @example
   * for await (const chunk of pipeline.stream({ inputs: { question: 'Why is the sky blue?' } })) {
   *   if (chunk.type === 'stream') process.stdout.write(chunk.outputValue);
   *   else if (chunk.type === 'result') console.log('\n', chunk.status, chunk.outputs);
   * }
   * @throws PipelineValidationError (on iteration) when the run cannot start.
   */
  stream(
    options: PipelineStartOptions<Inputs> & Omit<StreamOptions, 'from'> = {},
  ): RunStream<RunStreamChunk> {
    const { pollInterval, maxPollInterval, limit, signal, ...start } = options;
    return startedStream(this.start(start), (handle) =>
      handle.stream({ pollInterval, maxPollInterval, limit, signal }),
    );
  }

  /** Terminates a run of this pipeline by its id (`handle.taskId`), from any process. */
  async terminate(options: { runId: string; reason?: string }): Promise<void> {
    await this.client.runs.get(options.runId).terminate(options.reason);
  }

  /** Cancels a run by its id: in-flight nodes are cancelled, then the run ends `cancelled`. */
  async cancel(options: { runId: string }): Promise<void> {
    await this.client.runs.get(options.runId).cancel();
  }

  private markSaved(version: number): void {
    this.savedVersion = version;
    this.savedHash = hashJson(this.definition);
  }
}
