import { describe, expect, it } from 'vitest';
import { createLlmClient } from '../../src/agent/llm/client.ts';
import { devChunks, devReplyText } from '../../src/agent/llm/dev-model.ts';
import type { GenerateInput } from '../../src/agent/llm/types.ts';

const client = createLlmClient({ timeoutMs: 1000, maxRetries: 2, baseDelayMs: 10, maxDelayMs: 100 });
const input = (content: string): GenerateInput => ({
  primary: { provider: 'dev', model: 'dev', parameters: {} },
  system: 'Be brief.',
  messages: [
    { role: 'user', content: 'first question' },
    { role: 'assistant', content: 'an answer' },
    { role: 'user', content },
  ],
});

describe('dev provider', () => {
  it('answers deterministically, echoing the newest user message and explaining how to configure an LLM', async () => {
    const a = await client.generate(input('Where is my order?'));
    const b = await client.generate(input('Where is my order?'));
    expect(a).toEqual(b);
    expect(a).toMatchObject({ provider: 'dev', model: 'dev', usedFallback: false });
    expect(a.text).toContain('You said: "Where is my order?"');
    expect(a.text).toContain('No LLM is configured');
    expect(a.text).toContain('POST /api/v1/organizations/{orgId}/projects/{projectId}/api-keys');
    expect(a.text).toContain('llm_settings');
    expect(a.text).toContain('api_key');
    expect(a.text).not.toContain('first question');
  });

  it('counts words as usage', async () => {
    const r = await client.generate(input('one two three'));
    // system 2 + "first question" 2 + "an answer" 2 + 3
    expect(r.usage.inputTokens).toBe(9);
    expect(r.usage.outputTokens).toBe(r.text.split(/\s+/).filter(Boolean).length);
  });

  it('streams the same reply in several word-group chunks', async () => {
    const chunks: string[] = [];
    const r = await client.generate({ ...input('stream me'), onChunk: (t) => chunks.push(t) });
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.join('')).toBe(r.text);
    expect(r.text).toBe(devReplyText(input('stream me').messages));
  });

  it('chunks join back exactly and long messages are cut', () => {
    const text = '  a b  c d e f g h i ';
    expect(devChunks(text).join('')).toBe(text);
    expect(devReplyText([{ role: 'user', content: 'x'.repeat(500) }])).toContain(`${'x'.repeat(200)}…`);
  });

  it('rejects when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      client.generate({ ...input('hi'), onChunk: () => {}, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'llm_aborted' });
  });
});
