import type { InboundMessageEvent, InboundSender } from '../channels/types.ts';
import {
  fillContactAttributes,
  fillContactSql,
  linkedContacts,
  linkExistingIdentity,
  proofHoldersSql,
} from '../contacts/link.ts';
import { recordLink } from '../contacts/merge.ts';
import { type VerifiedAttributes, verifiedAttributesOf } from '../contacts/verified-attributes.ts';
import type { SqlRunner } from '../db/client.ts';
import type { ChannelHistoryEntry } from '../db/schema-conversations.ts';
import { isId, newId } from '../ids.ts';
import { publishEvent, publishEvents } from '../events/publish.ts';

export type Identity = {
  id: string;
  contactId: string;
  blockedAt: Date | null;
  /**
   * The contact's active conversation when already known, for `openConversation`: read and locked with a known
   * identity, or null for a contact created with this identity in the caller's transaction.
   */
  active?: ConversationRow | null;
};

/** A new identity's columns, in the order of `senderColumns` after its id and contact. */
const IDENTITY_COLUMNS =
  'id, contact_id, agent_id, channel, platform_user_id, chat_id, username, verified_email, verified_phone';

/** An identity's columns from the sender, in IDENTITY_COLUMNS' order from $3 and FIND_IDENTITY_SQL's from $1. */
const senderColumns = (
  agentId: string,
  channel: string,
  sender: InboundSender,
  attributes: VerifiedAttributes,
) => [
  agentId,
  channel,
  sender.platformUserId,
  sender.chatId,
  sender.username ?? null,
  attributes.email ?? null,
  attributes.phone ?? null,
];

/**
 * Finds the sender's identity on this channel, creating it on first contact. Verified attributes the sender
 * carries (a provider or a check vouched for them) are recorded on the identity; with contact linking on, a new
 * identity joins the contact that already proved the same email or phone, and an existing one folds such
 * contacts into one (src/contacts/link.ts). Anything unverified never links.
 */
