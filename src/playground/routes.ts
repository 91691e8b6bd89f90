import { randomUUID } from 'node:crypto';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { sandboxMessageEvent } from '../channels/sandbox/inbound.ts';
import {
  SANDBOX_CHANNELS,
  SANDBOX_NAME,
  type SandboxChannel,
  sandboxUserId,
} from '../channels/sandbox/identity.ts';
import { MessageSchema } from '../conversations/message-schema.ts';
import { Conversation } from '../conversations/conversation-schema.ts';
import {
  CONVERSATION_COLUMNS,
  type ConversationRow,
  conversationView,
  MESSAGE_COLUMNS,
  type MessageRow,
  messageView,
} from '../conversations/views.ts';
import type { Engine } from '../engine/engine.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { AgentParams, commonErrors, json, jsonBody, secured } from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { sandboxProfiles } from './profiles.ts';

/** Base path of the playground routes (member+ to write, viewer+ to read; never public). */
export const PLAYGROUND_PATH =
  '/api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId}/playground';

/** Longest customer message the playground takes (a WhatsApp or Telegram message holds 4096). */
export const PLAYGROUND_TEXT_MAX = 4096;
/** Most messages a transcript returns (the newest). */
const TRANSCRIPT_MAX = 200;

const tags = ['Playground'];

const ChannelParams = AgentParams.extend({
  channel: z.enum(SANDBOX_CHANNELS).openapi({ param: { name: 'channel', in: 'path' }, example: 'whatsapp' }),
});

const SandboxName = z
  .string()
  .regex(
    SANDBOX_NAME,
    'must be 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  )
  .openapi({
    description: 'The sandbox customer (default: one per operator); their platform id is `sandbox:<from>`',
  });

const PostBody = z
  .object({
    from: SandboxName.optional(),
    name: z.string().min(1).max(100).optional().openapi({ description: "The customer's display name" }),
    text: z.string().trim().min(1).max(PLAYGROUND_TEXT_MAX),
    message_id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, ".", "_" or "-"')
      .optional()
      .openapi({
        description: "The provider's message id, i.e. the dedupe key: posting one twice records it once",
      }),
    subject: z.string().max(200).optional().openapi({ description: 'Email only: the mail subject' }),
    in_reply_to: z.string().max(998).optional().openapi({
      description: "Email only: the Message-ID of the agent's mail this one answers (threading)",
    }),
  })
  .strict()
  .openapi('PlaygroundMessageInput');

const Accepted = z.object({
  channel: z.enum(SANDBOX_CHANNELS),
  from: z.string(),
  platform_user_id: z.string(),
  user_identifier: z.string(),
  message_id: z.string(),
  duplicate: z.boolean().openapi({ description: 'true when this message_id was already recorded' }),
});

const post = createRoute({
  method: 'post',
  path: `${PLAYGROUND_PATH}/{channel}/messages`,
  tags,
  summary: 'Write to the agent as a sandbox customer on WhatsApp, Telegram or email (member or higher)',
  description:
    'Records the message through the same durable ingest as a provider webhook (deduped on `message_id`), then ' +
    "the engine answers it like any other: the agent's turn, reply parts split for the channel, ordered delivery " +
    'through the sandbox provider, which renders each part as the real provider of the channel would get it and ' +
    'confirms it delivered. Read the result with the transcript route or the conversation API. 202 once durable.',
  ...secured,
  request: { params: ChannelParams, ...jsonBody(PostBody) },
  responses: {
    202: json(z.object({ success: z.literal(true), data: Accepted }), 'Recorded'),
    ...commonErrors,
    503: json(z.object({ success: z.literal(false), error: z.string() }), 'Engine not running; retry'),
  },
});

const TranscriptQuery = z.object({
  from: SandboxName.optional(),
  limit: z.coerce.number().int().min(1).max(TRANSCRIPT_MAX).default(100),
});

const Rendered = z
  .record(z.string(), z.unknown())
  .nullable()
  .openapi({
    description:
      'What the sandbox provider sent for this outbound part: `renders_as` (`cloud_api`, `twilio`, `telegram`, ' +
      '`mime`) with the provider request (`request`) or, for email, `headers`, `text`, `html` and the full `mime`',
  });

const transcript = createRoute({
  method: 'get',
  path: `${PLAYGROUND_PATH}/{channel}/transcript`,
  tags,
  summary: "A sandbox customer's latest conversation with each reply as rendered (viewer or higher)",
  ...secured,
  request: { params: ChannelParams, query: TranscriptQuery },
  responses: {
    200: json(
      z.object({
        success: z.literal(true),
        data: z.object({
          from: z.string(),
          conversation: Conversation.nullable(),
          messages: z.array(MessageSchema.extend({ rendered: Rendered })),
        }),
      }),
      'Transcript',
    ),
    ...commonErrors,
  },
});

const Profile = z.object({
  channel: z.enum(SANDBOX_CHANNELS),
  provider: z.literal('sandbox'),
  renders_as: z.string(),
  text_limit: z.number().nullable(),
});

const info = createRoute({
  method: 'get',
  path: PLAYGROUND_PATH,
  tags,
  summary: 'The sandbox provider of each channel and how it renders (viewer or higher)',
  ...secured,
  request: { params: AgentParams },
  responses: {
    200: json(
      z.object({
        success: z.literal(true),
        data: z.object({ default_from: z.string(), channels: z.array(Profile) }),
      }),
      'Sandbox channels',
    ),
    ...commonErrors,
  },
});

/** One sandbox customer per operator unless they name one: user ids are valid sandbox names. */
const defaultFrom = (userId: string) => userId.toLowerCase().slice(0, 64);

/** The playground: sandbox customers talking to an agent through the real engine (src/channels/sandbox). */
export function registerPlaygroundRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { database } = deps;

  app.openapi(info, async (c) => {
    const p = c.req.valid('param');
    const principal = principalOf(c);
    await requireAgent(database.db, principal, p.orgId, p.projectId, p.agentId, 'viewer');
    const channels = await sandboxProfiles(deps.channelAccounts, p.agentId);
    return c.json(
      { success: true as const, data: { default_from: defaultFrom(principal.userId), channels } },
      200,
    );
  });

  // Only where the engine runs (always in the server): without one a message could not be recorded.
  if (deps.engine) registerPost(app, deps, deps.engine);

  app.openapi(transcript, async (c) => {
    const p = c.req.valid('param');
    const principal = principalOf(c);
    await requireAgent(database.db, principal, p.orgId, p.projectId, p.agentId, 'viewer');
    const q = c.req.valid('query');
    const from = q.from ?? defaultFrom(principal.userId);
    const conversation = await latestConversation(deps, p.agentId, p.channel, from);
    const messages = conversation ? await messagesOf(deps, conversation.id, q.limit) : [];
    const data = {
      from,
      conversation: conversation ? conversationView(conversation) : null,
      messages,
    };
    return c.json({ success: true as const, data } as never, 200);
  });
}

