import type { ZodObject } from 'zod';

/** The provider-neutral shapes the agent service uses to ask a model for a reply. */

export type LlmMessage = { role: 'user' | 'assistant'; content: string };

export type LlmTarget = {
  provider: 'dev' | 'openai' | 'anthropic' | 'openai-compatible';
  model: string;
  /** Required for openai-compatible; an optional override for openai and anthropic. */
  baseUrl?: string;
  /** Plaintext key, held only in memory for the call. */
  apiKey?: string;
  parameters: { temperature?: number; max_tokens?: number };
};

/**
 * A tool the model may call. The client never runs it: a call ends the generation and comes back in
 * `toolCalls` (the caller acts on it), with whatever text the model wrote alongside.
 */
export type LlmTool = {
  name: string;
  description: string;
  /** JSON-Schema-able zod object describing the tool's input. */
  input: ZodObject;
};

export type LlmToolCall = { name: string; input: unknown };

export type GenerateInput = {
  primary: LlmTarget;
  fallback?: LlmTarget;
  system: string;
  /** Chronological; the last one is the newest user message. */
  messages: LlmMessage[];
  /** When given, the reply is streamed and this is called for every text delta, in order. */
  onChunk?: (text: string) => void;
  signal?: AbortSignal;
  /** Tools offered to the model (not to the dev provider). */
  tools?: LlmTool[];
};

export type GenerateResult = {
  text: string;
  usage: { inputTokens: number; outputTokens: number };
  /** Calls the model made to the offered tools (empty when none). */
  toolCalls: LlmToolCall[];
  provider: string;
  model: string;
  usedFallback: boolean;
};
