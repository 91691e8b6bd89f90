import type { SqlRunner } from '../db/client.ts';

/** `verified`: identities sharing a verified email or phone become one contact; `off`: never linked. */
export const CONTACT_LINKING_MODES = ['verified', 'off'] as const;
export type ContactLinking = (typeof CONTACT_LINKING_MODES)[number];
export const DEFAULT_CONTACT_LINKING: ContactLinking = 'verified';

/** The agent's contact_linking setting (the default when it has no channel configuration yet). */
export async function readContactLinking(query: SqlRunner, agentId: string): Promise<ContactLinking> {
  const rows = await query<{ contact_linking: ContactLinking }>(
    'select contact_linking from channel_configs where agent_id = $1',
    [agentId],
  );
  return rows[0]?.contact_linking ?? DEFAULT_CONTACT_LINKING;
}

/** Stores the setting on the agent's configuration row (which the caller has made sure exists). */
export async function writeContactLinking(
  query: SqlRunner,
  agentId: string,
  mode: ContactLinking,
): Promise<void> {
  await query(
    `update channel_configs set contact_linking = $2, version = version + 1, updated_at = now()
     where agent_id = $1 and contact_linking <> $2`,
    [agentId, mode],
  );
}
