import type { ChannelHistoryEntry } from '../db/schema-conversations.ts';

/** Channel for conversations stored without one (created before channels existed). */
export const DEFAULT_CHANNEL = 'website';

export type ConversationRow = {
  id: string;
  agent_id: string;
  user_identifier: string;
  channel: string | null;
  channel_metadata: Record<string, unknown>;
  channel_history: ChannelHistoryEntry[];
  status: string;
  last_activity_at: Date;
  closed_at: Date | null;
  input_tokens: string | number;
  output_tokens: string | number;
  created_at: Date;
  updated_at: Date;
  handoff_at: Date | null;
  handoff_by: string | null;
  handoff_user_id: string | null;
  handoff_reason: string | null;
};

export const CONVERSATION_COLUMNS = `id, agent_id, user_identifier, channel, channel_metadata, channel_history, status,
  last_activity_at, closed_at, input_tokens, output_tokens, created_at, updated_at, handoff_at, handoff_by,
  handoff_user_id, handoff_reason`;

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/** The spec's Conversation Model (messages are added by the detail route). */
export function conversationView(row: ConversationRow) {
  return {
    _id: row.id,
    agent: row.agent_id,
    user_identifier: row.user_identifier,
    channel: row.channel ?? DEFAULT_CHANNEL,
    channel_metadata: row.channel_metadata,
    channel_history: row.channel_history,
    status: row.status,
    metadata: { last_activity: iso(row.last_activity_at) },
    token_usage: { input: Number(row.input_tokens), output: Number(row.output_tokens) },
    closed_at: iso(row.closed_at),
    handoff: row.handoff_at
      ? {
          started_at: iso(row.handoff_at),
          by: row.handoff_by,
          user_id: row.handoff_user_id,
          reason: row.handoff_reason,
        }
      : null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export type MessageRow = {
  id: string;
  role: string;
  content: string;
  channel: string;
  direction: string;
  status: string;
  provider_message_id: string | null;
  error_code: string | null;
  error_message: string | null;
  attachments: unknown[];
  buttons: unknown[] | null;
  metadata: Record<string, unknown> | null;
  input_tokens: number | null;
  output_tokens: number | null;
  attempts: number;
  user_id: string | null;
  created_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  read_at: Date | null;
  edited_at: Date | null;
};

export const MESSAGE_COLUMNS = `id, role, content, channel, direction, status, provider_message_id, error_code,
  error_message, attachments, buttons, metadata, input_tokens, output_tokens, attempts, user_id, created_at, sent_at,
  delivered_at, read_at, edited_at`;

export function messageView(row: MessageRow) {
  return {
    _id: row.id,
    role: row.role,
    content: row.content,
    channel: row.channel,
    direction: row.direction,
    status: row.status,
    provider_message_id: row.provider_message_id,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    attachments: row.attachments,
    buttons: row.buttons,
    metadata: row.metadata,
    token_usage:
      row.input_tokens === null && row.output_tokens === null
        ? null
        : { input: row.input_tokens ?? 0, output: row.output_tokens ?? 0 },
    attempts: row.attempts,
    user_id: row.user_id,
    created_at: iso(row.created_at),
    sent_at: iso(row.sent_at),
    delivered_at: iso(row.delivered_at),
    read_at: iso(row.read_at),
    edited_at: iso(row.edited_at),
  };
}
