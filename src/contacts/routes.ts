import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { CONVERSATION_COLUMNS, type ConversationRow, conversationView } from '../conversations/views.ts';
import type { SqlRunner } from '../db/client.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { ApiError, conflict, notFound } from '../http/errors.ts';
import {
  AgentParams,
  commonErrors,
  conflictError,
  json,
  jsonBody,
  listOf,
  PageQuery,
  secured,
  timestamp,
} from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { eraseContact } from './erase.ts';
import { ContactConflict, ContactNotFound, type MergeRecord, mergeContacts, splitIdentity } from './merge.ts';
import { normalizeEmail, normalizePhone } from './verified-attributes.ts';
import {
  CONTACT_COLUMNS,
  type ContactRow,
  contactView,
  identitiesOf,
  MERGE_COLUMNS,
  type MergeRow,
  mergeView,
} from './views.ts';

const base = '/api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId}';
const tags = ['Contacts'];
/** Newest conversations shown on a contact (conversation_count tells how many there are). */
const CONVERSATIONS_PER_CONTACT = 100;
/** A contact's latest conversations ($1 contact), read off conversations_contact_activity_idx. */
export const CONTACT_CONVERSATIONS_SQL = `select ${CONVERSATION_COLUMNS} from conversations where contact_id = $1
  order by last_activity_at desc, id desc limit ${CONVERSATIONS_PER_CONTACT}`;
/** Attempts of a merge or split that lost a deadlock against the engine linking the same contacts. */
const WRITE_ATTEMPTS = 3;

const Identity = z
  .object({
    _id: z.string(),
    channel: z.string(),
    platform_user_id: z.string().openapi({ example: 'telegram:123456789' }),
    username: z.string().nullable(),
    verified: z
      .object({ email: z.string().optional(), phone: z.string().optional() })
      .openapi({ description: 'What this identity proved (the keys of contact linking)' }),
    blocked: z.boolean(),
    last_inbound_at: timestamp().nullable(),
    unlinked_at: timestamp()
      .nullable()
      .openapi({ description: 'Split out by an operator: never linked automatically again' }),
    created_at: timestamp(),
  })
  .openapi('ContactIdentity');
const Contact = z
  .object({
    _id: z.string(),
    agent: z.string(),
    display_name: z.string().nullable(),
    email: z.string().nullable().openapi({ description: 'Verified only' }),
    email_verified_at: timestamp().nullable(),
    phone: z.string().nullable().openapi({ description: 'E.164, verified only' }),
    phone_verified_at: timestamp().nullable(),
    identities: z.array(Identity),
    created_at: timestamp(),
    updated_at: timestamp(),
  })
  .openapi('Contact');
const ConversationSummary = z.looseObject({ _id: z.string(), channel: z.string(), status: z.string() });
const ContactDetail = Contact.extend({
  conversations: z.array(ConversationSummary),
  conversation_count: z.number(),
}).openapi('ContactDetail');
const Merge = z
  .object({
    _id: z.string(),
    kind: z.enum(['merge', 'link', 'split', 'erase']),
    target_contact: z.string().openapi({
      description: 'merge/link: the contact kept; split: the new contact; erase: the erased one',
    }),
    source_contact: z
      .string()
      .nullable()
      .openapi({ description: 'merge: the contact folded in (gone now); split: the contact split from' }),
    by: z.string().openapi({ description: "The user id who asked, or 'auto:<reason>' for the engine" }),
    identities: z.array(z.string()),
    conversations: z.array(z.string()),
    message_count: z.number(),
    closed_conversations: z.array(z.string()),
    source: z
      .object({
        display_name: z.string().nullable(),
        email: z.string().nullable(),
        phone: z.string().nullable(),
      })
      .nullable(),
    erased: z
      .record(z.string(), z.number())
      .nullable()
      .openapi({ description: 'erase: how many rows of each kind were deleted (counts only)' }),
    created_at: timestamp(),
  })
  .openapi('ContactMerge');

