/**
 * The `llm` activity with the real `openai` client against the fake OpenAI server.
 */
import { CancelledFailure } from '@temporalio/common';
import { createActivities } from '../../../src/activities';
import { resolveProvider } from '../../../src/activities/nodes/llm';
import { NodeActivityError } from '../../../src/activities/nodes/nodeFailures';
import { startOfflineModel, type OfflineModel } from '../../../src/dev/offlineModel';
import { TRACE_ID, detailsOf, failureOf, mockEnv, nodeInput, rejectionOf, runNode } from './support';

let fake: OfflineModel;
beforeAll(async () => {
  fake = await startOfflineModel();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const activities = (extra: Parameters<typeof createActivities>[0] = {}) =>
  createActivities({ env: { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: fake.baseURL }, ...extra });

describe('llm: completions', () => {
  test('JSON completion: response, usage, model, finish reason; request shape and headers', async () => {
    const { env } = mockEnv();
    const result = await runNode(
      env,
      activities().llm!,
      nodeInput({
        model: 'gpt-test',
        system: 'Be brief.',
        prompt: 'hello there',
        temperature: 0.2,
        max_tokens: 50,
      }),
    );
    expect(result).toEqual({
      attempt: 1,
      output: {
        response: 'echo: hello there',
        usage: { promptTokens: 4, completionTokens: 3, totalTokens: 7 },
        model: 'gpt-test',
        finishReason: 'stop',
      },
      usage: { promptTokens: 4, completionTokens: 3, totalTokens: 7 },
      metrics: expect.any(Object),
    });
    const [req] = fake.chatRequests();
    expect(req!.body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there' },
      ],
      temperature: 0.2,
      max_completion_tokens: 50,
      stream: false,
    });
    expect(req!.headers.authorization).toBe('Bearer sk-env');
    expect(req!.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  });

  test('messages come between system and prompt; non-string prompt values are sent as JSON text', async () => {
    const { env } = mockEnv();
    await runNode(
      env,
      activities().llm!,
      nodeInput({
        model: 'm',
        system: 'S',
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'ok' },
        ],
        prompt: { city: 'Paris' },
      }),
    );
    expect(fake.chatRequests()[0]!.body.messages).toEqual([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: '{"city":"Paris"}' },
    ]);
  });

  test('streamed completion accumulates deltas, reads usage from the last chunk, heartbeats per chunk', async () => {
    fake.script({ reply: 'one two three', tokens: ['one ', 'two ', 'three'], chunkDelayMs: 5 });
    const { env, heartbeats } = mockEnv();
    const result = await runNode(
      env,
      activities().llm!,
      nodeInput({ model: 'm', prompt: 'count', stream: true }),
    );
    expect(result.output).toEqual({
      response: 'one two three',
      usage: { promptTokens: 1, completionTokens: 3, totalTokens: 4 },
      model: 'm',
      finishReason: 'stop',
    });
    expect(result.usage).toEqual({ promptTokens: 1, completionTokens: 3, totalTokens: 4 });
    const req = fake.chatRequests()[0]!;
    expect(req.body.stream).toBe(true);
    expect(req.body.stream_options).toEqual({ include_usage: true });
    // role chunk + 3 content chunks + finish chunk + usage chunk
    expect(heartbeats).toEqual(
      expect.arrayContaining([
        { chunks: 4, chars: 13 },
        { chunks: 6, chars: 13 },
      ]),
    );
  });

  test('json mode asks for a JSON object and parses the reply', async () => {
    fake.script({ reply: '{"city":"Paris","population":2100000}' });
    const { env } = mockEnv();
    const result = await runNode(
      env,
      activities().llm!,
      nodeInput({ model: 'm', prompt: 'json please', json: true }),
    );
    expect(fake.chatRequests()[0]!.body.response_format).toEqual({ type: 'json_object' });
    expect((result.output as { response: unknown }).response).toEqual({ city: 'Paris', population: 2100000 });
  });

  test('json mode: malformed JSON is retryable; JSON cut off at max_tokens is not', async () => {
    fake.script({ reply: 'not json' }, { reply: '{"a": [1, 2', finishReason: 'length' });
    const { env } = mockEnv();
    const llm = activities().llm!;
    const malformed = await failureOf(
      runNode(env, llm, nodeInput({ model: 'm', prompt: 'json', json: true })),
    );
    expect(malformed).toMatchObject({ type: 'UpstreamUnavailable', nonRetryable: false });
    expect(malformed.message).toContain('invalid JSON');
    const cut = await failureOf(
      runNode(env, llm, nodeInput({ model: 'm', prompt: 'json', json: true, max_tokens: 5 })),
    );
    expect(cut).toMatchObject({ type: 'BadRequest', nonRetryable: true });
    expect(cut.message).toContain('raise max_tokens');
  });
});

