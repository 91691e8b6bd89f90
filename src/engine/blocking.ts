import type { SqlRunner } from '../db/client.ts';

/** True when the person blocked this agent on the channel. */
export async function isBlocked(
  query: SqlRunner,
  agentId: string,
  channel: string,
  platformUserId: string,
): Promise<boolean> {
  const rows = await query(
    `select 1 from contact_identities where agent_id = $1 and channel = $2 and platform_user_id = $3
     and blocked_at is not null`,
    [agentId, channel, platformUserId],
  );
  return rows.length > 0;
}

/** Marks (or clears) a contact's block on one channel. */
export async function markBlocked(
  query: SqlRunner,
  agentId: string,
  channel: string,
  platformUserId: string,
  blocked: boolean,
): Promise<void> {
  await query(
    `update contact_identities set blocked_at = case when $4 then coalesce(blocked_at, now()) else null end,
            updated_at = now()
     where agent_id = $1 and channel = $2 and platform_user_id = $3`,
    [agentId, channel, platformUserId, blocked],
  );
}
