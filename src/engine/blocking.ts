import type { SqlRunner } from '../db/client.ts';

/** SQL that is true when the identity (agent, channel, platform user: SQL expressions) blocked the agent. */
export function blockedSql(agentId: string, channel: string, platformUserId: string): string {
  return `exists (select 1 from contact_identities i
                  where i.agent_id = ${agentId} and i.channel = ${channel}
                    and i.platform_user_id = ${platformUserId} and i.blocked_at is not null)`;
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
