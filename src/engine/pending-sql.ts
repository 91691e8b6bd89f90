import type { SqlRunner } from '../db/client.ts';

/**
 * SQL condition for "these ids among the conversation's unanswered inbound messages". The conversation and the
 * direction lead the planner to `messages_pending_inbound_idx` whatever the table's statistics: a plan cached while
 * the table was nearly empty otherwise keeps scanning it for `id = any(…)` (the reply statement's plan did, at
 * 1–14 ms per reply after a burst from an empty database).
 */
export function pendingOfConversationSql(conversationId: string, ids: string): string {
  return `conversation_id = ${conversationId} and direction = 'inbound' and answered_at is null and id = any(${ids})`;
}

/** Marks these of the conversation's pending messages answered at `now`; returns how many were still pending. */
export async function markPendingAnswered(
  query: SqlRunner,
  conversationId: string,
  pendingIds: string[],
  now: Date,
): Promise<number> {
  const answered = await query(
    `update messages set answered_at = $2, updated_at = $2 where ${pendingOfConversationSql('$3', '$1')} returning id`,
    [pendingIds, now, conversationId],
  );
  return answered.length;
}
