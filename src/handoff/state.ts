import type { SqlRunner } from '../db/client.ts';
import { publishEvent } from '../events/publish.ts';
import { markPendingAnswered } from '../engine/pending-sql.ts';
import { ApiError } from '../http/errors.ts';

/** Who started a handoff. */
export type HandoffBy = 'operator' | 'agent' | 'keyword';

/** Longest handoff reason kept (the LLM's or an operator's words). */
export const HANDOFF_REASON_MAX_CHARS = 500;

export type StartHandoff = {
  agentId: string;
  conversationId: string;
  by: HandoffBy;
  /** The operator, when `by` is 'operator'. */
  userId?: string;
  reason?: string;
  now: Date;
};

/**
 * Puts an active conversation in handoff, in the caller's transaction, and publishes handoff.started there.
 * Bot replies still held for WhatsApp's window are cancelled (they would go out when the contact writes again,
 * while a human owns the conversation). Returns false when it was already in handoff (or is closed or gone).
 */
export async function startHandoff(query: SqlRunner, input: StartHandoff): Promise<boolean> {
  const started = await query(
    `update conversations set handoff_at = $3, handoff_by = $4, handoff_user_id = $5, handoff_reason = $6,
            updated_at = $3
     where id = $1 and agent_id = $2 and status = 'active' and handoff_at is null returning id`,
    [
      input.conversationId,
      input.agentId,
      input.now,
      input.by,
      input.userId ?? null,
      input.reason ? input.reason.slice(0, HANDOFF_REASON_MAX_CHARS) : null,
    ],
  );
  if (started.length === 0) return false;
  await query(
    `update messages set status = 'failed', error_code = 'handoff',
            error_message = 'Not sent: a human took over the conversation', updated_at = $2
     where conversation_id = $1 and role = 'assistant' and status = 'held'`,
    [input.conversationId, input.now],
  );
  await publishEvent(query, {
    agentId: input.agentId,
    type: 'handoff.started',
    conversationId: input.conversationId,
    data: { by: input.by, ...(input.userId ? { user_id: input.userId } : {}) },
  });
  return true;
}

/**
 * Hands a conversation back to the agent, in the caller's transaction, publishing handoff.ended there. Messages
 * that arrived during the handoff stay answered (the human had them); the next one gets a bot reply.
 * Returns false when it was not in handoff.
 */
export async function endHandoff(
  query: SqlRunner,
  input: { agentId: string; conversationId: string; userId: string; now: Date },
): Promise<boolean> {
  const ended = await query(
    `update conversations set handoff_at = null, handoff_by = null, handoff_user_id = null, handoff_reason = null,
            updated_at = $3
     where id = $1 and agent_id = $2 and handoff_at is not null returning id`,
    [input.conversationId, input.agentId, input.now],
  );
  if (ended.length === 0) return false;
  await publishEvent(query, {
    agentId: input.agentId,
    type: 'handoff.ended',
    conversationId: input.conversationId,
    data: { by: 'operator', user_id: input.userId },
  });
  return true;
}

/**
 * Marks a turn's pending messages answered without a reply (a human owns the conversation), so nothing
 * re-triggers them and they never get a bot answer, even after the handoff ends.
 */
export async function leavePendingToHuman(
  query: SqlRunner,
  conversationId: string,
  pendingIds: string[],
  now: Date,
): Promise<void> {
  await markPendingAnswered(query, conversationId, pendingIds, now);
}

/** The in-request chat answer (chat API, widget) for a conversation a human owns: the message is stored. */
export const inHandoffError = () =>
  new ApiError(
    409,
    'A human has taken over this conversation; your message was stored and they will answer',
    { code: 'conversation_in_handoff' },
  );
