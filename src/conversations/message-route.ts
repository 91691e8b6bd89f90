import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { reengagementTemplate } from '../channels/whatsapp/settings.ts';
import { fillTemplate, WINDOW_CHANNEL } from '../channels/whatsapp/window.ts';
import { INLINE_CHANNELS } from '../engine/senders.ts';
import { insertTemplateMessage } from '../engine/window-hold.ts';
import { OperatorAttachments, OperatorText, publicAttachments } from '../handoff/message-input.ts';
import { insertOperatorMessage, recipientOf } from '../handoff/operator-message.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import { commonErrors, conflictError, json, jsonBody, secured } from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { MessageSchema } from './message-schema.ts';
import { ConversationParams, CONVERSATIONS_PATH } from './params.ts';
import { DEFAULT_CHANNEL, MESSAGE_COLUMNS, type MessageRow, messageView } from './views.ts';

/**
 * What an operator or integration sends into a conversation: `text` (markdown, with optional `attachments`)
 * or a WhatsApp `template`, one kind per request.
 */
const SendBody = z
  .object({
    text: OperatorText.optional(),
    attachments: OperatorAttachments.optional(),
    template: reengagementTemplate.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.text === undefined) === (body.template === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'send either text or template' });
    } else if (body.template && body.attachments) {
      ctx.addIssue({ code: 'custom', path: ['attachments'], message: 'only with text' });
    }
  })
  .openapi('ConversationMessageInput');

const send = createRoute({
  method: 'post',
  path: `${CONVERSATIONS_PATH}/{conversationId}/messages`,
  tags: ['Conversations'],
  summary:
    "An operator's message (role human) or a WhatsApp template, sent on the conversation's channel (member or higher)",
  description:
    'Queues the message for ordered delivery behind anything already queued (same retries and statuses as agent ' +
    "replies) and answers 202 with its first part. Text is stored with role `human` and the caller's user id; on " +
    "WhatsApp outside the 24-hour window it is held and the channel's re-engagement template goes first (as for " +
    'agent replies), or it fails with `outside_window` when there is none. A template is allowed outside the ' +
    'window. Website messages are stored as sent (the widget shows them). Sending does not start a handoff. ' +
    '409 when the conversation is closed, its channel is not configured, or (template) it is not on WhatsApp.',
  ...secured,
  request: { params: ConversationParams, ...jsonBody(SendBody) },
  responses: {
    202: json(z.object({ success: z.literal(true), data: MessageSchema }), 'Queued'),
    ...commonErrors,
    ...conflictError,
  },
});

type ConversationFacts = { id: string; channel: string | null; status: string };

/** POST …/conversations/{conversationId}/messages. */
export function registerMessageRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { database } = deps;
  app.openapi(send, async (c) => {
    const p = c.req.valid('param');
    const principal = principalOf(c);
    await requireAgent(database.db, principal, p.orgId, p.projectId, p.agentId, 'member');
    const body = c.req.valid('json');
    const [conversation] = await database.query<ConversationFacts>(
      `select id, channel, status from conversations where id = $1 and agent_id = $2`,
      [p.conversationId, p.agentId],
    );
    if (!conversation) throw notFound('Conversation');
    const id = body.template
      ? await sendTemplate(deps, p.agentId, conversation, body.template, principal.userId)
      : await sendText(deps, p.agentId, conversation, {
          text: body.text as string,
          attachments: await publicAttachments(body.attachments, deps.config.OUTBOUND_ALLOW_PRIVATE),
          userId: principal.userId,
        });
    await deps.engine?.deliver(conversation.id);
    const [row] = await database.query<MessageRow>(`select ${MESSAGE_COLUMNS} from messages where id = $1`, [
      id,
    ]);
    return c.json({ success: true as const, data: messageView(row as MessageRow) } as never, 202);
  });
}

async function sendTemplate(
  deps: AppDeps,
  agentId: string,
  conversation: ConversationFacts,
  template: z.infer<typeof reengagementTemplate>,
  userId: string,
): Promise<string> {
  const { database } = deps;
  if (conversation.channel !== WINDOW_CHANNEL) {
    throw conflict(
      `Templates are WhatsApp only; this conversation is on ${conversation.channel ?? 'website'}`,
    );
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
  const sender = await deps.senders?.(agentId, WINDOW_CHANNEL, contact.recipient.platformUserId);
  if (!sender?.adapter.sendTemplate) {
    throw conflict('The WhatsApp channel is not configured with a provider that sends templates');
  }
  return database.transaction((query) =>
    insertTemplateMessage(query, {
      conversation_id: conversation.id,
      agent_id: agentId,
      channel: WINDOW_CHANNEL,
      recipient: contact.recipient,
      template: fillTemplate(template, contact.display_name),
      now: new Date(),
      userId,
    }),
  );
}

async function sendText(
  deps: AppDeps,
  agentId: string,
  conversation: ConversationFacts,
  message: { text: string; attachments: Awaited<ReturnType<typeof publicAttachments>>; userId: string },
): Promise<string> {
  if (conversation.status !== 'active') throw conflict('The conversation is closed');
  const channel = conversation.channel ?? DEFAULT_CHANNEL;
  const inline = INLINE_CHANNELS.has(channel);
  // The address decides the provider too: a sandbox customer's conversation is answered through the sandbox.
  const address = inline ? undefined : await recipientOf(deps.database.query, conversation.id, channel);
  const sender = inline ? null : await deps.senders?.(agentId, channel, address?.platformUserId);
  if (!inline && !sender?.adapter.send) {
    throw conflict(`The ${channel} channel is not configured for sending`);
  }
  if (inline && message.attachments.length > 0) {
    throw badRequest('Invalid body: attachments: the website channel shows text only');
  }
  const ids = await deps.database.transaction(async (query) => {
    const recipient = await recipientOf(query, conversation.id, channel);
    if (!recipient) throw conflict(`The conversation has no address on ${channel} to send to`);
    return insertOperatorMessage(query, {
      agentId,
      conversationId: conversation.id,
      channel,
      recipient,
      ...message,
      ...(sender ? { adapter: sender.adapter } : {}),
      now: new Date(),
    });
  });
  const first = ids[0];
  if (!first) throw badRequest('Invalid body: text: nothing to send');
  return first;
}