const ContactParams = AgentParams.extend({
  contactId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'contactId', in: 'path' }, example: 'contact_01jd2x3y4z5a6b7c8d9e0f1g2h' }),
});
const ListQuery = PageQuery.extend({
  q: z
    .string()
    .trim()
    .min(1)
    .max(320)
    .optional()
    .openapi({ description: 'Part of a name, email, phone, platform id or username' }),
  name: z.string().trim().min(1).max(200).optional().openapi({ description: 'Part of the display name' }),
  email: z.string().trim().min(1).max(320).optional().openapi({ description: 'A verified email (exact)' }),
  phone: z.string().trim().min(1).max(32).optional().openapi({ description: 'A verified phone, E.164' }),
  platform_id: z
    .string()
    .trim()
    .min(1)
    .max(400)
    .optional()
    .openapi({ description: "An identity's platform id: 'telegram:123' or the bare id" }),
});
const MergeQuery = PageQuery.extend({
  contact_id: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: 'Only records naming this contact' }),
});
const MergeBody = z
  .object({
    contact_id: z.string().min(1).max(64).openapi({ description: 'The contact to fold into this one' }),
  })
  .strict();
const SplitBody = z
  .object({ identity_id: z.string().min(1).max(64).openapi({ description: 'The identity to move out' }) })
  .strict();
const MergeResult = z.object({
  success: z.literal(true),
  data: z.object({ merge: Merge, contact: ContactDetail }),
});

const list = createRoute({
  method: 'get',
  path: `${base}/contacts`,
  tags,
  summary:
    'Contacts of an agent, newest first; search by name, email, phone or platform id (viewer or higher)',
  ...secured,
  request: { params: AgentParams, query: ListQuery },
  responses: { 200: json(listOf(Contact), 'Contacts'), ...commonErrors },
});
const get = createRoute({
  method: 'get',
  path: `${base}/contacts/{contactId}`,
  tags,
  summary: 'A contact with its identities and conversations (viewer or higher)',
  description: 'A contact merged into another answers 404 with `details.merged_into` naming where it went.',
  ...secured,
  request: { params: ContactParams },
  responses: {
    200: json(z.object({ success: z.literal(true), data: ContactDetail }), 'Contact'),
    ...commonErrors,
  },
});
const merge = createRoute({
  method: 'post',
  path: `${base}/contacts/{contactId}/merge`,
  tags,
  summary:
    'Merge another contact into this one: its identities and conversations move here (member or higher)',
  description:
    'Nothing is lost: messages stay in their conversations and channel analytics do not change. A contact has ' +
    'at most one active conversation, so when both have one the most recently active stays active and the ' +
    'other is closed. The merged contact is deleted; the merge is recorded (see contact-merges) and published ' +
    'as contact.merged.',
  ...secured,
  request: { params: ContactParams, ...jsonBody(MergeBody) },
  responses: { 200: json(MergeResult, 'Merged'), ...commonErrors, ...conflictError },
});
const split = createRoute({
  method: 'post',
  path: `${base}/contacts/{contactId}/split`,
  tags,
  summary: 'Move one identity out into a new contact (member or higher)',
  description:
    'Conversations whose every addressed message was with that identity move with it; the others stay. The ' +
    'identity is never linked automatically again. 409 when it is the contact’s only identity.',
  ...secured,
  request: { params: ContactParams, ...jsonBody(SplitBody) },
  responses: { 201: json(MergeResult, 'Split'), ...commonErrors, ...conflictError },
});
const merges = createRoute({
  method: 'get',
  path: `${base}/contact-merges`,
  tags,
  summary: 'Audit of contact merges, automatic links and splits, newest first (viewer or higher)',
  ...secured,
  request: { params: AgentParams, query: MergeQuery },
  responses: { 200: json(listOf(Merge), 'Merges'), ...commonErrors },
});