export async function resolveIdentity(
  query: SqlRunner,
  agentId: string,
  channel: string,
  event: Pick<InboundMessageEvent, 'sender'>,
  now: Date = new Date(),
  /** A new contact's first conversation is opened with it (one statement), as `Identity.active`. */
  firstConversation?: { userIdentifier: string },
): Promise<Identity> {
  const { sender } = event;
  const attributes = verifiedAttributesOf(sender);
  const lookup: Lookup = {
    query,
    agentId,
    channel,
    sender,
    attributes,
    now,
    fresh: {
      contactId: newId('contact'),
      identityId: newId('ident'),
      conversation: firstConversation && { id: newId('conv'), ...firstConversation },
    },
  };
  const found = await findIdentity(lookup);
  if (found) {
    const identity = identityOf(found);
    if (!found.proofElsewhere) return identity;
    const contactId = await linkExistingIdentity(query, {
      agentId,
      contactId: identity.contactId,
      attributes,
      now,
      unlinkedAt: found.unlinkedAt,
    });
    if (contactId === identity.contactId) return identity;
    // Folded into another contact: its conversation is the one to continue (openConversation reads it).
    return { ...identity, contactId, active: undefined };
  }
  // Neither found nor created: another contact proved the same email or phone.
  const [match] = await linkedContacts(query, agentId, attributes);
  if (!match) {
    // Linking is off for the agent: a contact of its own after all.
    const created = await runFind(lookup, 'always');
    if (!created) throw new Error('The sender was neither found nor created');
    return identityOf(created);
  }
  const contactId = match.contact_id;
  const id = lookup.fresh.identityId;
  await fillContactAttributes(query, contactId, attributes, now);
  if (sender.displayName) {
    await query(`update contacts set display_name = $2 where id = $1 and display_name is null`, [
      contactId,
      sender.displayName,
    ]);
  }
  await query(
    `insert into contact_identities (${IDENTITY_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [id, contactId, ...senderColumns(agentId, channel, sender, attributes)],
  );
  await recordLink(query, {
    agentId,
    contactId,
    identityId: id,
    actor: `auto:verified_${match.matched}`,
    now,
  });
  return { id, contactId, blockedAt: null };
}

/**
 * One statement for every message. The sender's identity ($1 agent, $2 channel, $3 platform user id) with its reply
 * address ($4 chat, $5 username) and the verified attributes it carries ($6 email, $7 phone) recorded, its contact's
 * email and phone filled from them where missing ($8 now), and its contact's active conversation read and locked;
 * `proof_elsewhere` says whether another contact holds one of those proofs (only then is linking looked at).
 * When there is no such identity and $9 (a FindMode) allows it: a new contact ($10 id, $12 display name), the
 * identity ($11 id) and, when $13 is given, its first conversation ($13 id, $14 user identifier) are created, and
 * `created` is true. Always one row.
 */
export const FIND_IDENTITY_SQL = `
  with ident as (
    update contact_identities set chat_id = $4, username = coalesce($5, username),
           verified_email = coalesce($6::text, verified_email), verified_phone = coalesce($7::text, verified_phone),
           updated_at = now()
    where agent_id = $1 and channel = $2 and platform_user_id = $3
    returning id, contact_id, blocked_at, unlinked_at),
  filled as (${fillContactSql('(select contact_id from ident)', '$6', '$7', '$8')}),
  proof as (
    select exists (select 1 from (${proofHoldersSql('$1', '$6', '$7')}) h
                   where h.contact_id is distinct from (select contact_id from ident)) as elsewhere),
  fresh as (
    select where $9::text <> 'find' and not exists (select 1 from ident)
                 and ($9::text = 'always' or not (select elsewhere from proof))),
  contact as (
    insert into contacts (id, agent_id, display_name, email, email_verified_at, phone, phone_verified_at)
    select $10, $1, $12, $6, case when $6::text is null then null else now() end,
           $7, case when $7::text is null then null else now() end from fresh),
  identity as (insert into contact_identities (${IDENTITY_COLUMNS}) select $11, $10, $1, $2, $3, $4, $5, $6, $7 from fresh),
  opened as (
    insert into conversations (id, agent_id, contact_id, user_identifier, last_activity_at, created_at, updated_at)
    select $13, $1, $10, $14, $8, $8, $8 from fresh where $13::text is not null)
  select i.id, i.contact_id, i.blocked_at, i.unlinked_at,
         c.id as conversation_id, c.channel, c.channel_history, c.last_activity_at,
         (select elsewhere from proof) as proof_elsewhere, exists (select 1 from fresh) as created
  from (select) one left join ident i on true left join lateral (
    select id, channel, channel_history, last_activity_at from conversations
    where contact_id = i.contact_id and status = 'active' for update) c on true`;

/**
 * What FIND_IDENTITY_SQL may create when the sender has no identity: nothing ('find'), the sender unless another
 * contact holds their proofs ('create'), or the sender anyway ('always').
 */
type FindMode = 'find' | 'create' | 'always';

type FoundRow = {
  id: string | null;
  contact_id: string;
  blocked_at: Date | null;
  unlinked_at: Date | null;
  proof_elsewhere: boolean;
  created: boolean;
} & Omit<ConversationRow, 'id'> & { conversation_id: string | null };

/** One sender's look-up, with the ids a new contact, identity and first conversation get if it creates them. */
type Lookup = {
  query: SqlRunner;
  agentId: string;
  channel: string;
  sender: InboundSender;
  attributes: VerifiedAttributes;
  now: Date;
  fresh: {
    contactId: string;
    identityId: string;
    conversation: { id: string; userIdentifier: string } | undefined;
  };
};

/** An identity found or created, with `unlinkedAt` (an operator split it out of its contact; null: never). */
type Found = Identity & { unlinkedAt: Date | null; proofElsewhere: boolean };

/** What callers get of a Found: the identity without the look-up's own facts. */
const identityOf = ({ id, contactId, blockedAt, active }: Found): Identity => ({
  id,
  contactId,
  blockedAt,
  active,
});

/**
 * The sender's identity on this channel by FIND_IDENTITY_SQL, created when nobody else holds its proofs; a sender
 * with alternate ids is looked for by them (and re-keyed) before anything is created. Undefined: neither found nor
 * created (another contact holds its proofs).
 */
async function findIdentity(lookup: Lookup): Promise<Found | undefined> {
  const { query, agentId, channel, sender } = lookup;
  const alternates = sender.alternateIds ?? [];
  if (alternates.length === 0) return runFind(lookup, 'create');
  const found = await runFind(lookup, 'find');
  if (found) return found;
  const rekeyed = await query(
    `update contact_identities set platform_user_id = $3
     where id = (select id from contact_identities
                 where agent_id = $1 and channel = $2 and platform_user_id = any($4::text[]) limit 1)
     returning id`,
    [agentId, channel, sender.platformUserId, alternates],
  );
  return runFind(lookup, rekeyed.length > 0 ? 'find' : 'create');
}

/** Runs FIND_IDENTITY_SQL: the identity it found, or the one it created from `lookup.fresh`. */
async function runFind(lookup: Lookup, mode: FindMode): Promise<Found | undefined> {
  const { fresh, now } = lookup;
  const [row] = await lookup.query<FoundRow>(FIND_IDENTITY_SQL, [
    ...senderColumns(lookup.agentId, lookup.channel, lookup.sender, lookup.attributes),
    now,
    mode,
    fresh.contactId,
    fresh.identityId,
    lookup.sender.displayName ?? null,
    fresh.conversation?.id ?? null,
    fresh.conversation?.userIdentifier ?? null,
  ]);
  if (row?.created) {
    const { conversation } = fresh;
    return {
      id: fresh.identityId,
      contactId: fresh.contactId,
      blockedAt: null,
      unlinkedAt: null,
      proofElsewhere: false,
      active: conversation
        ? { id: conversation.id, channel: null, channel_history: [], last_activity_at: now, opened: true }
        : null,
    };
  }
  if (!row?.id) return undefined;
  return {
    id: row.id,
    contactId: row.contact_id,
    blockedAt: row.blocked_at,
    unlinkedAt: row.unlinked_at,
    proofElsewhere: row.proof_elsewhere,
    active: row.conversation_id
      ? {
          id: row.conversation_id,
          channel: row.channel,
          channel_history: row.channel_history,
          last_activity_at: row.last_activity_at,
        }
      : null,
  };
}

type ConversationRow = {
  id: string;
  channel: string | null;
  channel_history: ChannelHistoryEntry[];
  last_activity_at: Date;
  /** Opened by this transaction (with its contact): current whatever the inactivity setting. */
  opened?: boolean;
};

/** The contact's active conversation, locked for the caller's transaction; null when it has none. */
async function readActive(query: SqlRunner, contactId: string): Promise<ConversationRow | null> {
  const [row] = await query<ConversationRow>(
    `select id, channel, channel_history, last_activity_at from conversations
     where contact_id = $1 and status = 'active' for update`,
    [contactId],
  );
  return row ?? null;
}

/**
 * The contact's active conversation, locked for this transaction. One idle longer than
 * `inactivityMs` is closed first and a new one opened; the contact persists.
 */
export async function openConversation(
  query: SqlRunner,
  input: {
    agentId: string;
    contactId: string;
    userIdentifier: string;
    now: Date;
    inactivityMs: number;
    /** The contact's active conversation when resolveIdentity knew it (Identity.active): not read again. */
    active?: ConversationRow | null | undefined;
  },
): Promise<ConversationRow> {
  const current = input.active === undefined ? await readActive(query, input.contactId) : input.active;
  if (
    current &&
    (current.opened ||
      input.now.getTime() - new Date(current.last_activity_at).getTime() < input.inactivityMs)
  ) {
    return current;
  }
  if (current) {
    await query(`update conversations set status = 'closed', closed_at = $2, updated_at = $2 where id = $1`, [
      current.id,
      input.now,
    ]);
    await publishEvent(query, {
      agentId: input.agentId,
      type: 'conversation.closed',
      conversationId: current.id,
      contactId: input.contactId,
      data: { reason: 'inactive' },
    });
  }
  const id = newId('conv');
  await query(
    `insert into conversations (id, agent_id, contact_id, user_identifier, last_activity_at, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $5, $5)`,
    [id, input.agentId, input.contactId, input.userIdentifier, input.now],
  );
  return { id, channel: null, channel_history: [], last_activity_at: input.now };
}

/**
 * Outbound messages of the agent on the channel to the contact ($1 agent, $2 channel, $4 contact) among the provider
 * ids $3 and our own ids $5. Indexed lookups per id (`offset 0` keeps each lateral lookup on the one index its
 * condition names, the filters applied after it: a plan cached while the tables were small otherwise scanned all the
 * agent's messages, and conversations by contact).
 */
export const THREAD_PARENTS_SQL = `
  select m.id, m.conversation_id, m.provider_message_id from unnest($3::text[]) as parent(ref)
  cross join lateral (
    select id, conversation_id, provider_message_id, direction from messages
    where agent_id = $1 and channel = $2 and provider_message_id = parent.ref offset 0) m
  cross join lateral (select contact_id from conversations where id = m.conversation_id offset 0) c
  where m.direction = 'outbound' and c.contact_id = $4
  union all
  select m.id, m.conversation_id, m.provider_message_id from unnest($5::text[]) as own(ref)
  cross join lateral (
    select id, conversation_id, provider_message_id, agent_id, channel, direction from messages
    where id = own.ref offset 0) m
  cross join lateral (select contact_id from conversations where id = m.conversation_id offset 0) c
  where m.agent_id = $1 and m.channel = $2 and m.direction = 'outbound' and c.contact_id = $4`;

/**
 * The conversation of the first message in `parentIds` that this agent sent on `channel` to this contact (by
 * provider id, or by our message id as the local part of a Message-ID we set)
 * (a reply keeps its thread), locked for this transaction; a closed one is reopened and the contact's
 * other active conversation closed. Undefined when none of the ids is ours.
 */
export async function threadConversation(
  query: SqlRunner,
  input: { agentId: string; channel: string; contactId: string; parentIds: string[]; now: Date },
): Promise<ConversationRow | undefined> {
  const parents = input.parentIds.slice(0, 50);
  // Our own id in a Message-ID we set (`<msg_…@domain>`): found even when the provider's id is stored instead.
  const ours = (id: string) => {
    const local = id.split('@')[0] ?? '';
    return isId('msg', local) ? local : undefined;
  };
  const ownIds = parents.map(ours).filter((id): id is string => id !== undefined);
  const rows = await query<{ id: string; conversation_id: string; provider_message_id: string }>(
    THREAD_PARENTS_SQL,
    [input.agentId, input.channel, parents, input.contactId, ownIds],
  );
  const match = parents
    .map((id) => rows.find((row) => row.provider_message_id === id || row.id === ours(id)))
    .find(Boolean);
  if (!match) return undefined;
  const found = (
    await query<ConversationRow & { status: string }>(
      `select id, channel, channel_history, last_activity_at, status from conversations where id = $1 for update`,
      [match.conversation_id],
    )
  )[0];
  if (!found) return undefined;
  if (found.status !== 'active') {
    const closed = await query<{ id: string }>(
      `update conversations set status = 'closed', closed_at = $3, updated_at = $3
       where contact_id = $1 and status = 'active' and id <> $2 returning id`,
      [input.contactId, found.id, input.now],
    );
    await publishEvents(
      query,
      closed.map((row) => ({
        agentId: input.agentId,
        type: 'conversation.closed' as const,
        conversationId: row.id,
        contactId: input.contactId,
        data: { reason: 'thread_reopened' },
      })),
    );
    await query(
      `update conversations set status = 'active', closed_at = null, updated_at = $2 where id = $1`,
      [found.id, input.now],
    );
  }
  return {
    id: found.id,
    channel: found.channel,
    channel_history: found.channel_history,
    last_activity_at: found.last_activity_at,
  };
}

/** Adds `count` messages on `channel` to the history: same channel bumps the last entry, a new one appends. */
export function extendHistory(
  history: ChannelHistoryEntry[],
  channel: string,
  count: number,
  now: Date,
): ChannelHistoryEntry[] {
  const last = history.at(-1);
  if (last && last.channel === channel) {
    return [...history.slice(0, -1), { ...last, message_count: last.message_count + count }];
  }
  return [...history, { channel, timestamp: now.toISOString(), message_count: count }];
}