/** POST …/playground/{channel}/messages: the customer's message, recorded like a provider webhook's. */
function registerPost(app: OpenAPIHono<AppEnv>, deps: AppDeps, engine: Engine): void {
  const { database } = deps;
  app.openapi(post, async (c) => {
    const p = c.req.valid('param');
    const principal = principalOf(c);
    await requireAgent(database.db, principal, p.orgId, p.projectId, p.agentId, 'member');
    const body = c.req.valid('json');
    const from = body.from ?? defaultFrom(principal.userId);
    const messageId = body.message_id ?? randomUUID();
    const event = sandboxMessageEvent({
      channel: p.channel,
      from,
      ...(body.name ? { displayName: body.name } : {}),
      text: body.text,
      messageId,
      ...(body.subject !== undefined ? { subject: body.subject } : {}),
      ...(body.in_reply_to ? { inReplyTo: body.in_reply_to } : {}),
      sentAt: new Date(),
    });
    let duplicates: number;
    try {
      ({ duplicates } = await engine.ingestor.ingest({ agentId: p.agentId, channel: p.channel }, [event]));
    } catch (error) {
      deps.logger.error({ err: error }, 'playground message could not be recorded');
      throw new ApiError(503, 'Could not record the message; retry shortly', undefined, {
        'Retry-After': '5',
      });
    }
    const platformUserId = sandboxUserId(from);
    const data = {
      channel: p.channel,
      from,
      platform_user_id: platformUserId,
      user_identifier: `${p.channel}:${platformUserId}`,
      message_id: messageId,
      duplicate: duplicates > 0,
    };
    return c.json({ success: true as const, data }, 202);
  });
}

/** The sandbox customer's most recently active conversation (through their identity: indexed). */
async function latestConversation(deps: AppDeps, agentId: string, channel: SandboxChannel, from: string) {
  const [row] = await deps.database.query<ConversationRow>(
    `select ${CONVERSATION_COLUMNS} from conversations
     where agent_id = $1 and contact_id = (
       select contact_id from contact_identities where agent_id = $1 and channel = $2 and platform_user_id = $3)
     order by last_activity_at desc limit 1`,
    [agentId, channel, sandboxUserId(from)],
  );
  return row;
}

/** The newest `limit` messages, oldest first, each outbound part with what the sandbox rendered for it. */
async function messagesOf(deps: AppDeps, conversationId: string, limit: number) {
  const columns = MESSAGE_COLUMNS.split(',')
    .map((column) => `m.${column.trim()}`)
    .join(', ');
  const rows = await deps.database.query<MessageRow & { rendered: Record<string, unknown> | null }>(
    `select * from (
       select ${columns}, m.seq, d.payload as rendered from messages m
       left join sandbox_deliveries d on d.message_id = m.id
       where m.conversation_id = $1 order by m.seq desc limit $2) recent
     order by seq`,
    [conversationId, limit],
  );
  return rows.map((row) => ({ ...messageView(row), rendered: row.rendered ?? null }));
}
