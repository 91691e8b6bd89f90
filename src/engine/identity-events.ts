import type { InboundEchoEvent, InboundIdentityEvent } from '../channels/types.ts';
import type { SqlRunner } from '../db/client.ts';
import { normalizePhone } from '../contacts/verified-attributes.ts';
import { newId } from '../ids.ts';
import { openConversation, resolveIdentity } from './conversation-store.ts';

/** Default quiet period after a human answered from another client (WhatsApp Business app echoes). */
export const DEFAULT_ECHO_QUIET_MINUTES = 30;

/**
 * Re-keys a person's identity after their platform id changed (WhatsApp: a new number or user id): the
 * identity recorded under the first matching previous id takes the new id and reply address, so the contact
 * and its conversation carry on. When the new id is already known (its messages arrived first) nothing moves.
 */
export async function applyIdentityChange(
  query: SqlRunner,
  agentId: string,
  channel: string,
  event: InboundIdentityEvent,
): Promise<void> {
  const { sender } = event;
  const moved = await query<{ contact_id: string }>(
    `update contact_identities set platform_user_id = $4, chat_id = $5, updated_at = now()
     where id = (select id from contact_identities
                 where agent_id = $1 and channel = $2 and platform_user_id = any($3::text[])
                 order by array_position($3::text[], platform_user_id) limit 1)
       and not exists (select 1 from contact_identities
                       where agent_id = $1 and channel = $2 and platform_user_id = $4)
     returning contact_id`,
    [agentId, channel, event.previousPlatformUserIds, sender.platformUserId, sender.chatId],
  );
  const contactId = moved[0]?.contact_id;
  if (!contactId) return;
  const phone = normalizePhone(sender.phone);
  if (phone) {
    await query(
      `update contacts set phone = $2, phone_verified_at = now(), updated_at = now() where id = $1`,
      [contactId, phone],
    );
    // The identity proves its new number (a linking key) from now on.
    await query(
      `update contact_identities set verified_phone = $3 where agent_id = $1 and channel = $2
                 and platform_user_id = $4`,
      [agentId, channel, phone, sender.platformUserId],
    );
  }
  await query(
    `update conversations set channel_metadata = channel_metadata || $2::jsonb, updated_at = now()
     where contact_id = $1 and status = 'active' and channel = $3`,
    [
      contactId,
      JSON.stringify({
        platform_user_id: `${channel}:${sender.platformUserId}`,
        chat_id: sender.chatId,
        ...(sender.phone ? { phone_number: sender.phone } : {}),
      }),
      channel,
    ],
  );
}

/**
 * Records a message a human sent from another client (a coexistence echo) as an outbound `human` message on
 * the person's conversation, marked as an echo so turns stay quiet for a while after it; an echoed edit or
 * revoke rewrites the outbound message it names.
 */
export async function applyEcho(
  query: SqlRunner,
  agentId: string,
  channel: string,
  event: InboundEchoEvent,
  settings: { now: Date; inactivityMs: number },
): Promise<void> {
  const { recipient } = event;
  if (event.editOf) {
    // The human edited or deleted a message sent from the same number: only its text changes.
    await query(
      `update messages set content = $4, edited_at = $5, updated_at = $5
       where agent_id = $1 and channel = $2 and provider_message_id = $3 and direction = 'outbound'`,
      [agentId, channel, event.editOf, event.text, settings.now],
    );
    return;
  }
  const identity = await resolveIdentity(query, agentId, channel, { sender: recipient }, settings.now);
  const conversation = await openConversation(query, {
    agentId,
    contactId: identity.contactId,
    userIdentifier: `${channel}:${recipient.platformUserId}`,
    now: settings.now,
    inactivityMs: settings.inactivityMs,
    active: identity.active,
  });
  const sentAt = event.sentAt ? new Date(event.sentAt) : settings.now;
  await query(
    `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, provider_message_id,
                           status, attachments, recipient, sent_at, created_at, updated_at)
     values ($1, $2, $3, 'human', $4, $5, 'outbound', $6, 'sent', $7::jsonb, $8::jsonb, $9, $10, $10)
     on conflict do nothing`,
    [
      newId('msg'),
      conversation.id,
      agentId,
      event.text,
      channel,
      event.providerMessageId,
      JSON.stringify(event.attachments ?? []),
      JSON.stringify({ platformUserId: recipient.platformUserId, chatId: recipient.chatId, echo: true }),
      sentAt,
      settings.now,
    ],
  );
  await query(`update conversations set last_activity_at = $2, updated_at = $2 where id = $1`, [
    conversation.id,
    settings.now,
  ]);
}

/** True while a human's echoed message (`lastEchoAt`, the newest) is younger than `minutes`. */
export function quietAfterEcho(lastEchoAt: Date | null, minutes: number, now: Date): boolean {
  return minutes > 0 && lastEchoAt !== null && now.getTime() - lastEchoAt.getTime() < minutes * 60_000;
}
