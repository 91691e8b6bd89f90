import {
  fillTemplate,
  OUTSIDE_WINDOW_MESSAGE,
  type ReengagementTemplate,
  reengagementTemplateOf,
  templateText,
  windowOpen,
} from '../channels/whatsapp/window.ts';
import type { SqlRunner } from '../db/client.ts';
import type { StoredTemplate } from '../db/schema-conversations.ts';
import { newId } from '../ids.ts';
import { publishEvent } from '../events/publish.ts';
import type { Sender } from './senders.ts';

export type { ReengagementTemplate };

/** Error code of a reply refused because the 24-hour window is closed (DeliveryError code too). */
export const OUTSIDE_WINDOW = 'outside_window';

/** The sender's re-engagement template, when it has one and its adapter can send templates. */
export function reengagementOf(sender: Sender | null): ReengagementTemplate | null {
  if (!sender?.adapter.sendTemplate) return null;
  const { adapter, ctx } = sender;
  return adapter.reengagementTemplate
    ? adapter.reengagementTemplate(ctx.account.settings)
    : reengagementTemplateOf(ctx.account.settings);
}

/** What the window needs to know about a contact on one channel. */
export type ContactWindow = { lastInboundAt: Date | null; displayName: string | null };

/** The contact's last inbound time and display name on a channel (nulls when unknown). */
export async function contactWindow(
  query: SqlRunner,
  agentId: string,
  channel: string,
  platformUserId: string,
): Promise<ContactWindow> {
  const rows = await query<{ last_inbound_at: Date | null; display_name: string | null }>(
    `select i.last_inbound_at, k.display_name from contact_identities i join contacts k on k.id = i.contact_id
     where i.agent_id = $1 and i.channel = $2 and i.platform_user_id = $3`,
    [agentId, channel, platformUserId],
  );
  const row = rows[0];
  return { lastInboundAt: row?.last_inbound_at ?? null, displayName: row?.display_name ?? null };
}

type HeldMessage = {
  id: string;
  conversation_id: string;
  agent_id: string;
  channel: string;
  recipient: { platformUserId: string; chatId: string };
};

/**
 * A free-form reply that cannot go out because the 24-hour window is closed. With a re-engagement template
 * the reply becomes `held` (released when the contact writes again) and the template is queued in the same
 * conversation, once per closed window; without one the reply is `failed` with `outside_window`.
 */
export async function holdForWindow(
  query: SqlRunner,
  message: HeldMessage,
  template: ReengagementTemplate | null,
  now: Date,
): Promise<'held' | 'failed'> {
  const statusEvent = (status: string) => ({
    agentId: message.agent_id,
    type: 'message.status' as const,
    conversationId: message.conversation_id,
    messageId: message.id,
    data: { status, channel: message.channel, code: OUTSIDE_WINDOW },
  });
  if (!template) {
    const failed = await query(
      `update messages set status = 'failed', error_code = $3, error_message = $2,
              next_attempt_at = null, updated_at = now()
       where id = $1 and status in ('queued', 'sent', 'failed') returning id`,
      [message.id, OUTSIDE_WINDOW_MESSAGE, OUTSIDE_WINDOW],
    );
    if (failed[0]) await publishEvent(query, statusEvent('failed'));
    return 'failed';
  }
  const held = await query(
    `update messages set status = 'held', error_code = $3, error_message = $2,
            next_attempt_at = null, updated_at = now()
     where id = $1 and status in ('queued', 'sent', 'failed') returning id`,
    [message.id, 'Held until the contact writes again; a re-engagement template was sent', OUTSIDE_WINDOW],
  );
  if (held[0]) await publishEvent(query, statusEvent('held'));
  const window = await contactWindow(
    query,
    message.agent_id,
    message.channel,
    message.recipient.platformUserId,
  );
  const pending = await query(
    `select 1 from messages where conversation_id = $1 and template is not null and status <> 'failed'
       and created_at >= coalesce($2::timestamptz, '-infinity') limit 1`,
    [message.conversation_id, window.lastInboundAt],
  );
  if (pending.length === 0) {
    const filled = fillTemplate(template, window.displayName);
    await insertTemplateMessage(query, { ...message, template: filled, now });
  }
  return 'held';
}

/** Queues a template message in a conversation; returns its id. */
export async function insertTemplateMessage(
  query: SqlRunner,
  input: {
    conversation_id: string;
    agent_id: string;
    channel: string;
    recipient: { platformUserId: string; chatId: string };
    template: StoredTemplate;
    now: Date;
    /** An operator sent it (API): stored with role `human` and their user id. */
    userId?: string;
  },
): Promise<string> {
  const id = newId('msg');
  await query(
    `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, status, recipient,
                           template, created_at, updated_at, user_id)
     values ($1, $2, $3, case when $9::text is null then 'assistant' else 'human' end, $4, $5, 'outbound', 'queued',
             $6::jsonb, $7::jsonb, $8, $8, $9)`,
    [
      id,
      input.conversation_id,
      input.agent_id,
      templateText(input.template),
      input.channel,
      JSON.stringify(input.recipient),
      JSON.stringify(input.template),
      input.now,
      input.userId ?? null,
    ],
  );
  return id;
}

/**
 * When the window's 24 hours start for a message: the provider's `sentAt` (a message we process late, after an
 * outage or a redelivery, opened its window when it was written, not when we read it), never later than now
 * (a provider clock ahead of ours), and now when the provider gave no readable time.
 */
export function windowStart(sentAt: string | undefined, now: Date): Date {
  const written = sentAt ? Date.parse(sentAt) : Number.NaN;
  return Number.isFinite(written) && written < now.getTime() ? new Date(written) : now;
}

/** Puts a contact's held replies on a channel back in the queue ($1 agent, $2 channel, $3 contact). */
export const RELEASE_HELD_SQL = `update messages set status = 'queued', error_code = null, error_message = null,
         next_attempt_at = null, updated_at = now()
  where agent_id = $1 and channel = $2 and status = 'held'
    and conversation_id in (select id from conversations where contact_id = $3)
  returning conversation_id`;

/**
 * The contact wrote again on a window channel: records when (the window reopens; never moved back by an older
 * message) and, while that leaves the window open, puts their held replies back in the queue, oldest first —
 * by contact, so a re-keyed identity (new user id or number) still gets them. Returns the conversations that
 * now have something to deliver.
 */
export async function reopenWindow(
  query: SqlRunner,
  identity: { id: string; contactId: string },
  message: { agentId: string; channel: string; now: Date; sentAt?: string },
): Promise<string[]> {
  const start = windowStart(message.sentAt, message.now);
  await query(
    `update contact_identities set last_inbound_at = greatest(last_inbound_at, $2::timestamptz) where id = $1`,
    [identity.id, start],
  );
  if (!windowOpen(start, message.now)) return [];
  const released = await query<{ conversation_id: string }>(RELEASE_HELD_SQL, [
    message.agentId,
    message.channel,
    identity.contactId,
  ]);
  return [...new Set(released.map((row) => row.conversation_id))];
}
