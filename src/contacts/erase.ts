import type { SqlRunner } from '../db/client.ts';
import { newId } from '../ids.ts';

/** What an erasure removed, by kind: counts only (never the data itself). */
export type Erased = {
  identities: number;
  conversations: number;
  messages: number;
  inbound_events: number;
  raw_mails: number;
  events: number;
  audit_entries: number;
};

/**
 * Deletes one person everywhere, in the caller's transaction (a privacy request): their messages and
 * conversations, identities, the inbound webhook events of their identities, the raw mail they sent, the live
 * events about them, and the merge audit entries that kept a snapshot of them. Channel analytics keep their
 * counts (no personal data). The erasure itself is recorded in the audit with counts and who did it, nothing
 * else. Undefined when the contact is not this agent's.
 */
export async function eraseContact(
  query: SqlRunner,
  input: { agentId: string; contactId: string; actor: string; now: Date },
): Promise<Erased | undefined> {
  const { agentId, contactId } = input;
  const [contact] = await query<{ id: string }>(
    'select id from contacts where id = $1 and agent_id = $2 for update',
    [contactId, agentId],
  );
  if (!contact) return undefined;
  const identities = await query<{ channel: string; platform_user_id: string }>(
    'select channel, platform_user_id from contact_identities where contact_id = $1',
    [contactId],
  );
  const channels = identities.map((i) => i.channel);
  const streams = identities.map((i) => `user:${i.platform_user_id}`);
  const conversations = (
    await query<{ id: string }>('select id from conversations where contact_id = $1', [contactId])
  ).map((row) => row.id);
  // Raw mail: named by their messages, and by the inbound events of the person's email identities.
  const rawMails = await query<{ id: string }>(
    `delete from raw_mails where agent_id = $1 and id in (
       select metadata #>> '{email,raw_mail_id}' from messages
       where conversation_id = any($2::text[]) and metadata #>> '{email,raw_mail_id}' is not null
       union
       select substr(e.provider_event_id, 9) from inbound_events e
       join unnest($3::text[], $4::text[]) as i(channel, stream) on e.channel = i.channel and e.stream = i.stream
       where e.agent_id = $1 and e.provider_event_id like 'rawmail:%')
     returning id`,
    [agentId, conversations, channels, streams],
  );
  const inboundEvents = await query<{ id: string }>(
    `delete from inbound_events e using unnest($2::text[], $3::text[]) as i(channel, stream)
     where e.agent_id = $1 and e.channel = i.channel and e.stream = i.stream returning e.id`,
    [agentId, channels, streams],
  );
  const events = await query<{ id: string }>(
    `delete from agent_events where agent_id = $1 and (contact_id = $2 or conversation_id = any($3::text[]))
     returning id`,
    [agentId, contactId, conversations],
  );
  const audit = await query<{ id: string }>(
    `delete from contact_merges where agent_id = $1 and (target_contact_id = $2 or source_contact_id = $2)
     returning id`,
    [agentId, contactId],
  );
  const [messages] = await query<{ n: number }>(
    'select count(*)::int as n from messages where conversation_id = any($1::text[])',
    [conversations],
  );
  // Messages go with their conversations, identities with the contact (foreign keys cascade).
  await query('delete from conversations where contact_id = $1', [contactId]);
  await query('delete from contacts where id = $1', [contactId]);
  const erased: Erased = {
    identities: identities.length,
    conversations: conversations.length,
    messages: messages?.n ?? 0,
    inbound_events: inboundEvents.length,
    raw_mails: rawMails.length,
    events: events.length,
    audit_entries: audit.length,
  };
  await query(
    `insert into contact_merges (id, agent_id, kind, target_contact_id, source_contact_id, actor, identity_count,
                                 details, created_at)
     values ($1, $2, 'erase', $3, null, $4, $5, $6::jsonb, $7)`,
    [
      newId('merge'),
      agentId,
      contactId,
      input.actor,
      identities.length,
      JSON.stringify({
        identities: [],
        conversations: [],
        messages: erased.messages,
        closed_conversations: [],
        erased,
      }),
      input.now,
    ],
  );
  return erased;
}
