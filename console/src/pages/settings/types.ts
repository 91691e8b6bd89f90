import type { Role } from '../../session.tsx';

export type LlmProvider = 'dev' | 'openai' | 'anthropic' | 'openai-compatible';

/** An agent as GET …/agents/:id returns it. */
export type AgentDetail = {
  _id: string;
  name: string;
  description: string;
  system_prompt: string;
  status: 'active' | 'inactive';
  llm_settings: { provider: LlmProvider; model: string; base_url?: string };
  api_key: string | null;
};

/** A project LLM key: never its secret, only that it exists. */
export type LlmKey = {
  _id: string;
  name: string;
  provider: Exclude<LlmProvider, 'dev'>;
  base_url: string | null;
  created_at: string;
};

export type Member = { user_id: string; email: string; name: string; role: Role; joined_at: string };

export type Invitation = {
  _id: string;
  email: string;
  role: Role;
  status: 'pending' | 'expired';
  expires_at: string;
  created_at: string;
};

export type ApiToken = {
  _id: string;
  name: string;
  kind: 'personal' | 'organization';
  role: Role | null;
  token_prefix: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
};

export const PROVIDERS: { value: LlmProvider; label: string; model: string }[] = [
  { value: 'dev', label: 'Built-in dev model (no key, for trying things out)', model: 'dev' },
  { value: 'openai', label: 'OpenAI', model: 'gpt-4o-mini' },
  { value: 'anthropic', label: 'Anthropic', model: 'claude-sonnet-4-5' },
  { value: 'openai-compatible', label: 'OpenAI-compatible server', model: 'llama3.1' },
];

export const providerLabel = (provider: string) =>
  PROVIDERS.find((p) => p.value === provider)?.label.replace(/ \(.*\)$/, '') ?? provider;
