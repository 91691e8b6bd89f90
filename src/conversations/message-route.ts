import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { reengagementTemplate } from '../channels/whatsapp/settings.ts';
import { fillTemplate, WINDOW_CHANNEL } from '../channels/whatsapp/window.ts';
import { insertTemplateMessage } from '../engine/window-hold.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { conflict, notFound } from '../http/errors.ts';
import { commonErrors, conflictError, json, jsonBody, secured } from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { MessageSchema } from './message-schema.ts';
import { ConversationParams, CONVERSATIONS_PATH } from './params.ts';
import { MESSAGE_COLUMNS, type MessageRow, messageView } from './views.ts';

/**
 * What an operator or integration sends into a conversation. One kind per request; today `template`
 * (WhatsApp), later kinds (`text`, `attachments`) join as further optional fields of this object.
 */
const SendBody = z.object({ template: reengagementTemplate }).strict().openapi('ConversationMessageInput');

const send = createRoute({
  method: 'post',
  path: `${CONVERSATIONS_PATH}/{conversationId}/messages`,
  tags: ['Conversations'],
  summary: "Send a template message on the conversation's WhatsApp channel (member or higher)",
  description:
    'Queues the message for ordered delivery (retries, statuses) and answers 202 with it; a template is ' +
    "allowed outside WhatsApp's 24-hour window, so it re-opens a conversation. 409 when the conversation " +
    'is not on WhatsApp or its provider sends no templates.',
  ...secured,
  request: { params: ConversationParams, ...jsonBody(SendBody) },
  responses: {
    202: json(z.object({ success: z.literal(true), data: MessageSchema }), 'Queued'),
    ...commonErrors,
    ...conflictError,
  },
});

/** POST …/conversations/{conversationId}/messages. */
export function registerMessageRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { database } = deps;
  app.openapi(send, async (c) => {
    const p = c.req.valid('param');
    await requireAgent(database.db, principalOf(c), p.orgId, p.projectId, p.agentId, 'member');
    const { template } = c.req.valid('json');
    const [conversation] = await database.query<{ id: string; channel: string | null }>(
      `select id, channel from conversations where id = $1 and agent_id = $2`,
      [p.conversationId, p.agentId],
    );
    if (!conversation) throw notFound('Conversation');
    if (conversation.channel !== WINDOW_CHANNEL) {
      throw conflict(
        `Templates are WhatsApp only; this conversation is on ${conversation.channel ?? 'website'}`,
      );
    }
    const sender = await deps.senders?.(p.agentId, WINDOW_CHANNEL);
    if (!sender?.adapter.sendTemplate) {
      throw conflict('The WhatsApp channel is not configured with a provider that sends templates');
    }
    const [contact] = await database.query<{
      recipient: { platformUserId: string; chatId: string };
      display_name: string | null;
    }>(
      `select m.recipient, k.display_name from messages m
       join conversations c on c.id = m.conversation_id left join contacts k on k.id = c.contact_id
       where m.conversation_id = $1 and m.direction = 'inbound' and m.channel = $2
       order by m.seq desc limit 1`,
      [conversation.id, WINDOW_CHANNEL],
    );
    if (!contact) throw conflict('The contact has not written on WhatsApp in this conversation');
    const id = await database.transaction((query) =>
      insertTemplateMessage(query, {
        conversation_id: conversation.id,
        agent_id: p.agentId,
        channel: WINDOW_CHANNEL,
        recipient: contact.recipient,
        template: fillTemplate(template, contact.display_name),
        now: new Date(),
      }),
    );
    await deps.engine?.deliver(conversation.id);
    const [row] = await database.query<MessageRow>(`select ${MESSAGE_COLUMNS} from messages where id = $1`, [
      id,
    ]);
    return c.json({ success: true as const, data: messageView(row as MessageRow) } as never, 202);
  });
}
