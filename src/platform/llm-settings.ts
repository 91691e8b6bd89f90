/** LLM providers an agent can name in llm_settings.provider; `dev` needs no key and answers deterministically. */
export const LLM_PROVIDERS = ['dev', 'openai', 'anthropic', 'openai-compatible'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

export type LlmSettings = {
  provider: LlmProvider;
  model: string;
  base_url?: string;
  parameters: { temperature?: number; max_tokens?: number };
};

/** What a new agent uses when it names no LLM. */
export const DEFAULT_LLM_SETTINGS: LlmSettings = { provider: 'dev', model: 'dev', parameters: {} };
