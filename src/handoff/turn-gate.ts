import type { Database, SqlRunner } from '../db/client.ts';
import type { PreparedTurn } from '../engine/turn.ts';
import { matchKeyword } from './keywords.ts';
import { handoffSettingsOf, type HandoffSettings } from './settings.ts';
import { leavePendingToHuman, startHandoff } from './state.ts';

/**
 * Runs before the agent is asked: a conversation in handoff leaves its pending messages to the human; a pending
 * message with one of the agent's handoff keywords starts a handoff (by keyword) and is left to the human too.
 * True when the agent should answer. The state read with the turn (prepareTurn) settles the common case (no
 * handoff, no keyword); only a change runs in a transaction with the conversation row locked. (recordReply
 * checks the handoff again under the same lock, for a handoff that starts while the agent thinks, so the
 * unlocked read loses nothing.)
 */
export async function gateTurn(database: Database, turn: PreparedTurn, now: Date): Promise<boolean> {
  const settings = handoffSettingsOf(turn.gate.settings);
  if (!turn.gate.handoffAt && !keywordOf(turn, settings, turn.gate.status)) return true;
  return database.transaction((query) => gateLocked(query, turn, settings, now));
}

/** The gate's decision and its writes, under the conversation row's lock. */
async function gateLocked(
  query: SqlRunner,
  turn: PreparedTurn,
  settings: HandoffSettings,
  now: Date,
): Promise<boolean> {
  const { agentId, conversationId } = turn.input;
  const rows = await query<{ handoff_at: Date | null; status: string }>(
    'select handoff_at, status from conversations where id = $1 for update',
    [conversationId],
  );
  if (rows[0]?.handoff_at) {
    await leavePendingToHuman(query, conversationId, turn.pendingIds, now);
    return false;
  }
  const keyword = keywordOf(turn, settings, rows[0]?.status);
  if (!keyword) return true;
  await startHandoff(query, { agentId, conversationId, by: 'keyword', reason: `keyword: ${keyword}`, now });
  await leavePendingToHuman(query, conversationId, turn.pendingIds, now);
  return false;
}

/** The handoff keyword in the turn's pending messages, when keywords are on for an active conversation. */
function keywordOf(turn: PreparedTurn, settings: HandoffSettings, status: string | undefined) {
  if (!settings.enabled || settings.keywords.length === 0 || status !== 'active') return undefined;
  return turn.input.pending.map((m) => matchKeyword(m.content, settings.keywords)).find(Boolean);
}
