import { WINDOW_CHANNEL, WINDOW_MS, windowOpen } from '../channels/whatsapp/window.ts';
import type { SqlRunner } from '../db/client.ts';
import { contactWindow } from '../engine/window-hold.ts';
import { recipientOf } from '../handoff/operator-message.ts';

/** Characters of the latest message shown in a conversation list row. */
export const PREVIEW_MAX_CHARS = 160;

/** Who a conversation is with: the contact's id and name (null when it has none yet). */
export type ContactSummary = { _id: string; display_name: string | null } | null;

/** The newest message of a conversation, shortened for a list row. */
export type LastMessage = {
  _id: string;
  role: string;
  direction: string;
  channel: string;
  status: string;
  preview: string;
  created_at: string;
} | null;

const iso = (value: Date | string) => new Date(value).toISOString();

/** listFacts' statement: $1 the conversation ids, $2 the preview length. */
export const LIST_FACTS_SQL = `select c.id, c.contact_id, k.display_name, m.id as message_id, m.role, m.direction, m.channel, m.status,
         m.preview, m.created_at
  from unnest($1::text[]) as listed(id)
  cross join lateral (select id, contact_id from conversations where id = listed.id offset 0) c
  left join lateral (select display_name from contacts where id = c.contact_id offset 0) k on true
  left join lateral (
    select id, role, direction, channel, status, left(content, $2) as preview, created_at
    from messages where conversation_id = c.id order by seq desc limit 1
  ) m on true`;

/**
 * Contact and newest message of each listed conversation: indexed lookups per row (the conversation and its
 * contact by id, messages by conversation and seq; `offset 0` keeps them so under a plan cached while the tables were
 * small), so a page costs the same however many conversations or messages the agent has.
 */
export async function listFacts(
  query: SqlRunner,
  rows: { id: string }[],
): Promise<Map<string, { contact: ContactSummary; last_message: LastMessage }>> {
  const facts = new Map<string, { contact: ContactSummary; last_message: LastMessage }>();
  if (rows.length === 0) return facts;
  const found = await query<{
    id: string;
    contact_id: string | null;
    display_name: string | null;
    message_id: string | null;
    role: string | null;
    direction: string | null;
    channel: string | null;
    status: string | null;
    preview: string | null;
    created_at: Date | null;
  }>(
    LIST_FACTS_SQL,

    [rows.map((r) => r.id), PREVIEW_MAX_CHARS],
  );
  for (const row of found) {
    facts.set(row.id, {
      contact: row.contact_id ? { _id: row.contact_id, display_name: row.display_name } : null,
      last_message:
        row.message_id && row.created_at
          ? {
              _id: row.message_id,
              role: row.role ?? '',
              direction: row.direction ?? '',
              channel: row.channel ?? '',
              status: row.status ?? '',
              preview: row.preview ?? '',
              created_at: iso(row.created_at),
            }
          : null,
    });
  }
  return facts;
}

/** The contact of one conversation. */
export async function contactOf(query: SqlRunner, conversationId: string): Promise<ContactSummary> {
  const [row] = await query<{ id: string; display_name: string | null }>(
    `select k.id, k.display_name from conversations c join contacts k on k.id = c.contact_id where c.id = $1`,
    [conversationId],
  );
  return row ? { _id: row.id, display_name: row.display_name } : null;
}

/** WhatsApp's 24-hour customer service window for a conversation, as the delivery job judges it. */
export type WhatsAppWindow = { open: boolean; last_inbound_at: string | null; closes_at: string | null };

/**
 * The window of the person this conversation's WhatsApp messages go to; null when the conversation has no
 * WhatsApp address. Free-form text is only delivered while `open` (else held or failed `outside_window`).
 */
export async function whatsappWindowOf(
  query: SqlRunner,
  agentId: string,
  conversationId: string,
  now: Date,
): Promise<WhatsAppWindow | null> {
  const recipient = await recipientOf(query, conversationId, WINDOW_CHANNEL);
  if (!recipient) return null;
  const { lastInboundAt } = await contactWindow(query, agentId, WINDOW_CHANNEL, recipient.platformUserId);
  return {
    open: windowOpen(lastInboundAt, now),
    last_inbound_at: lastInboundAt ? iso(lastInboundAt) : null,
    closes_at: lastInboundAt ? iso(new Date(new Date(lastInboundAt).getTime() + WINDOW_MS)) : null,
  };
}
