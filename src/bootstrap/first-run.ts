import { generatePassword, hashPassword } from '../auth/passwords.ts';
import type { Db } from '../db/client.ts';
import { agents, memberships, meta, organizations, projects, users } from '../db/schema.ts';
import { newId } from '../ids.ts';
import { createApiToken } from '../platform/api-tokens.ts';
import { createLlmKey } from '../platform/llm-keys.ts';
import { DEFAULT_LLM_SETTINGS, type LlmSettings } from '../platform/llm-settings.ts';
import type { Vault } from '../vault/vault.ts';

export type FirstRunCredentials = {
  email: string;
  password: string;
  apiToken: string;
  organizationId: string;
  projectId: string;
  agentId: string;
};

const DEMO_PROMPT =
  'You are a friendly assistant for a demo of Switchboard. Answer briefly and helpfully, ' +
  'and adapt your formatting to the channel the user writes from.';

/** Where the demo agent's LLM comes from: OPENAI_API_KEY, else ANTHROPIC_API_KEY, else the dev provider. */
export type DemoLlmOptions = {
  vault: Vault;
  openaiApiKey?: string | undefined;
  anthropicApiKey?: string | undefined;
  model?: string | undefined;
};

const DEMO_MODELS = { openai: 'gpt-4o-mini', anthropic: 'claude-3-5-haiku-latest' } as const;

/** The provider, model and key for the demo agent, or undefined for the dev provider. */
export function demoLlmChoice(
  demo: DemoLlmOptions | undefined,
): { provider: 'openai' | 'anthropic'; model: string; key: string; source: string } | undefined {
  if (!demo) return undefined;
  const pick = demo.openaiApiKey
    ? { provider: 'openai' as const, key: demo.openaiApiKey, source: 'OPENAI_API_KEY' }
    : demo.anthropicApiKey
      ? { provider: 'anthropic' as const, key: demo.anthropicApiKey, source: 'ANTHROPIC_API_KEY' }
      : undefined;
  return pick && { ...pick, model: demo.model ?? DEMO_MODELS[pick.provider] };
}

/**
 * On the very first start (no `bootstrap` row in meta), creates an owner user with a generated password, an
 * organization, a project, a demo agent and a personal API token, all in one transaction. The meta row makes this
 * happen once even when several processes start together. Returns undefined on every later start. With an OpenAI or
 * Anthropic key in `demo`, that key is stored (sealed by the vault) as a project LLM key and the demo agent uses it.
 */
export async function bootstrapFirstRun(
  db: Db,
  email: string,
  demo?: DemoLlmOptions,
): Promise<FirstRunCredentials | undefined> {
  const llm = demoLlmChoice(demo);
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const claimed = await tx
      .insert(meta)
      .values({ key: 'bootstrap', value: { at: new Date().toISOString() } })
      .onConflictDoNothing()
      .returning();
    if (claimed.length === 0) return undefined;
    const userId = newId('user');
    const organizationId = newId('org');
    const projectId = newId('proj');
    const agentId = newId('agent');
    await tx.insert(users).values({ id: userId, email, name: 'Administrator', passwordHash });
    await tx.insert(organizations).values({ id: organizationId, name: 'My Organization', createdBy: userId });
    await tx.insert(memberships).values({ organizationId, userId, role: 'owner' });
    await tx.insert(projects).values({ id: projectId, organizationId, name: 'Default Project' });
    let llmSettings: LlmSettings = DEFAULT_LLM_SETTINGS;
    let llmKeyId: string | null = null;
    if (llm && demo) {
      const key = await createLlmKey(tx as unknown as Db, demo.vault, {
        id: newId('llmkey'),
        organizationId,
        projectId,
        name: `Demo key (from ${llm.source})`,
        provider: llm.provider,
        key: llm.key,
      });
      llmKeyId = key.id;
      llmSettings = { provider: llm.provider, model: llm.model, parameters: {} };
    }
    await tx.insert(agents).values({
      id: agentId,
      organizationId,
      projectId,
      name: 'Demo Agent',
      description: llm
        ? `Created on first run; answers with ${llm.provider} (${llm.model}) using the key from ${llm.source}.`
        : 'Created on first run; answers with the built-in dev provider until an LLM is configured.',
      systemPrompt: DEMO_PROMPT,
      llmSettings,
      llmKeyId,
    });
    const token = await createApiToken(tx as unknown as Db, {
      userId,
      name: 'first-run',
      scope: { organizationId: null },
    });
    return { email, password, apiToken: token.token, organizationId, projectId, agentId };
  });
}
