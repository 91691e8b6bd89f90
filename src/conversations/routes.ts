import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { notFound } from '../http/errors.ts';
import {
  AgentParams,
  commonErrors,
  json,
  listOf,
  PageQuery,
  PaginationSchema,
  secured,
  timestamp,
} from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { registerAttachmentRoute } from './attachment-route.ts';
import { publishEvent } from '../events/publish.ts';
import { registerHandoffRoutes } from '../handoff/routes.ts';
import { registerOutreachRoute } from '../handoff/outreach-route.ts';
import { WINDOW_CHANNEL } from '../channels/whatsapp/window.ts';
import { Conversation } from './conversation-schema.ts';
import { contactOf, listFacts, whatsappWindowOf } from './inbox-facts.ts';
import { MessageSchema } from './message-schema.ts';
import { registerMessageRoute } from './message-route.ts';
import { ConversationParams, CONVERSATIONS_PATH } from './params.ts';
import {
  CONVERSATION_COLUMNS,
  type ConversationRow,
  conversationView,
  DEFAULT_CHANNEL,
  MESSAGE_COLUMNS,
  type MessageRow,
  messageView,
} from './views.ts';

const ListQuery = PageQuery.extend({
  channel: z.string().max(32).optional(),
  status: z.enum(['active', 'closed']).optional(),
  handoff: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'true: only conversations a human owns; false: only those the agent answers' }),
  user_identifier: z.string().max(320).optional(),
  updated_since: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
});
const MessagesQuery = PageQuery.extend({
  order: z
    .enum(['asc', 'desc'])
    .default('asc')
    .openapi({ description: 'Message order (oldest first by default)' }),
});

const ContactSummary = z
  .object({ _id: z.string(), display_name: z.string().nullable() })
  .nullable()
  .openapi({ description: 'The contact this conversation is with (null before one is linked)' });
const ConversationListItem = Conversation.extend({
  contact: ContactSummary,
  last_message: z
    .object({
      _id: z.string(),
      role: z.string(),
      direction: z.string(),
      channel: z.string(),
      status: z.string(),
      preview: z.string().openapi({ description: 'The first 160 characters of its text' }),
      created_at: timestamp(),
    })
    .nullable()
    .openapi({ description: 'The newest message (null when there is none)' }),
}).openapi('ConversationListItem');
const WhatsAppWindow = z
  .object({
    open: z.boolean().openapi({ description: 'Free-form text may go out now (else only a template)' }),
    last_inbound_at: timestamp().nullable().openapi({ description: 'Null: unknown, the provider decides' }),
    closes_at: timestamp().nullable(),
  })
  .nullable()
  .openapi({
    description: "WhatsApp's 24-hour customer service window for this person; null when not on WhatsApp",
  });

const tags = ['Conversations'];
const base = CONVERSATIONS_PATH;

const list = createRoute({
  method: 'get',
  path: base,
  tags,
  summary: 'Conversations of an agent, newest activity first (viewer or higher)',
  ...secured,
  request: { params: AgentParams, query: ListQuery },
  responses: { 200: json(listOf(ConversationListItem), 'Conversations'), ...commonErrors },
});
const get = createRoute({
  method: 'get',
  path: `${base}/{conversationId}`,
  tags,
  summary: 'One conversation with a page of its messages (viewer or higher)',
  ...secured,
  request: { params: ConversationParams, query: MessagesQuery },
  responses: {
    200: json(
      z.object({
        success: z.literal(true),
        data: Conversation.extend({
          contact: ContactSummary,
          whatsapp_window: WhatsAppWindow,
          messages: z.array(MessageSchema),
        }),
        pagination: PaginationSchema.openapi({ description: 'Pagination of `messages`' }),
      }),
      'Conversation',
    ),
    ...commonErrors,
  },
});
const close = createRoute({
  method: 'post',
  path: `${base}/{conversationId}/close`,
  tags,
  summary: 'Close a conversation; the next message opens a new one (member or higher)',
  ...secured,
  request: { params: ConversationParams },
  responses: {
    200: json(z.object({ success: z.literal(true), data: Conversation }), 'Closed'),
    ...commonErrors,
  },
});

