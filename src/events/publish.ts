import type { SqlRunner } from '../db/client.ts';

/** What happened, as subscribers (SSE, event webhooks) see it. */
export const AGENT_EVENT_TYPES = [
  'message.received',
  'reply.queued',
  'message.status',
  'handoff.started',
  'handoff.ended',
  'conversation.closed',
  'contact.merged',
] as const;
export type AgentEventType = (typeof AGENT_EVENT_TYPES)[number];

export type AgentEventInput = {
  agentId: string;
  type: AgentEventType;
  conversationId?: string;
  messageId?: string;
  contactId?: string;
  /** Small facts (status, channel, reason, by…): ids and codes, never message text or secrets. */
  data?: Record<string, unknown>;
};

/** The NOTIFY channel; its payload is the agent id. */
export const AGENT_EVENTS_CHANNEL = 'agent_events';

/**
 * Appends events inside the caller's transaction (pass the transaction's runner), so an event exists exactly
 * when the change it reports was committed; the NOTIFY is delivered at commit to every process.
 */
export async function publishEvents(query: SqlRunner, events: readonly AgentEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await query(
    `insert into agent_events (agent_id, type, conversation_id, message_id, contact_id, data)
     select e->>'agentId', e->>'type', e->>'conversationId', e->>'messageId', e->>'contactId',
            coalesce(e->'data', '{}'::jsonb)
     from jsonb_array_elements($1::jsonb) as e`,
    [JSON.stringify(events)],
  );
  const agents = [...new Set(events.map((event) => event.agentId))];
  for (const agentId of agents) await query('select pg_notify($1, $2)', [AGENT_EVENTS_CHANNEL, agentId]);
}

export async function publishEvent(query: SqlRunner, event: AgentEventInput): Promise<void> {
  await publishEvents(query, [event]);
}
