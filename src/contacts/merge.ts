import type { SqlRunner } from '../db/client.ts';
import type { ContactMergeDetails } from '../db/schema-contacts.ts';
import { publishEvent } from '../events/publish.ts';
import { newId } from '../ids.ts';

/** Who asked: a user id, or `auto:<reason>` when the engine linked on a verified attribute. */
export type MergeActor = string;

export type MergeRecord = {
  id: string;
  kind: 'merge' | 'link' | 'split';
  targetContactId: string;
  sourceContactId: string | null;
  actor: MergeActor;
  details: ContactMergeDetails;
};

type ContactRow = {
  id: string;
  display_name: string | null;
  email: string | null;
  email_verified_at: Date | null;
  phone: string | null;
  phone_verified_at: Date | null;
};

/** Thrown when a contact or identity named by the caller is not this agent's (routes answer 404). */
export class ContactNotFound extends Error {}
/** Thrown when the operation makes no sense (merging a contact into itself, splitting a lone identity). */
export class ContactConflict extends Error {}

/**
 * Folds `sourceId` into `targetId` in the caller's transaction: every identity and conversation of the source
 * moves to the target (messages stay in their conversations, so nothing is lost and the channel analytics
 * do not change), the target keeps its own attributes and takes the source's where it has none, and the
 * source contact is deleted. A contact has at most one active conversation: when both have one, the one
 * with the latest activity stays active and the other is closed (its messages untouched). The merge is
 * recorded in `contact_merges` and published as `contact.merged`.
 */
export async function mergeContacts(
  query: SqlRunner,
  input: { agentId: string; targetId: string; sourceId: string; actor: MergeActor; now: Date },
): Promise<MergeRecord> {
  const { agentId, targetId, sourceId, now } = input;
  if (targetId === sourceId) throw new ContactConflict('A contact cannot be merged into itself');
  const locked = await query<ContactRow>(
    `select id, display_name, email, email_verified_at, phone, phone_verified_at from contacts
     where agent_id = $1 and id = any($2::text[]) order by id for update`,
    [agentId, [targetId, sourceId]],
  );
  const target = locked.find((row) => row.id === targetId);
  const source = locked.find((row) => row.id === sourceId);
  if (!target || !source) throw new ContactNotFound('Contact not found');

  const active = await query<{ id: string; contact_id: string; last_activity_at: Date }>(
    `select id, contact_id, last_activity_at from conversations
     where contact_id = any($1::text[]) and status = 'active' order by id for update`,
    [[targetId, sourceId]],
  );
  const closed: string[] = [];
  if (active.length > 1) {
    // The most recently active one continues; ties keep the target's.
    const [keep] = [...active].sort(
      (a, b) =>
        new Date(b.last_activity_at).getTime() - new Date(a.last_activity_at).getTime() ||
        Number(b.contact_id === targetId) - Number(a.contact_id === targetId),
    );
    for (const row of active) {
      if (row.id === keep?.id) continue;
      await query(
        `update conversations set status = 'closed', closed_at = $2, updated_at = $2 where id = $1`,
        [row.id, now],
      );
      closed.push(row.id);
    }
  }
  const conversations = await query<{ id: string }>(
    `update conversations set contact_id = $2, updated_at = $3 where contact_id = $1 returning id`,
    [sourceId, targetId, now],
  );
  const conversationIds = conversations.map((row) => row.id).sort();
  const identities = await query<{ id: string }>(
    `update contact_identities set contact_id = $2, updated_at = $3 where contact_id = $1 returning id`,
    [sourceId, targetId, now],
  );
  await query(
    `update contacts set
       display_name = coalesce(display_name, $2),
       email_verified_at = case when email is null then $4::timestamptz else email_verified_at end,
       email = coalesce(email, $3),
       phone_verified_at = case when phone is null then $6::timestamptz else phone_verified_at end,
       phone = coalesce(phone, $5),
       updated_at = $7
     where id = $1`,
    [
      targetId,
      source.display_name,
      source.email,
      source.email ? (source.email_verified_at ?? now) : null,
      source.phone,
      source.phone ? (source.phone_verified_at ?? now) : null,
      now,
    ],
  );
  await query('delete from contacts where id = $1', [sourceId]);
  const details: ContactMergeDetails = {
    identities: identities.map((row) => row.id).sort(),
    conversations: conversationIds,
    messages: await countMessages(query, conversationIds),
    closed_conversations: closed,
    source: { display_name: source.display_name, email: source.email, phone: source.phone },
  };
  return record(query, {
    id: newId('merge'),
    agentId,
    kind: 'merge',
    targetContactId: targetId,
    sourceContactId: sourceId,
    actor: input.actor,
    details,
    now,
  });
}

/** Records that a new identity joined an existing contact on a verified attribute (no second contact existed). */
export async function recordLink(
  query: SqlRunner,
  input: { agentId: string; contactId: string; identityId: string; actor: MergeActor; now: Date },
): Promise<MergeRecord> {
  return record(query, {
    id: newId('merge'),
    agentId: input.agentId,
    kind: 'link',
    targetContactId: input.contactId,
    sourceContactId: null,
    actor: input.actor,
    details: { identities: [input.identityId], conversations: [], messages: 0, closed_conversations: [] },
    now: input.now,
  });
}

