import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { reengagementTemplate } from '../channels/whatsapp/settings.ts';
import { fillTemplate, WINDOW_CHANNEL, WINDOW_MS } from '../channels/whatsapp/window.ts';
import { Conversation } from '../conversations/conversation-schema.ts';
import { MessageSchema } from '../conversations/message-schema.ts';
import { CONVERSATIONS_PATH } from '../conversations/params.ts';
import {
  CONVERSATION_COLUMNS,
  type ConversationRow,
  conversationView,
  MESSAGE_COLUMNS,
  type MessageRow,
  messageView,
} from '../conversations/views.ts';
import type { SqlRunner } from '../db/client.ts';
import { openConversation, resolveIdentity } from '../engine/conversation-store.ts';
import { insertTemplateMessage } from '../engine/window-hold.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import { AgentParams, commonErrors, conflictError, json, jsonBody, secured } from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { OperatorAttachments, OperatorText, publicAttachments } from './message-input.ts';
import { insertOperatorMessage, type Recipient } from './operator-message.ts';

/** Channels a conversation can be started on (the website has no way to reach a visitor first). */
const OUTREACH_CHANNELS = ['whatsapp', 'telegram', 'email'] as const;
type OutreachChannel = (typeof OUTREACH_CHANNELS)[number];

/** How each channel names a person, normalized to the platform user id its inbound messages carry. */
const RECIPIENT_RULES: Record<
  OutreachChannel,
  { pattern: RegExp; hint: string; normalize(v: string): string }
> = {
  whatsapp: {
    pattern: /^\+?[1-9]\d{6,14}$/,
    hint: 'a phone number in international format (E.164), e.g. +31612345678',
    normalize: (v) => v.replace(/^\+/, ''),
  },
  telegram: {
    pattern: /^-?\d{1,20}$/,
    hint: 'a numeric Telegram chat id (the person must have started the bot)',
    normalize: (v) => v,
  },
  email: {
    pattern: /^[^\s@<>"]{1,64}@[^\s@<>"]{1,255}$/,
    hint: 'an email address',
    normalize: (v) => v.toLowerCase(),
  },
};

const OutreachBody = z
  .object({
    contact_id: z.string().min(1).max(64).optional(),
    channel: z.enum(OUTREACH_CHANNELS).optional(),
    recipient: z.string().trim().min(1).max(320).optional(),
    text: OperatorText.optional(),
    attachments: OperatorAttachments.optional(),
    template: reengagementTemplate.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.contact_id === undefined) === (body.recipient === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['contact_id'],
        message: 'send either contact_id or channel + recipient',
      });
    } else if (body.recipient !== undefined && body.channel === undefined) {
      ctx.addIssue({ code: 'custom', path: ['channel'], message: 'is required with recipient' });
    } else if (body.recipient !== undefined && body.channel) {
      const rule = RECIPIENT_RULES[body.channel];
      if (!rule.pattern.test(body.recipient)) {
        ctx.addIssue({ code: 'custom', path: ['recipient'], message: `must be ${rule.hint}` });
      }
    }
    if ((body.text === undefined) === (body.template === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'send either text or template' });
    } else if (body.template && body.attachments) {
      ctx.addIssue({ code: 'custom', path: ['attachments'], message: 'only with text' });
    }
  })
  .openapi('OutreachInput');

const outreach = createRoute({
  method: 'post',
  path: CONVERSATIONS_PATH,
  tags: ['Conversations'],
  summary: 'Start a conversation: an operator message (or WhatsApp template) to a contact (member or higher)',
  description:
    'Reaches a known contact (`contact_id`, on `channel` or the channel they last wrote on) or a new recipient ' +
    '(`channel` + `recipient`: E.164 phone number, Telegram chat id or email address) on a channel the agent has ' +
    "configured. The person's active conversation continues, else a new one opens. The message is stored with " +
    "role `human` and the caller's user id and queued for delivery. WhatsApp allows free-form text only within " +
    "24 hours of the person's last message: outside it (or with no message yet) send a `template` (409 otherwise).",
  ...secured,
  request: { params: AgentParams, ...jsonBody(OutreachBody) },
  responses: {
    201: json(
      z.object({
        success: z.literal(true),
        data: z.object({ conversation: Conversation, message: MessageSchema }),
      }),
      'Started',
    ),
    ...commonErrors,
    ...conflictError,
  },
});

type Target = {
  channel: OutreachChannel;
  recipient: Recipient;
  contactId?: string;
  displayName: string | null;
};

