import { generatePassword, hashPassword } from '../auth/passwords.ts';
import type { Db } from '../db/client.ts';
import { agents, memberships, meta, organizations, projects, users } from '../db/schema.ts';
import { newId } from '../ids.ts';
import { createApiToken } from '../platform/api-tokens.ts';
import { DEFAULT_LLM_SETTINGS } from '../platform/llm-settings.ts';

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

/**
 * On the very first start (no `bootstrap` row in meta), creates an owner user with a generated password, an
 * organization, a project, a demo agent and a personal API token, all in one transaction. The meta row makes this
 * happen once even when several processes start together. Returns undefined on every later start.
 */
export async function bootstrapFirstRun(db: Db, email: string): Promise<FirstRunCredentials | undefined> {
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
    await tx.insert(agents).values({
      id: agentId,
      organizationId,
      projectId,
      name: 'Demo Agent',
      description: 'Created on first run; answers with the built-in dev provider until an LLM is configured.',
      systemPrompt: DEMO_PROMPT,
      llmSettings: DEFAULT_LLM_SETTINGS,
    });
    const token = await createApiToken(tx as unknown as Db, {
      userId,
      name: 'first-run',
      scope: { organizationId: null },
    });
    return { email, password, apiToken: token.token, organizationId, projectId, agentId };
  });
}
