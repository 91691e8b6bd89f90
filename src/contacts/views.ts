import type { SqlRunner } from '../db/client.ts';
import type { ContactMergeDetails } from '../db/schema-contacts.ts';

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export type ContactRow = {
  id: string;
  agent_id: string;
  display_name: string | null;
  email: string | null;
  email_verified_at: Date | null;
  phone: string | null;
  phone_verified_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

export const CONTACT_COLUMNS = `k.id, k.agent_id, k.display_name, k.email, k.email_verified_at, k.phone,
  k.phone_verified_at, k.created_at, k.updated_at`;

type IdentityRow = {
  id: string;
  contact_id: string;
  channel: string;
  platform_user_id: string;
  username: string | null;
  verified_email: string | null;
  verified_phone: string | null;
  blocked_at: Date | null;
  last_inbound_at: Date | null;
  unlinked_at: Date | null;
  created_at: Date;
};

/** Most identities shown per contact (a contact normally has one per channel). */
const IDENTITIES_PER_CONTACT = 50;

/** The identities of these contacts, grouped by contact, oldest first. */
export async function identitiesOf(query: SqlRunner, contactIds: string[]) {
  const grouped = new Map<string, ReturnType<typeof identityView>[]>();
  if (contactIds.length === 0) return grouped;
  const rows = await query<IdentityRow>(
    `select id, contact_id, channel, platform_user_id, username, verified_email, verified_phone, blocked_at,
            last_inbound_at, unlinked_at, created_at
     from contact_identities where contact_id = any($1::text[]) order by contact_id, id`,
    [contactIds],
  );
  for (const row of rows) {
    const list = grouped.get(row.contact_id) ?? [];
    if (list.length < IDENTITIES_PER_CONTACT) list.push(identityView(row));
    grouped.set(row.contact_id, list);
  }
  return grouped;
}

function identityView(row: IdentityRow) {
  return {
    _id: row.id,
    channel: row.channel,
    platform_user_id: `${row.channel}:${row.platform_user_id}`,
    username: row.username,
    verified: {
      ...(row.verified_email ? { email: row.verified_email } : {}),
      ...(row.verified_phone ? { phone: row.verified_phone } : {}),
    },
    blocked: row.blocked_at !== null,
    last_inbound_at: iso(row.last_inbound_at),
    unlinked_at: iso(row.unlinked_at),
    created_at: iso(row.created_at),
  };
}

export function contactView(row: ContactRow, identities: ReturnType<typeof identityView>[]) {
  return {
    _id: row.id,
    agent: row.agent_id,
    display_name: row.display_name,
    email: row.email,
    email_verified_at: iso(row.email_verified_at),
    phone: row.phone,
    phone_verified_at: iso(row.phone_verified_at),
    identities,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export type MergeRow = {
  id: string;
  kind: string;
  target_contact_id: string;
  source_contact_id: string | null;
  actor: string;
  details: ContactMergeDetails;
  created_at: Date;
};

export const MERGE_COLUMNS = 'id, kind, target_contact_id, source_contact_id, actor, details, created_at';

export function mergeView(row: MergeRow) {
  return {
    _id: row.id,
    kind: row.kind,
    target_contact: row.target_contact_id,
    source_contact: row.source_contact_id,
    by: row.actor,
    identities: row.details.identities,
    conversations: row.details.conversations,
    message_count: row.details.messages,
    closed_conversations: row.details.closed_conversations,
    source: row.details.source ?? null,
    erased: row.details.erased ?? null,
    created_at: iso(row.created_at),
  };
}
