/** LLM providers an agent can name in llm_settings.provider; `dev` needs no key and answers deterministically. */
export const LLM_PROVIDERS = ['dev', 'openai', 'anthropic', 'openai-compatible'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

/** A second provider/model tried when the primary fails after its retries; api_key is a project LLM key id. */
export type LlmFallbackSettings = {
  provider: LlmProvider;
  model: string;
  base_url?: string;
  api_key?: string;
};

export type LlmSettings = {
  provider: LlmProvider;
  model: string;
  base_url?: string;
  parameters: { temperature?: number; max_tokens?: number };
  fallback?: LlmFallbackSettings;
};

/** What a new agent uses when it names no LLM. */
export const DEFAULT_LLM_SETTINGS: LlmSettings = { provider: 'dev', model: 'dev', parameters: {} };
