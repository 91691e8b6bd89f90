import type { SqlRunner } from '../db/client.ts';
import { readContactLinking } from './linking-setting.ts';
import { mergeContacts } from './merge.ts';
import type { VerifiedAttributes } from './verified-attributes.ts';

/** Most other contacts folded in by one message (a bound: normally there is one). */
const MAX_LINKED_CONTACTS = 10;

type Match = { contact_id: string; created_at: Date; matched: 'email' | 'phone' };

/**
 * The agent's identities (`contact_id`, `by_email`) that proved the email or the phone, operator-split ones left
 * out. One branch per proof, so each reads its own index: as one `email = $2 or phone = $3` condition, a plan made on
 * an empty table read every identity of the agent.
 */
export const proofHoldersSql = (agent: string, email: string, phone: string) => `
  select contact_id, true as by_email from contact_identities
  where agent_id = ${agent} and verified_email = ${email}::text and unlinked_at is null
  union all
  select contact_id, false from contact_identities
  where agent_id = ${agent} and verified_phone = ${phone}::text and unlinked_at is null`;

/** $1 agent, $2 email, $3 phone, $4 the contact to leave out. */
export const LINKED_CONTACTS_SQL = `
  select i.contact_id, min(k.created_at) as created_at,
         case when bool_or(i.by_email) then 'email' else 'phone' end as matched
  from (${proofHoldersSql('$1', '$2', '$3')}) i
  join contacts k on k.id = i.contact_id
  where i.contact_id is distinct from $4::text
  group by i.contact_id order by min(k.created_at), i.contact_id limit ${MAX_LINKED_CONTACTS}`;

/**
 * The contacts (other than `exceptContactId`) holding an identity that proved one of these attributes, oldest
 * first. Identities an operator split out are ignored, and so is everything when the agent has linking off.
 */
export async function linkedContacts(
  query: SqlRunner,
  agentId: string,
  attributes: VerifiedAttributes,
  exceptContactId?: string,
): Promise<Match[]> {
  if (!attributes.email && !attributes.phone) return [];
  const rows = await query<Match>(LINKED_CONTACTS_SQL, [
    agentId,
    attributes.email ?? null,
    attributes.phone ?? null,
    exceptContactId ?? null,
  ]);
  if (rows.length === 0) return [];
  return (await readContactLinking(query, agentId)) === 'verified' ? rows : [];
}

/**
 * An existing identity proved `attributes`, which the caller's statement recorded on it and on its contact where it
 * has none (resolveIdentity): unless the identity was split out by an operator (`unlinkedAt`) or linking is off,
 * folds every other contact with an identity that proved the same into the oldest of them. Returns the contact the
 * identity belongs to now.
 */
export async function linkExistingIdentity(
  query: SqlRunner,
  input: {
    agentId: string;
    contactId: string;
    attributes: VerifiedAttributes;
    now: Date;
    unlinkedAt: Date | null;
  },
): Promise<string> {
  const { agentId, attributes, now } = input;
  if ((!attributes.email && !attributes.phone) || input.unlinkedAt) return input.contactId;
  const others = await linkedContacts(query, agentId, attributes, input.contactId);
  if (others.length === 0) return input.contactId;
  const [own] = await query<{ created_at: Date }>('select created_at from contacts where id = $1', [
    input.contactId,
  ]);
  const all = [
    ...others,
    {
      contact_id: input.contactId,
      created_at: own?.created_at ?? now,
      matched: others[0]?.matched ?? 'email',
    },
  ].sort(
    (a, b) =>
      new Date(a.created_at).getTime() - new Date(b.created_at).getTime() ||
      a.contact_id.localeCompare(b.contact_id),
  );
  const survivor = all[0]?.contact_id ?? input.contactId;
  for (const match of all) {
    if (match.contact_id === survivor) continue;
    const by = match.contact_id === input.contactId ? (others[0]?.matched ?? 'email') : match.matched;
    await mergeContacts(query, {
      agentId,
      targetId: survivor,
      sourceId: match.contact_id,
      actor: `auto:verified_${by}`,
      now,
    });
  }
  return survivor;
}

/**
 * SQL setting a contact's email and phone from verified attributes where it has none yet (SQL expressions: the
 * contact's id, the email, the phone, the time); nothing is written when nothing is missing.
 */
export function fillContactSql(contactId: string, email: string, phone: string, now: string): string {
  return `update contacts set
       email_verified_at = case when email is null and ${email}::text is not null then ${now}::timestamptz
                           else email_verified_at end,
       email = coalesce(email, ${email}),
       phone_verified_at = case when phone is null and ${phone}::text is not null then ${now}::timestamptz
                           else phone_verified_at end,
       phone = coalesce(phone, ${phone}),
       updated_at = ${now}
     where id = ${contactId}
       and ((email is null and ${email}::text is not null) or (phone is null and ${phone}::text is not null))`;
}

/** Sets the contact's email and phone from verified attributes where it has none yet. */
export async function fillContactAttributes(
  query: SqlRunner,
  contactId: string,
  attributes: VerifiedAttributes,
  now: Date,
): Promise<void> {
  await query(fillContactSql('$1', '$2', '$3', '$4'), [
    contactId,
    attributes.email ?? null,
    attributes.phone ?? null,
    now,
  ]);
}
