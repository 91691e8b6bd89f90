import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient, type LlmClientOptions } from '../../src/agent/llm/client.ts';
import { LlmError } from '../../src/agent/llm/errors.ts';
import type { GenerateInput, LlmTarget } from '../../src/agent/llm/types.ts';
import { fakeUsage, type FakeLlm, startFakeLlm } from '../helpers/fake-llm.ts';

const PRIMARY_KEY = 'sk-primary-secret-0123456789abcdef';
const FALLBACK_KEY = 'sk-fallback-secret-fedcba9876543210';

let primary: FakeLlm;
let backup: FakeLlm;

beforeAll(async () => {
  primary = await startFakeLlm();
  backup = await startFakeLlm();
});
afterAll(async () => {
  await primary?.close();
  await backup?.close();
});
afterEach(() => {
  primary.requests.length = 0;
  backup.requests.length = 0;
  primary.chunkDelayMs = 0;
});

const target = (fake: FakeLlm, apiKey: string, over: Partial<LlmTarget> = {}): LlmTarget => ({
  provider: 'openai-compatible',
  model: 'fake-model',
  baseUrl: fake.url,
  apiKey,
  parameters: {},
  ...over,
});

const client = (over: Partial<LlmClientOptions> = {}) =>
  createLlmClient({ timeoutMs: 5000, maxRetries: 2, baseDelayMs: 10, maxDelayMs: 2000, ...over });

const input = (over: Partial<GenerateInput> = {}): GenerateInput => ({
  primary: target(primary, PRIMARY_KEY),
  system: 'You are a test agent.',
  messages: [
    { role: 'user', content: 'hello there' },
    { role: 'assistant', content: 'hi' },
    { role: 'user', content: 'what is new' },
  ],
  ...over,
});

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  return err as LlmError;
}

