import { LlmError } from './errors.ts';
import type { LlmMessage } from './types.ts';

/** Longest part of the user's message the dev reply quotes back. */
const ECHO_MAX = 200;
/** Words per streamed chunk. */
const WORDS_PER_CHUNK = 4;

const HOW_TO_CONFIGURE =
  'No LLM is configured for this agent, so this is the built-in dev provider answering. To use a real model, ' +
  'store a provider key with POST /api/v1/organizations/{orgId}/projects/{projectId}/api-keys ' +
  '({"name", "provider": "openai" | "anthropic" | "openai-compatible", "key"}), then update the agent with ' +
  'PUT /api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId} setting llm_settings ' +
  '({"provider", "model"}) and api_key (the id of that key).';

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The dev provider's reply: deterministic, echoes the newest user message, and says how to configure an LLM. */
export function devReplyText(messages: LlmMessage[]): string {
  const last =
    [...messages]
      .reverse()
      .find((m) => m.role === 'user')
      ?.content.trim() ?? '';
  const echo = last.length > ECHO_MAX ? `${last.slice(0, ECHO_MAX)}…` : last;
  const said = echo ? `You said: "${echo}".` : 'You sent an empty message.';
  return `${said} ${HOW_TO_CONFIGURE}`;
}

/** Splits text into groups of words (with their trailing spaces), so the chunks join back to the text exactly. */
export function devChunks(text: string): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? [];
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += WORDS_PER_CHUNK)
    chunks.push(words.slice(i, i + WORDS_PER_CHUNK).join(''));
  return chunks;
}

/**
 * Answers with the dev provider. Usage is a rough word count, not real tokens: input counts the words of the
 * system prompt and every message, output the words of the reply.
 */
export async function devGenerate(input: {
  system: string;
  messages: LlmMessage[];
  onChunk?: (text: string) => void;
  signal?: AbortSignal;
}): Promise<{ text: string; usage: { inputTokens: number; outputTokens: number } }> {
  const text = devReplyText(input.messages);
  if (input.onChunk) {
    for (const chunk of devChunks(text)) {
      if (input.signal?.aborted) throw new LlmError('llm_aborted', 'request cancelled');
      input.onChunk(chunk);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  if (input.signal?.aborted) throw new LlmError('llm_aborted', 'request cancelled');
  const inputTokens =
    countWords(input.system) + input.messages.reduce((n, m) => n + countWords(m.content), 0);
  return { text, usage: { inputTokens, outputTokens: countWords(text) } };
}
