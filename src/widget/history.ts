import type { ReplyButton } from '../channels/types.ts';
import type { Database } from '../db/client.ts';

/** Most messages the widget shows when it resumes. */
const HISTORY_LIMIT = 100;

/**
 * The visitor's latest conversation with the agent, found through their own website identity only, so
 * no visitor can name another's conversation.
 */
export async function visitorHistory(database: Database, agentId: string, platformUserId: string) {
  const [conversation] = await database.query<{ id: string }>(
    `select c.id from conversations c
     join contact_identities i on i.contact_id = c.contact_id
     where i.agent_id = $1 and i.channel = 'website' and i.platform_user_id = $2 and c.agent_id = $1
     order by (c.status = 'active') desc, c.last_activity_at desc limit 1`,
    [agentId, platformUserId],
  );
  if (!conversation) return { conversation_id: null, messages: [] };
  const rows = await database.query<{
    id: string;
    role: string;
    content: string;
    status: string;
    created_at: Date;
    buttons: ReplyButton[] | null;
  }>(
    `select id, role, content, status, created_at, buttons from (
       select id, role, content, status, created_at, buttons, seq from messages
       where conversation_id = $1 and role in ('user', 'assistant', 'human') order by seq desc limit ${HISTORY_LIMIT}
     ) recent order by seq`,
    [conversation.id],
  );
  return {
    conversation_id: conversation.id,
    messages: rows.map(({ buttons, ...row }) => ({
      ...row,
      created_at: new Date(row.created_at).toISOString(),
      ...(buttons?.length ? { buttons } : {}),
    })),
  };
}