describe('LLM client against the fake OpenAI-compatible server', () => {
  it('returns the scripted reply with token usage, sending system, history and parameters', async () => {
    primary.reply('The scripted answer.');
    const result = await client().generate(
      input({ primary: target(primary, PRIMARY_KEY, { parameters: { temperature: 0.3, max_tokens: 77 } }) }),
    );
    expect(result).toMatchObject({
      text: 'The scripted answer.',
      provider: 'openai-compatible',
      model: 'fake-model',
      usedFallback: false,
    });
    const body = primary.requests[0]?.body;
    const expected = fakeUsage(body, 'The scripted answer.');
    expect(result.usage).toEqual({ inputTokens: expected.prompt_tokens, outputTokens: 3 });
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(primary.requests).toHaveLength(1);
    expect(primary.requests[0]?.path).toBe('/v1/chat/completions');
    expect(primary.requests[0]?.headers.authorization).toBe('[present]');
    expect(body).toMatchObject({
      model: 'fake-model',
      temperature: 0.3,
      max_tokens: 77,
      messages: [
        { role: 'system', content: 'You are a test agent.' },
        { role: 'user', content: 'hello there' },
        { role: 'assistant', content: 'hi' },
        { role: 'user', content: 'what is new' },
      ],
    });
  });

  it('works through the openai provider with a base URL override (Chat Completions)', async () => {
    primary.reply('Via the OpenAI provider.');
    const result = await client().generate(
      input({ primary: target(primary, PRIMARY_KEY, { provider: 'openai', model: 'gpt-4o-mini' }) }),
    );
    expect(result).toMatchObject({
      text: 'Via the OpenAI provider.',
      provider: 'openai',
      model: 'gpt-4o-mini',
    });
    expect(result.usage.outputTokens).toBe(4);
    expect(primary.requests[0]?.path).toBe('/v1/chat/completions');
  });

  it('streams several chunks in order whose join is the reply, with usage from the final chunk', async () => {
    const reply = 'One two three four five six seven eight nine ten.';
    primary.reply(reply);
    primary.chunkDelayMs = 5;
    const chunks: string[] = [];
    const result = await client().generate(input({ onChunk: (t) => chunks.push(t) }));
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.join('')).toBe(reply);
    expect(chunks[0]).toBe('One two ');
    expect(result.text).toBe(reply);
    expect(result.usage.outputTokens).toBe(10);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(primary.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('waits at least the retry-after of a 429 before the second attempt', async () => {
    primary.fail(429, { retryAfter: '1' });
    primary.reply('after the wait');
    const result = await client().generate(input());
    expect(result.text).toBe('after the wait');
    expect(primary.requests).toHaveLength(2);
    const [first, second] = primary.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('answers from the fallback after the primary fails with 500 three times', async () => {
    primary.fail(500, { times: 3 });
    backup.reply('fallback speaking');
    const result = await client().generate(
      input({ fallback: target(backup, FALLBACK_KEY, { model: 'backup' }) }),
    );
    expect(result).toMatchObject({ text: 'fallback speaking', usedFallback: true, model: 'backup' });
    expect(primary.requests).toHaveLength(3);
    expect(backup.requests).toHaveLength(1);
  });

  it('fails with a clear LlmError naming both targets, without keys or provider bodies, when both fail', async () => {
    primary.fail(500, { times: 3 });
    backup.fail(401);
    const err = await failure(client().generate(input({ fallback: target(backup, FALLBACK_KEY) })));
    expect(err.message).toContain('primary openai-compatible/fake-model');
    expect(err.message).toContain('HTTP 500');
    expect(err.message).toContain('after 3 attempts');
    expect(err.message).toContain('fallback openai-compatible/fake-model');
    expect(err.message).toContain('HTTP 401');
    expect(err.code).toBe('llm_auth');
    for (const leak of [PRIMARY_KEY, FALLBACK_KEY, 'sk-', 'fake failure', 'you sent']) {
      expect(err.message).not.toContain(leak);
    }
    expect(JSON.stringify(err)).not.toContain('sk-');
  });

  it('does not retry a 401', async () => {
    primary.fail(401);
    primary.reply('must not be reached');
    const err = await failure(client().generate(input()));
    expect(err.code).toBe('llm_auth');
    expect(err.retryable).toBe(false);
    expect(primary.requests).toHaveLength(1);
    primary.respondWith(() => ({ reply: 'ok from fake' }));
    await client().generate(input()); // drain the queued reply
  });

  it('does not retry a 400 but still tries the fallback', async () => {
    primary.fail(400);
    backup.reply('fallback after 400');
    const result = await client().generate(input({ fallback: target(backup, FALLBACK_KEY) }));
    expect(result.usedFallback).toBe(true);
    expect(primary.requests).toHaveLength(1);
  });

  it('stops at maxRetries + 1 attempts', async () => {
    primary.fail(503, { times: 2 });
    const err = await failure(client({ maxRetries: 1 }).generate(input()));
    expect(err.code).toBe('llm_unavailable');
    expect(err.message).toContain('after 2 attempts');
    expect(primary.requests).toHaveLength(2);
  });

  it('times out an attempt that never answers with llm_timeout', async () => {
    primary.enqueue({ hang: true });
    const started = performance.now();
    const err = await failure(client({ timeoutMs: 1000, maxRetries: 0 }).generate(input()));
    expect(err.code).toBe('llm_timeout');
    expect(err.message).toContain('timed out after 1000 ms');
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('goes to the fallback after one timed-out primary attempt instead of retrying it', async () => {
    primary.enqueue({ hang: true });
    backup.reply('fallback after timeout');
    const result = await client({ timeoutMs: 1000, maxRetries: 2 }).generate(
      input({ fallback: target(backup, FALLBACK_KEY) }),
    );
    expect(result).toMatchObject({ text: 'fallback after timeout', usedFallback: true });
    expect(primary.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(1);
  });

  it('retries a timed-out attempt on the same target when there is no fallback', async () => {
    primary.enqueue({ hang: true });
    primary.reply('second try answers');
    const result = await client({ timeoutMs: 1000, maxRetries: 2 }).generate(input());
    expect(result).toMatchObject({ text: 'second try answers', usedFallback: false });
    expect(primary.requests).toHaveLength(2);
  });

  it('retries a stream that failed before its first chunk, without duplicating text', async () => {
    primary.fail(500);
    primary.reply('clean streamed answer here');
    const chunks: string[] = [];
    const result = await client().generate(input({ onChunk: (t) => chunks.push(t) }));
    expect(chunks.join('')).toBe('clean streamed answer here');
    expect(result.text).toBe('clean streamed answer here');
    expect(primary.requests).toHaveLength(2);
  });

  it('does not retry or fall back once chunks were emitted', async () => {
    primary.enqueue({ chunks: ['partial ', 'answer '], breakAfter: true });
    backup.reply('must not be used');
    const chunks: string[] = [];
    const err = await failure(
      client().generate(input({ onChunk: (t) => chunks.push(t), fallback: target(backup, FALLBACK_KEY) })),
    );
    expect(chunks.join('')).toBe('partial answer ');
    expect(err.code).toBe('llm_unavailable'); // retryable in itself, yet not retried
    expect(err.message).toContain('after the reply had started streaming');
    expect(primary.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(0);
    await client().generate(input({ primary: target(backup, FALLBACK_KEY) })); // drain
  });

  it('gives up at once when the caller aborts, without trying the fallback', async () => {
    primary.enqueue({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(
      client().generate(input({ signal: controller.signal, fallback: target(backup, FALLBACK_KEY) })),
    );
    expect(err.code).toBe('llm_aborted');
    expect(backup.requests).toHaveLength(0);
  });

  it('reports a network error as retryable llm_unavailable', async () => {
    const dead = await startFakeLlm();
    const url = dead.url;
    await dead.close();
    const err = await failure(
      client({ maxRetries: 1 }).generate(input({ primary: target(dead, PRIMARY_KEY, { baseUrl: url }) })),
    );
    expect(err.code).toBe('llm_unavailable');
    expect(err.message).toContain('after 2 attempts');
  });
});