export function registerConversationRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { database } = deps;
  const { db } = database;

  const load = async (agentId: string, conversationId: string) => {
    const [row] = await database.query<ConversationRow>(
      `select ${CONVERSATION_COLUMNS} from conversations where id = $1 and agent_id = $2`,
      [conversationId, agentId],
    );
    if (!row) throw notFound('Conversation');
    return row;
  };

  app.openapi(list, async (c) => {
    const p = c.req.valid('param');
    await requireAgent(db, principalOf(c), p.orgId, p.projectId, p.agentId, 'viewer');
    const q = c.req.valid('query');
    const params: unknown[] = [p.agentId];
    const where = ['agent_id = $1'];
    if (q.channel) {
      params.push(q.channel);
      where.push(
        q.channel === DEFAULT_CHANNEL
          ? `(channel = $${params.length} or channel is null)`
          : `channel = $${params.length}`,
      );
    }
    if (q.status) {
      params.push(q.status);
      where.push(`status = $${params.length}`);
    }
    if (q.handoff) where.push(q.handoff === 'true' ? 'handoff_at is not null' : 'handoff_at is null');
    if (q.user_identifier) {
      params.push(q.user_identifier);
      where.push(`user_identifier = $${params.length}`);
    }
    if (q.updated_since) {
      params.push(new Date(q.updated_since));
      where.push(`updated_at >= $${params.length}`);
    }
    const filter = where.join(' and ');
    const [rows, [total]] = await Promise.all([
      database.query<ConversationRow>(
        `select ${CONVERSATION_COLUMNS} from conversations where ${filter}
         order by updated_at desc, id desc limit ${q.limit} offset ${(q.page - 1) * q.limit}`,
        params,
      ),
      database.query<{ n: number }>(`select count(*)::int as n from conversations where ${filter}`, params),
    ]);
    const facts = await listFacts(database.query, rows);
    return c.json(
      {
        success: true as const,
        data: rows.map((row) => ({
          ...conversationView(row),
          ...(facts.get(row.id) ?? { contact: null, last_message: null }),
        })),
        pagination: { page: q.page, limit: q.limit, total: total?.n ?? 0 },
      } as never,
      200,
    );
  });

  app.openapi(get, async (c) => {
    const p = c.req.valid('param');
    await requireAgent(db, principalOf(c), p.orgId, p.projectId, p.agentId, 'viewer');
    const q = c.req.valid('query');
    const row = await load(p.agentId, p.conversationId);
    const [messages, [total], contact, window] = await Promise.all([
      database.query<MessageRow>(
        `select ${MESSAGE_COLUMNS} from messages where conversation_id = $1
         order by seq ${q.order} limit ${q.limit} offset ${(q.page - 1) * q.limit}`,
        [row.id],
      ),
      database.query<{ n: number }>('select count(*)::int as n from messages where conversation_id = $1', [
        row.id,
      ]),
      contactOf(database.query, row.id),
      row.channel === WINDOW_CHANNEL ? whatsappWindowOf(database.query, p.agentId, row.id, new Date()) : null,
    ]);
    return c.json(
      {
        success: true as const,
        data: {
          ...conversationView(row),
          contact,
          whatsapp_window: window,
          messages: messages.map(messageView),
        },
        pagination: { page: q.page, limit: q.limit, total: total?.n ?? 0 },
      } as never,
      200,
    );
  });

  app.openapi(close, async (c) => {
    const p = c.req.valid('param');
    await requireAgent(db, principalOf(c), p.orgId, p.projectId, p.agentId, 'member');
    await load(p.agentId, p.conversationId);
    await database.transaction(async (query) => {
      const closed = await query<{ contact_id: string | null }>(
        `update conversations set status = 'closed', closed_at = coalesce(closed_at, now()), updated_at = now()
         where id = $1 and status = 'active' returning contact_id`,
        [p.conversationId],
      );
      if (closed[0])
        await publishEvent(query, {
          agentId: p.agentId,
          type: 'conversation.closed',
          conversationId: p.conversationId,
          ...(closed[0].contact_id ? { contactId: closed[0].contact_id } : {}),
          data: { reason: 'operator', by: principalOf(c).userId },
        });
    });
    return c.json(
      { success: true as const, data: conversationView(await load(p.agentId, p.conversationId)) } as never,
      200,
    );
  });
  registerAttachmentRoute(app, deps);
  registerMessageRoute(app, deps);
  registerHandoffRoutes(app, deps);
  registerOutreachRoute(app, deps);
}