/** POST …/agents/{agentId}/conversations. */
export function registerOutreachRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { database } = deps;
  app.openapi(outreach, async (c) => {
    const p = c.req.valid('param');
    const principal = principalOf(c);
    await requireAgent(database.db, principal, p.orgId, p.projectId, p.agentId, 'member');
    const body = c.req.valid('json');
    const target = body.contact_id
      ? await contactTarget(database.query, p.agentId, body.contact_id, body.channel)
      : recipientTarget(body.channel as OutreachChannel, body.recipient as string);
    const sender = await deps.senders?.(p.agentId, target.channel);
    if (!sender?.adapter.send) throw conflict(`The ${target.channel} channel is not configured for sending`);
    if (body.template && (target.channel !== WINDOW_CHANNEL || !sender.adapter.sendTemplate)) {
      throw conflict('Templates are WhatsApp only, with a provider that sends templates');
    }
    const attachments = await publicAttachments(body.attachments, deps.config.OUTBOUND_ALLOW_PRIVATE);
    const now = new Date();
    const { conversationId, messageId } = await database.transaction(async (query) => {
      const identity = await resolveIdentity(query, p.agentId, target.channel, {
        sender: { platformUserId: target.recipient.platformUserId, chatId: target.recipient.chatId },
      });
      if (target.contactId && identity.contactId !== target.contactId) {
        throw conflict('That address belongs to another contact');
      }
      if (body.text !== undefined && target.channel === WINDOW_CHANNEL) {
        await requireOpenWindow(query, identity.id, now);
      }
      const conversation = await openConversation(query, {
        agentId: p.agentId,
        contactId: identity.contactId,
        userIdentifier: `${target.channel}:${target.recipient.platformUserId}`,
        now,
        inactivityMs: deps.config.CONVERSATION_INACTIVITY * 1000,
        active: identity.active,
      });
      // Replies and later operator messages go where this one went, until the person writes elsewhere.
      await query(
        `update conversations set channel = $2,
                channel_metadata = case when channel = $2 then channel_metadata else '{}'::jsonb end || $3::jsonb
         where id = $1`,
        [
          conversation.id,
          target.channel,
          JSON.stringify({
            platform_user_id: `${target.channel}:${target.recipient.platformUserId}`,
            chat_id: target.recipient.chatId,
          }),
        ],
      );
      const ids = body.template
        ? [
            await insertTemplateMessage(query, {
              conversation_id: conversation.id,
              agent_id: p.agentId,
              channel: target.channel,
              recipient: target.recipient,
              template: fillTemplate(body.template, target.displayName),
              now,
              userId: principal.userId,
            }),
          ]
        : await insertOperatorMessage(query, {
            agentId: p.agentId,
            conversationId: conversation.id,
            channel: target.channel,
            recipient: target.recipient,
            text: body.text as string,
            attachments,
            userId: principal.userId,
            adapter: sender.adapter,
            now,
          });
      if (!ids[0]) throw badRequest('Invalid body: text: nothing to send');
      return { conversationId: conversation.id, messageId: ids[0] };
    });
    await deps.engine?.deliver(conversationId);
    const [conversation] = await database.query<ConversationRow>(
      `select ${CONVERSATION_COLUMNS} from conversations where id = $1`,
      [conversationId],
    );
    const [message] = await database.query<MessageRow>(
      `select ${MESSAGE_COLUMNS} from messages where id = $1`,
      [messageId],
    );
    return c.json(
      {
        success: true as const,
        data: {
          conversation: conversationView(conversation as ConversationRow),
          message: messageView(message as MessageRow),
        },
      } as never,
      201,
    );
  });
}

function recipientTarget(channel: OutreachChannel, recipient: string): Target {
  const id = RECIPIENT_RULES[channel].normalize(recipient);
  return { channel, recipient: { platformUserId: id, chatId: id }, displayName: null };
}

/** A known contact's address on `channel`, or on the outreach channel they most recently wrote on. */
async function contactTarget(
  query: SqlRunner,
  agentId: string,
  contactId: string,
  channel: OutreachChannel | undefined,
): Promise<Target> {
  const rows = await query<{
    channel: string;
    platform_user_id: string;
    chat_id: string;
    display_name: string | null;
  }>(
    `select i.channel, i.platform_user_id, i.chat_id, k.display_name
     from contacts k join contact_identities i on i.contact_id = k.id
     where k.id = $1 and k.agent_id = $2 and i.channel = any($3::text[])
     order by i.last_inbound_at desc nulls last, i.updated_at desc limit 1`,
    [contactId, agentId, channel ? [channel] : [...OUTREACH_CHANNELS]],
  );
  const row = rows[0];
  if (!row) {
    const [exists] = await query('select 1 from contacts where id = $1 and agent_id = $2', [
      contactId,
      agentId,
    ]);
    if (!exists) throw notFound('Contact');
    throw conflict(`The contact has no ${channel ?? 'WhatsApp, Telegram or email'} identity to reach`);
  }
  return {
    channel: row.channel as OutreachChannel,
    recipient: { platformUserId: row.platform_user_id, chatId: row.chat_id },
    contactId,
    displayName: row.display_name,
  };
}

/** Free-form WhatsApp text needs the person's message within the last 24 hours (an unknown one never wrote). */
async function requireOpenWindow(query: SqlRunner, identityId: string, now: Date): Promise<void> {
  const [row] = await query<{ last_inbound_at: Date | null }>(
    'select last_inbound_at from contact_identities where id = $1',
    [identityId],
  );
  const last = row?.last_inbound_at ? new Date(row.last_inbound_at).getTime() : null;
  if (last === null || now.getTime() - last > WINDOW_MS) {
    throw conflict(
      "WhatsApp allows free-form messages only within 24 hours of the person's last message; send a template",
    );
  }
}
