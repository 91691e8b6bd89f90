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

export type GenerateInput = {
  primary: LlmTarget;
  fallback?: LlmTarget;
  system: string;
  /** Chronological; the last one is the newest user message. */
  messages: LlmMessage[];
  /** When given, the reply is streamed and this is called for every text delta, in order. */
  onChunk?: (text: string) => void;
  signal?: AbortSignal;
};

export type GenerateResult = {
  text: string;
  usage: { inputTokens: number; outputTokens: number };
  provider: string;
  model: string;
  usedFallback: boolean;
};