describe('llm: providers', () => {
  test('a named provider: baseURL, key from apiKeyEnv, defaultModel, extra headers, max_tokens field', async () => {
    const acts = createActivities({
      env: { LOCAL_KEY: 'sk-local' },
      providers: {
        local: {
          baseURL: fake.baseURL,
          apiKeyEnv: 'LOCAL_KEY',
          defaultModel: 'llama-test',
          headers: { 'x-team': 'ai' },
        },
      },
    });
    const { env } = mockEnv();
    const result = await runNode(
      env,
      acts.llm!,
      nodeInput({ provider: 'local', prompt: 'hi', max_tokens: 9 }),
    );
    expect((result.output as { model: string }).model).toBe('llama-test');
    const req = fake.chatRequests()[0]!;
    expect(req.headers.authorization).toBe('Bearer sk-local');
    expect(req.headers['x-team']).toBe('ai');
    expect(req.body.max_tokens).toBe(9);
    expect(req.body.max_completion_tokens).toBeUndefined();
  });

  test('a provider without a key sends no Authorization header', async () => {
    const acts = createActivities({
      env: {},
      providers: { ollama: { baseURL: fake.baseURL, defaultModel: 'llama' } },
    });
    const { env } = mockEnv();
    await runNode(env, acts.llm!, nodeInput({ provider: 'ollama', prompt: 'hi' }));
    expect(fake.chatRequests()[0]!.headers.authorization).toBeUndefined();
  });

  test('openai configured explicitly overrides the environment', async () => {
    const acts = createActivities({
      env: { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
      providers: { openai: { baseURL: fake.baseURL, apiKey: 'sk-config' } },
    });
    const { env } = mockEnv();
    await runNode(env, acts.llm!, nodeInput({ model: 'm', prompt: 'hi' }));
    expect(fake.chatRequests()[0]!.headers.authorization).toBe('Bearer sk-config');
  });

  test('resolveProvider: env defaults for openai, errors for unknown providers and missing keys', () => {
    expect(resolveProvider('openai', {}, { OPENAI_API_KEY: 'k' })).toMatchObject({
      baseURL: 'https://api.openai.com/v1',
      apiKey: 'k',
      maxTokensParam: 'max_completion_tokens',
    });
    expect(
      resolveProvider('openai', {}, { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://x/v1' }).baseURL,
    ).toBe('http://x/v1');
    expect(() => resolveProvider('openai', {}, {})).toThrow(/OPENAI_API_KEY is not set/);
    expect(() => resolveProvider('groq', { local: {} }, {})).toThrow(
      /unknown LLM provider "groq"; this worker has: local, openai/,
    );
    expect(() => resolveProvider('g', { g: { apiKeyEnv: 'G_KEY' } }, {})).toThrow(/G_KEY is not set/);
    expect(() => resolveProvider('toString', {}, {})).toThrow(NodeActivityError);
  });

  test('config errors fail the activity with a non-retryable NodeConfigError and send nothing', async () => {
    const { env } = mockEnv();
    const acts = activities();
    const unknown = await failureOf(
      runNode(env, acts.llm!, nodeInput({ provider: 'nope', model: 'm', prompt: 'x' })),
    );
    expect(unknown).toMatchObject({ type: 'NodeConfigError', nonRetryable: true });
    const noKey = await failureOf(
      runNode(env, createActivities({ env: {} }).llm!, nodeInput({ model: 'm', prompt: 'x' })),
    );
    expect(noKey).toMatchObject({ type: 'NodeConfigError', nonRetryable: true });
    const noModel = await failureOf(runNode(env, acts.llm!, nodeInput({ prompt: 'x' })));
    expect(noModel.message).toContain('no model');
    const noPrompt = await failureOf(runNode(env, acts.llm!, nodeInput({ model: 'm' })));
    expect(noPrompt.message).toContain('needs `prompt` or `messages`');
    const badParams = await failureOf(
      runNode(env, acts.llm!, nodeInput({ model: 'm', prompt: 'x', temperature: 'hot' })),
    );
    expect(badParams).toMatchObject({ type: 'NodeConfigError', nonRetryable: true });
    expect(badParams.message).toContain('params.temperature');
    expect(fake.chatRequests()).toHaveLength(0);
  });

  test('malformed provider config is rejected when the activities are created', () => {
    expect(() => createActivities({ providers: { bad: { baseURL: 'not a url' } } })).toThrow(
      /Invalid activities configuration: config.providers.bad.baseURL/,
    );
  });
});

describe('llm: failures', () => {
  const run = async (params: Record<string, unknown> = {}, attempt = 1) => {
    const { env } = mockEnv({ attempt });
    return failureOf(runNode(env, activities().llm!, nodeInput({ model: 'm', prompt: 'x', ...params })));
  };

  test('429 with retry-after: 2 → RateLimited, retryable, nextRetryDelay 2 s, status in details', async () => {
    fake.script({ status: 429, retryAfter: 2 });
    const failure = await run({}, 3);
    expect(failure).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 2000 });
    expect(detailsOf(failure)).toEqual({ attempt: 3, status: 429, metrics: expect.any(Object) });
  });

  test.each([
    [500, 'UpstreamUnavailable', false],
    [503, 'UpstreamUnavailable', false],
    [400, 'BadRequest', true],
    [401, 'Unauthorized', true],
    [403, 'Unauthorized', true],
  ] as const)('HTTP %i → %s (nonRetryable %s)', async (status, type, nonRetryable) => {
    fake.script({ status });
    const failure = await run();
    expect(failure).toMatchObject({ type, nonRetryable });
    expect(detailsOf(failure).status).toBe(status);
    expect(fake.chatRequests()).toHaveLength(1); // maxRetries: 0 — Temporal owns retries
  });

  test('a stream broken mid-way is a retryable UpstreamUnavailable', async () => {
    fake.script({ breakAfterChunks: 2, reply: 'a b c d e' });
    const failure = await run({ stream: true });
    expect(failure).toMatchObject({ type: 'UpstreamUnavailable', nonRetryable: false });
    expect(fake.chatRequests()[0]!.chunksSent).toBe(2);
  });

  test('a JSON response cut off mid-body is a retryable UpstreamUnavailable', async () => {
    fake.script({ breakAfterChunks: 0 });
    expect(await run()).toMatchObject({ type: 'UpstreamUnavailable', nonRetryable: false });
  });

  test('an unreachable provider is a retryable UpstreamUnavailable', async () => {
    const { env } = mockEnv();
    const acts = createActivities({ env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
    const failure = await failureOf(runNode(env, acts.llm!, nodeInput({ model: 'm', prompt: 'x' })));
    expect(failure).toMatchObject({ type: 'UpstreamUnavailable', nonRetryable: false });
  });
});

describe('llm: cancellation', () => {
  test('cancelling while the server hangs rejects with cancellation and closes the connection', async () => {
    fake.script({ hang: true });
    const { env } = mockEnv();
    const running = runNode(env, activities().llm!, nodeInput({ model: 'm', prompt: 'x' }));
    await fake.waitForChatRequests(1);
    env.cancel();
    const err = await rejectionOf(running);
    expect(err).toBeInstanceOf(CancelledFailure);
    await fake.waitFor(
      () => fake.chatRequests()[0]!.clientClosed,
      2000,
      'the client to close the connection',
    );
  });

  test('cancelling mid-stream stops reading and closes the stream', async () => {
    fake.script({ reply: 'a b c d e f g h', chunkDelayMs: 200 });
    const { env } = mockEnv();
    const running = runNode(env, activities().llm!, nodeInput({ model: 'm', prompt: 'x', stream: true }));
    await fake.waitFor(() => (fake.chatRequests()[0]?.chunksSent ?? 0) >= 1, 3000, 'the first chunk');
    env.cancel();
    expect(await rejectionOf(running)).toBeInstanceOf(CancelledFailure);
    await fake.waitFor(() => fake.chatRequests()[0]!.clientClosed, 2000, 'the client to close the stream');
    expect(fake.chatRequests()[0]!.completed).toBe(false);
  });
});

describe('llm: budgets and prices', () => {
  const priced = () =>
    activities({
      providers: {
        openai: {
          baseURL: fake.baseURL,
          apiKey: 'k',
          prices: { 'gpt-priced': { inputPerMillion: 1, outputPerMillion: 4 } },
        },
      },
    });

  test("with a price, usage carries the call's cost (prompt and completion at their prices)", async () => {
    fake.script({
      reply: 'fine',
      usage: { prompt_tokens: 1000, completion_tokens: 250, total_tokens: 1250 },
    });
    const { env } = mockEnv();
    const result = await runNode(env, priced().llm!, nodeInput({ model: 'gpt-priced', prompt: 'hi' }));
    // 1000 × $1/M + 250 × $4/M
    expect(result.usage).toEqual({
      promptTokens: 1000,
      completionTokens: 250,
      totalTokens: 1250,
      costUsd: 0.002,
    });
  });

  test("the budget's tokens left cap the reply below the step's own max_tokens; the fake cuts it there", async () => {
    fake.script({ reply: 'one two three four five six seven eight' });
    const { env, logs } = mockEnv();
    const result = await runNode(
      env,
      priced().llm!,
      nodeInput({ model: 'm', prompt: 'count', max_tokens: 50 }, { budget: { maxCompletionTokens: 3 } }),
    );
    expect(fake.chatRequests()[0]!.body.max_completion_tokens).toBe(3);
    expect(result.output).toMatchObject({ response: 'one two three ', finishReason: 'length' });
    expect(result.usage).toMatchObject({ completionTokens: 3 });
    expect(JSON.stringify(logs)).toContain('cut off at 3 completion token(s)');
  });

  test("the step's own smaller max_tokens is kept under a budget", async () => {
    const { env } = mockEnv();
    await runNode(
      env,
      priced().llm!,
      nodeInput({ model: 'm', prompt: 'x', max_tokens: 2 }, { budget: { maxCompletionTokens: 30 } }),
    );
    expect(fake.chatRequests()[0]!.body.max_completion_tokens).toBe(2);
  });

  test("a cost budget caps the reply at what it buys at the model's output price", async () => {
    const { env } = mockEnv();
    await runNode(
      env,
      priced().llm!,
      // $0.00002 at $4 per million output tokens buys 5 tokens
      nodeInput({ model: 'gpt-priced', prompt: 'x' }, { budget: { maxCostUsd: 0.00002 } }),
    );
    expect(fake.chatRequests()[0]!.body.max_completion_tokens).toBe(5);
  });

  test('a cost budget on a model without a price is refused before any call; one that buys nothing too', async () => {
    const { env } = mockEnv();
    const unpriced = await failureOf(
      runNode(
        env,
        priced().llm!,
        nodeInput({ model: 'gpt-unknown', prompt: 'x' }, { budget: { maxCostUsd: 1 } }),
      ),
    );
    expect(unpriced).toMatchObject({ type: 'BudgetUnpriced', nonRetryable: true });
    expect(unpriced.message).toContain('no price for model "gpt-unknown"');
    const broke = await failureOf(
      runNode(
        env,
        priced().llm!,
        nodeInput({ model: 'gpt-priced', prompt: 'x' }, { budget: { maxCostUsd: 1e-7 } }),
      ),
    );
    expect(broke).toMatchObject({ type: 'BudgetExceeded', nonRetryable: true });
    expect(fake.chatRequests()).toHaveLength(0);
  });
});
