import type { SqlRunner } from '../db/client.ts';
import type { PreparedTurn } from '../engine/turn.ts';
import { matchKeyword } from './keywords.ts';
import { loadHandoffSettings } from './settings.ts';
import { leavePendingToHuman, startHandoff } from './state.ts';

/**
 * Runs before the agent is asked, in one transaction with the conversation row locked: a conversation in handoff
 * leaves its pending messages to the human; a pending message with one of the agent's handoff keywords starts a
 * handoff (by keyword) and is left to the human too. True when the agent should answer.
 * (recordReply checks the handoff again under the same lock, for a handoff that starts while the agent thinks.)
 */
export async function gateTurn(query: SqlRunner, turn: PreparedTurn, now: Date): Promise<boolean> {
  const { agentId, conversationId } = turn.input;
  const rows = await query<{ handoff_at: Date | null; status: string }>(
    'select handoff_at, status from conversations where id = $1 for update',
    [conversationId],
  );
  if (rows[0]?.handoff_at) {
    await leavePendingToHuman(query, turn.pendingIds, now);
    return false;
  }
  const settings = await loadHandoffSettings(query, agentId);
  if (!settings.enabled || settings.keywords.length === 0 || rows[0]?.status !== 'active') return true;
  const keyword = turn.input.pending.map((m) => matchKeyword(m.content, settings.keywords)).find(Boolean);
  if (!keyword) return true;
  await startHandoff(query, { agentId, conversationId, by: 'keyword', reason: `keyword: ${keyword}`, now });
  await leavePendingToHuman(query, turn.pendingIds, now);
  return false;
}