/**
 * Moves one identity out of its contact into a new contact, in the caller's transaction. The conversations
 * that move with it are those whose every addressed message (inbound from, or outbound to, someone) was with
 * this identity; a conversation that also holds another identity's messages stays. The identity is marked
 * unlinked, so automatic linking never joins it again; its verified attributes go with it.
 */
export async function splitIdentity(
  query: SqlRunner,
  input: { agentId: string; contactId: string; identityId: string; actor: MergeActor; now: Date },
): Promise<MergeRecord> {
  const { agentId, contactId, identityId, now } = input;
  const [contact] = await query<ContactRow>(
    `select id, display_name, email, email_verified_at, phone, phone_verified_at from contacts
     where agent_id = $1 and id = $2 for update`,
    [agentId, contactId],
  );
  if (!contact) throw new ContactNotFound('Contact not found');
  const identities = await query<{
    id: string;
    channel: string;
    platform_user_id: string;
    verified_email: string | null;
    verified_phone: string | null;
  }>(
    `select id, channel, platform_user_id, verified_email, verified_phone from contact_identities
     where contact_id = $1 order by id for update`,
    [contactId],
  );
  const identity = identities.find((row) => row.id === identityId);
  if (!identity) throw new ContactNotFound('Identity not found');
  if (identities.length < 2)
    throw new ContactConflict('The contact has only this identity; nothing to split');

  const newContactId = newId('contact');
  await query(
    `insert into contacts (id, agent_id, display_name, email, email_verified_at, phone, phone_verified_at,
                           created_at, updated_at)
     values ($1, $2, $3, $4, case when $4::text is null then null else $6::timestamptz end,
             $5, case when $5::text is null then null else $6::timestamptz end, $6, $6)`,
    [newContactId, agentId, contact.display_name, identity.verified_email, identity.verified_phone, now],
  );
  const moving = await query<{ id: string }>(
    `select c.id from conversations c
     where c.contact_id = $1
       and exists (select 1 from messages m where m.conversation_id = c.id and m.recipient is not null)
       and not exists (select 1 from messages m where m.conversation_id = c.id and m.recipient is not null
                         and not (m.channel = $2 and m.recipient->>'platformUserId' = $3))
     for update of c`,
    [contactId, identity.channel, identity.platform_user_id],
  );
  const conversationIds = moving.map((row) => row.id).sort();
  await query(`update conversations set contact_id = $2, updated_at = $3 where id = any($1::text[])`, [
    conversationIds,
    newContactId,
    now,
  ]);
  await query(
    `update contact_identities set contact_id = $2, unlinked_at = $3, updated_at = $3 where id = $1`,
    [identityId, newContactId, now],
  );
  const rest = identities.filter((row) => row.id !== identityId);
  await refreshAttributes(query, contact, rest, now);
  return record(query, {
    id: newId('merge'),
    agentId,
    kind: 'split',
    targetContactId: newContactId,
    sourceContactId: contactId,
    actor: input.actor,
    details: {
      identities: [identityId],
      conversations: conversationIds,
      messages: await countMessages(query, conversationIds),
      closed_conversations: [],
    },
    now,
  });
}

/** After a split: an email or phone that only the departed identity proved is replaced by one that remains. */
async function refreshAttributes(
  query: SqlRunner,
  contact: ContactRow,
  rest: { verified_email: string | null; verified_phone: string | null }[],
  now: Date,
): Promise<void> {
  const emails = rest.flatMap((row) => (row.verified_email ? [row.verified_email] : []));
  const phones = rest.flatMap((row) => (row.verified_phone ? [row.verified_phone] : []));
  const email = contact.email && !emails.includes(contact.email) ? (emails[0] ?? null) : contact.email;
  const phone = contact.phone && !phones.includes(contact.phone) ? (phones[0] ?? null) : contact.phone;
  if (email === contact.email && phone === contact.phone) return;
  await query(
    `update contacts set email = $2, email_verified_at = case when $2::text is null then null else $4::timestamptz end,
            phone = $3, phone_verified_at = case when $3::text is null then null else $4::timestamptz end,
            updated_at = $4
     where id = $1`,
    [contact.id, email, phone, now],
  );
}

async function countMessages(query: SqlRunner, conversationIds: string[]): Promise<number> {
  if (conversationIds.length === 0) return 0;
  const [row] = await query<{ n: number }>(
    'select count(*)::int as n from messages where conversation_id = any($1::text[])',
    [conversationIds],
  );
  return row?.n ?? 0;
}

/** Writes the audit row and, for merges and links, the `contact.merged` event, in the caller's transaction. */
async function record(
  query: SqlRunner,
  input: MergeRecord & { agentId: string; now: Date },
): Promise<MergeRecord> {
  const { agentId, now, ...merge } = input;
  await query(
    `insert into contact_merges (id, agent_id, kind, target_contact_id, source_contact_id, actor, identity_count,
                                 details, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)`,
    [
      merge.id,
      agentId,
      merge.kind,
      merge.targetContactId,
      merge.sourceContactId,
      merge.actor,
      merge.details.identities.length,
      JSON.stringify(merge.details),
      now,
    ],
  );
  if (merge.kind !== 'split') {
    await publishEvent(query, {
      agentId,
      type: 'contact.merged',
      contactId: merge.targetContactId,
      data: {
        merge_id: merge.id,
        kind: merge.kind,
        ...(merge.sourceContactId ? { source_contact_id: merge.sourceContactId } : {}),
        by: merge.actor,
      },
    });
  }
  return merge;
}
