import type { Db } from '../../db/client.ts';
import type { agents } from '../../db/schema.ts';
import { readLlmKeySecret } from '../../platform/llm-keys.ts';
import type { LlmProvider } from '../../platform/llm-settings.ts';
import type { Vault } from '../../vault/vault.ts';
import { LlmError } from './errors.ts';
import type { LlmTarget } from './types.ts';

type AgentLlmFields = Pick<typeof agents.$inferSelect, 'projectId' | 'llmSettings' | 'llmKeyId'>;

type Choice = { provider: LlmProvider; model: string; base_url?: string | undefined };

/**
 * Turns one provider choice into a target, opening its key from the vault. A stored key goes only to the endpoint
 * it was stored with (its provider's default, or the admin-set base URL): the agent's own base_url is used only
 * when it names no key. Errors name the setting and the key id, never key material.
 */
async function toTarget(
  db: Db,
  vault: Vault,
  projectId: string,
  choice: Choice,
  keyId: string | null | undefined,
  parameters: LlmTarget['parameters'],
  field: string,
): Promise<LlmTarget> {
  const target: LlmTarget = { provider: choice.provider, model: choice.model, parameters: { ...parameters } };
  if (choice.provider === 'dev') return target;
  if (!keyId) {
    if (choice.provider === 'openai-compatible') {
      // Local servers (Ollama, vLLM) often need no key; the agent's URL receives no secret.
      if (!choice.base_url)
        throw notConfigured(`the agent's ${field} uses openai-compatible without a base_url`);
      return { ...target, baseUrl: choice.base_url };
    }
    throw notConfigured(
      `the agent's ${field} uses ${choice.provider} but names no LLM key; set one with the agent's ` +
        (field === 'llm_settings' ? 'api_key' : `${field}.api_key`),
    );
  }
  let key;
  try {
    key = await readLlmKeySecret(db, vault, projectId, keyId);
  } catch {
    throw notConfigured(
      `the LLM key ${keyId} could not be decrypted (was CHANNEL_ENCRYPTION_KEY changed without a rotation?)`,
    );
  }
  if (key === undefined)
    throw notConfigured(`the LLM key ${keyId} named by the agent does not exist in its project`);
  if (key.provider !== choice.provider) {
    throw notConfigured(
      `the LLM key ${keyId} is for ${key.provider}, but the agent's ${field} uses ${choice.provider}`,
    );
  }
  if (choice.provider === 'openai-compatible' && !key.baseUrl) {
    throw notConfigured(
      `the LLM key ${keyId} has no endpoint; an admin must store the key again with its base_url`,
    );
  }
  return { ...target, apiKey: key.secret, ...(key.baseUrl ? { baseUrl: key.baseUrl } : {}) };
}

const notConfigured = (message: string) => new LlmError('llm_not_configured', message);

/**
 * The primary and (when configured) fallback targets of an agent, with plaintext keys for this call only. The
 * fallback shares the agent's parameters. A missing or unreadable key throws LlmError `llm_not_configured`.
 */
export async function resolveLlmTargets(
  db: Db,
  vault: Vault,
  agent: AgentLlmFields,
): Promise<{ primary: LlmTarget; fallback?: LlmTarget }> {
  const settings = agent.llmSettings;
  const parameters = settings.parameters ?? {};
  const primary = await toTarget(
    db,
    vault,
    agent.projectId,
    settings,
    agent.llmKeyId,
    parameters,
    'llm_settings',
  );
  if (!settings.fallback) return { primary };
  const fallback = await toTarget(
    db,
    vault,
    agent.projectId,
    settings.fallback,
    settings.fallback.api_key,
    parameters,
    'llm_settings.fallback',
  );
  return { primary, fallback };
}
