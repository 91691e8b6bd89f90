// Contact linking audit: every merge of two contacts (manual or automatic) and every split of an identity.
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { agents, createdAt } from './schema.ts';

/** What a merge or split moved, kept so the audit still tells after the merged-away contact is gone. */
export type ContactMergeDetails = {
  identities: string[];
  conversations: string[];
  /** Messages in the conversations that moved. */
  messages: number;
  /** Conversations closed because the contact already had an active one (one active per contact). */
  closed_conversations: string[];
  /** The merged-away contact as it was (display name, email, phone). */
  source?: { display_name: string | null; email: string | null; phone: string | null };
  /** An erasure: how many rows of each kind were deleted. */
  erased?: Record<string, number>;
};

/**
 * One merge (`source` folded into `target`; `source` no longer exists), link (a new identity joined `target`
 * on a verified attribute; no source contact) or split (an identity moved out of `source` into the new
 * contact `target`). `actor` is the user id of whoever asked, or `auto:<reason>` for the engine.
 */
export const contactMerges = pgTable(
  'contact_merges',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<'merge' | 'link' | 'split' | 'erase'>().notNull(),
    targetContactId: text('target_contact_id').notNull(),
    sourceContactId: text('source_contact_id'),
    actor: text('actor').notNull(),
    identityCount: integer('identity_count').notNull().default(0),
    details: jsonb('details').$type<ContactMergeDetails>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('contact_merges_agent_created_idx').on(t.agentId, t.createdAt),
    index('contact_merges_target_idx').on(t.targetContactId),
    index('contact_merges_source_idx').on(t.sourceContactId),
    check('contact_merges_kind_check', sql`${t.kind} in ('merge', 'link', 'split', 'erase')`),
  ],
);
