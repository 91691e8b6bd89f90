/**
 * SQL condition for "these ids among the conversation's unanswered inbound messages". The conversation and the
 * direction lead the planner to `messages_pending_inbound_idx` whatever the table's statistics: a plan cached while
 * the table was nearly empty otherwise keeps scanning it for `id = any(…)` (the reply statement's plan did, at
 * 1–14 ms per reply after a burst from an empty database).
 */
export function pendingOfConversationSql(conversationId: string, ids: string): string {
  return `conversation_id = ${conversationId} and direction = 'inbound' and answered_at is null and id = any(${ids})`;
}