const erase = createRoute({
  method: 'delete',
  path: `${base}/contacts/{contactId}`,
  tags,
  summary: 'Erase a person everywhere, for a privacy request (admin or higher)',
  description:
    'Deletes the contact, its identities, conversations and messages, the inbound webhook events of its ' +
    'identities, the raw mail it sent, the live events about it and the merge audit entries that kept a snapshot ' +
    'of it, in one transaction. Channel analytics keep their counts. The erasure is audited (kind `erase`, counts ' +
    'and who) with nothing personal.',
  ...secured,
  request: { params: ContactParams },
  responses: {
    200: json(
      z.object({ success: z.literal(true), data: z.object({ erased: z.record(z.string(), z.number()) }) }),
      'Erased',
    ),
    ...commonErrors,
  },
});

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
const likeLiteral = (value: string) => `%${value.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** The contact search as SQL conditions over `contacts k` (parameters from $2; $1 is the agent). */
function contactFilter(q: z.infer<typeof ListQuery>): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const where: string[] = ['k.agent_id = $1'];
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length + 1}`;
  };
  const identity = (condition: string) =>
    `exists (select 1 from contact_identities i where i.contact_id = k.id and ${condition})`;
  if (q.name) where.push(`k.display_name ilike ${add(likeLiteral(q.name))}`);
  if (q.email) {
    const email = add(normalizeEmail(q.email) ?? q.email.toLowerCase());
    where.push(`(k.email = ${email} or ${identity(`i.verified_email = ${email}`)})`);
  }
  if (q.phone) {
    const phone = add(normalizePhone(q.phone) ?? q.phone);
    where.push(`(k.phone = ${phone} or ${identity(`i.verified_phone = ${phone}`)})`);
  }
  if (q.platform_id) {
    const [channel, ...rest] = q.platform_id.split(':');
    const qualified = rest.length > 0 && /^[a-z]+$/.test(channel ?? '');
    const id = add(qualified ? rest.join(':') : q.platform_id);
    where.push(
      qualified
        ? identity(`i.channel = ${add(channel)} and i.platform_user_id = ${id}`)
        : identity(`i.platform_user_id = ${id}`),
    );
  }
  if (q.q) {
    const like = add(likeLiteral(q.q));
    where.push(
      `(k.display_name ilike ${like} or k.email ilike ${like} or k.phone ilike ${like} or ${identity(
        `(i.platform_user_id ilike ${like} or i.username ilike ${like} or i.verified_email ilike ${like})`,
      )})`,
    );
  }
  return { where: where.join(' and '), params };
}

/** Runs a merge or split transaction, again when it lost a deadlock (40P01) or a serialization race (40001). */
async function retried<T>(deps: AppDeps, fn: (query: SqlRunner) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.database.transaction(fn);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= WRITE_ATTEMPTS || (code !== '40P01' && code !== '40001')) throw error;
    }
  }
}

/** Domain errors of merge and split as HTTP errors. */
function httpError(error: unknown): unknown {
  if (error instanceof ContactNotFound) return notFound(error.message.replace(/ not found$/, ''));
  if (error instanceof ContactConflict) return conflict(error.message);
  return error;
}

