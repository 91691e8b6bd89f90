/**
 * What subscribers (SSE, event webhooks, the console) see, with no server dependencies so the console's bundle
 * imports it too.
 */
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

/** One event as subscribers see it: ids and codes, never message text. */
export type AgentEventView = {
  id: string;
  type: string;
  agent_id: string;
  conversation_id: string | null;
  message_id: string | null;
  contact_id: string | null;
  data: Record<string, unknown>;
  created_at: string;
};
