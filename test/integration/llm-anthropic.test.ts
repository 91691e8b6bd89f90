import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient } from '../../src/agent/llm/client.ts';
import { LlmError } from '../../src/agent/llm/errors.ts';
import type { GenerateInput } from '../../src/agent/llm/types.ts';
import { fakeUsage, type FakeLlm, startFakeLlm } from '../helpers/fake-llm.ts';

const KEY = 'sk-ant-secret-0123456789abcdef';

let fake: FakeLlm;
beforeAll(async () => {
  fake = await startFakeLlm();
});
afterAll(() => fake?.close());
afterEach(() => {
  fake.requests.length = 0;
  fake.chunkDelayMs = 0;
});

const client = () => createLlmClient({ timeoutMs: 5000, maxRetries: 2, baseDelayMs: 10, maxDelayMs: 2000 });
const input = (over: Partial<GenerateInput> = {}): GenerateInput => ({
  primary: {
    provider: 'anthropic',
    model: 'claude-test',
    baseUrl: fake.url,
    apiKey: KEY,
    parameters: { max_tokens: 256 },
  },
  system: 'You are on Telegram.',
  messages: [
    { role: 'user', content: 'hello there' },
    { role: 'assistant', content: 'hi' },
    { role: 'user', content: 'what is new' },
  ],
  ...over,
});

describe('the anthropic provider against the fake Messages API', () => {
  it('sends the key, version, system prompt and history the Messages way, and reads reply and usage', async () => {
    fake.reply('Hello from Claude.');
    const result = await client().generate(input());
    expect(result).toMatchObject({ text: 'Hello from Claude.', provider: 'anthropic', model: 'claude-test' });
    const request = fake.requests[0];
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe('[present]');
    expect(request?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The system prompt travels in its own field, not as a message.
    expect(JSON.stringify(request?.body.system)).toContain('You are on Telegram.');
    expect(request?.body.messages.map((m: { role: string }) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
    ]);
    expect(request?.body.max_tokens).toBe(256);
    const expected = fakeUsage(request?.body, 'Hello from Claude.');
    expect(result.usage).toEqual({ inputTokens: expected.prompt_tokens, outputTokens: 3 });
    expect(result.usage.inputTokens).toBeGreaterThan(0);
  });

  it('streams text deltas in order, with output usage from message_delta', async () => {
    const reply = 'One two three four five six seven eight.';
    fake.reply(reply);
    fake.chunkDelayMs = 5;
    const chunks: string[] = [];
    const result = await client().generate(input({ onChunk: (t) => chunks.push(t) }));
    expect(fake.requests[0]?.body.stream).toBe(true);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.join('')).toBe(reply);
    expect(result.text).toBe(reply);
    expect(result.usage.outputTokens).toBe(8);
  });

  it('retries 529 overloaded and honours a 429 retry-after', async () => {
    fake.fail(529);
    fake.fail(429, { retryAfter: '1' });
    fake.reply('finally');
    const result = await client().generate(input());
    expect(result.text).toBe('finally');
    expect(fake.requests).toHaveLength(3);
    const [, limited, answered] = fake.requests;
    expect((answered?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('does not retry an authentication error, and never repeats the key or the provider body', async () => {
    fake.fail(401);
    const err = await client()
      .generate(input())
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).code).toBe('llm_auth');
    expect(fake.requests).toHaveLength(1);
    expect((err as LlmError).message).not.toContain(KEY);
    expect((err as LlmError).message).not.toContain('you sent');
  });
});