/** The Contacts API: list and search, detail, merge, split, and the audit of merges. */
export function registerContactRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { database } = deps;
  const allowed = (c: Context<AppEnv>, p: z.infer<typeof AgentParams>, role: 'viewer' | 'member') =>
    requireAgent(database.db, principalOf(c), p.orgId, p.projectId, p.agentId, role);

  const detail = async (query: SqlRunner, agentId: string, contactId: string) => {
    const [row] = await query<ContactRow>(
      `select ${CONTACT_COLUMNS} from contacts k where k.id = $1 and k.agent_id = $2`,
      [contactId, agentId],
    );
    if (!row) {
      const [merged] = await query<{ target_contact_id: string }>(
        `select target_contact_id from contact_merges
         where agent_id = $1 and source_contact_id = $2 and kind = 'merge' order by created_at desc limit 1`,
        [agentId, contactId],
      );
      throw merged
        ? new ApiError(404, 'Contact not found: it was merged', { merged_into: merged.target_contact_id })
        : notFound('Contact');
    }
    const [identities, conversations, [count]] = await Promise.all([
      identitiesOf(query, [row.id]),
      query<ConversationRow>(CONTACT_CONVERSATIONS_SQL, [row.id]),
      query<{ n: number }>('select count(*)::int as n from conversations where contact_id = $1', [row.id]),
    ]);
    return {
      ...contactView(row, identities.get(row.id) ?? []),
      conversations: conversations.map(conversationView),
      conversation_count: count?.n ?? 0,
    };
  };

  app.openapi(list, async (c) => {
    const p = c.req.valid('param');
    await allowed(c, p, 'viewer');
    const q = c.req.valid('query');
    const filter = contactFilter(q);
    const params = [p.agentId, ...filter.params];
    const [rows, [total]] = await Promise.all([
      database.query<ContactRow>(
        `select ${CONTACT_COLUMNS} from contacts k where ${filter.where}
         order by k.created_at desc, k.id desc limit ${q.limit} offset ${(q.page - 1) * q.limit}`,
        params,
      ),
      database.query<{ n: number }>(
        `select count(*)::int as n from contacts k where ${filter.where}`,
        params,
      ),
    ]);
    const identities = await identitiesOf(
      database.query,
      rows.map((row) => row.id),
    );
    return c.json(
      {
        success: true as const,
        data: rows.map((row) => contactView(row, identities.get(row.id) ?? [])),
        pagination: { page: q.page, limit: q.limit, total: total?.n ?? 0 },
      } as never,
      200,
    );
  });

  app.openapi(get, async (c) => {
    const p = c.req.valid('param');
    await allowed(c, p, 'viewer');
    return c.json(
      { success: true as const, data: await detail(database.query, p.agentId, p.contactId) } as never,
      200,
    );
  });

  const write = async (
    c: Context<AppEnv>,
    p: z.infer<typeof ContactParams>,
    run: (query: SqlRunner, actor: string, now: Date) => Promise<MergeRecord>,
  ) => {
    await allowed(c, p, 'member');
    const actor = principalOf(c).userId;
    try {
      return await retried(deps, async (query) => {
        const record = await run(query, actor, new Date());
        const [row] = await query<MergeRow>(`select ${MERGE_COLUMNS} from contact_merges where id = $1`, [
          record.id,
        ]);
        return {
          merge: mergeView(row as MergeRow),
          contact: await detail(query, p.agentId, record.targetContactId),
        };
      });
    } catch (error) {
      throw httpError(error);
    }
  };

  app.openapi(merge, async (c) => {
    const p = c.req.valid('param');
    const { contact_id } = c.req.valid('json');
    const data = await write(c, p, (query, actor, now) =>
      mergeContacts(query, { agentId: p.agentId, targetId: p.contactId, sourceId: contact_id, actor, now }),
    );
    return c.json({ success: true as const, data } as never, 200);
  });

  app.openapi(split, async (c) => {
    const p = c.req.valid('param');
    const { identity_id } = c.req.valid('json');
    const data = await write(c, p, (query, actor, now) =>
      splitIdentity(query, {
        agentId: p.agentId,
        contactId: p.contactId,
        identityId: identity_id,
        actor,
        now,
      }),
    );
    return c.json({ success: true as const, data } as never, 201);
  });

  app.openapi(erase, async (c) => {
    const p = c.req.valid('param');
    await requireAgent(database.db, principalOf(c), p.orgId, p.projectId, p.agentId, 'admin');
    const actor = principalOf(c).userId;
    const erased = await retried(deps, (query) =>
      eraseContact(query, { agentId: p.agentId, contactId: p.contactId, actor, now: new Date() }),
    );
    if (!erased) throw notFound('Contact');
    deps.logger.info({ agentId: p.agentId, contactId: p.contactId, by: actor, erased }, 'contact erased');
    return c.json({ success: true as const, data: { erased } }, 200);
  });

  app.openapi(merges, async (c) => {
    const p = c.req.valid('param');
    await allowed(c, p, 'viewer');
    const q = c.req.valid('query');
    const params: unknown[] = [p.agentId];
    let where = 'agent_id = $1';
    if (q.contact_id) {
      params.push(q.contact_id);
      where += ' and (target_contact_id = $2 or source_contact_id = $2)';
    }
    const [rows, [total]] = await Promise.all([
      database.query<MergeRow>(
        `select ${MERGE_COLUMNS} from contact_merges where ${where}
         order by created_at desc, id desc limit ${q.limit} offset ${(q.page - 1) * q.limit}`,
        params,
      ),
      database.query<{ n: number }>(`select count(*)::int as n from contact_merges where ${where}`, params),
    ]);
    return c.json(
      {
        success: true as const,
        data: rows.map(mergeView),
        pagination: { page: q.page, limit: q.limit, total: total?.n ?? 0 },
      } as never,
      200,
    );
  });
}
