import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { CHANNELS } from '../channels/types.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { AgentParams, commonErrors, json, jsonBody, secured } from '../http/openapi.ts';
import { newId } from '../ids.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import type { ChatInput, ChatService } from './chat-service.ts';
import { chatReply } from './reply-body.ts';
import { chatStream } from './sse.ts';

/** Longest user message accepted by the chat APIs. */
export const MESSAGE_MAX_CHARS = 4000;

export const messageField = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MESSAGE_MAX_CHARS, `must be at most ${MESSAGE_MAX_CHARS} characters`);

const ChatBody = z.object({
  message: messageField,
  user_identifier: z.string().trim().min(1).max(320).optional(),
  conversation_id: z.string().min(1).max(64).optional(),
  channel: z.enum(CHANNELS).default('website'),
});

/** Quick-reply buttons the agent offered (each `value` is what to send back when it is pressed). */
export const QuickRepliesSchema = z
  .array(z.object({ label: z.string(), value: z.string() }))
  .openapi('QuickReplies');

export const TokenUsageSchema = z
  .object({ input_tokens: z.number(), output_tokens: z.number(), total_tokens: z.number() })
  .openapi('TokenUsage');
const ChatResponse = z
  .object({
    success: z.literal(true),
    conversation_id: z.string(),
    response: z.string(),
    token_usage: TokenUsageSchema,
    buttons: QuickRepliesSchema.optional(),
  })
  .openapi('ChatResponse');

const base = '/api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId}';
const tags = ['Chat'];
const agentUnavailable = {
  409: json(
    z.object({ success: z.literal(false), error: z.string() }),
    'Agent inactive or conversation closed',
  ),
  502: json(z.object({ success: z.literal(false), error: z.string() }), 'The LLM could not answer'),
};

const chat = createRoute({
  method: 'post',
  path: `${base}/chat`,
  tags,
  summary: 'Send a message to the agent and get its reply (member or higher)',
  ...secured,
  request: { params: AgentParams, ...jsonBody(ChatBody) },
  responses: { 200: json(ChatResponse, 'The reply'), ...commonErrors, ...agentUnavailable },
});
const stream = createRoute({
  method: 'post',
  path: `${base}/chat/stream`,
  tags,
  summary: 'Like /chat, answered as server-sent events: connected, response_chunk…, complete or error',
  ...secured,
  request: { params: AgentParams, ...jsonBody(ChatBody) },
  responses: {
    200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...commonErrors,
  },
});

export function registerChatRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, chats: ChatService): void {
  /** Checks the caller may chat with the agent (member+, agent active) and builds the chat input. */
  const prepare = async (
    c: Context<AppEnv>,
    p: z.infer<typeof AgentParams>,
    body: z.infer<typeof ChatBody>,
  ): Promise<ChatInput> => {
    const { agent } = await requireAgent(
      deps.database.db,
      principalOf(c),
      p.orgId,
      p.projectId,
      p.agentId,
      'member',
    );
    if (agent.status !== 'active') throw new ApiError(409, 'The agent is inactive');
    const userIdentifier = body.user_identifier ?? `anonymous:${newId('visitor')}`;
    return {
      agentId: agent.id,
      channel: body.channel,
      message: body.message,
      platformUserId: userIdentifier,
      userIdentifier,
      ...(body.conversation_id ? { conversationId: body.conversation_id } : {}),
    };
  };

  app.openapi(chat, async (c) => {
    const input = await prepare(c, c.req.valid('param'), c.req.valid('json'));
    return c.json(chatReply(await chats.send(input)), 200);
  });

  app.openapi(stream, async (c) => {
    const input = await prepare(c, c.req.valid('param'), c.req.valid('json'));
    return chatStream(c, deps.logger, (onChunk, signal) => chats.send({ ...input, onChunk, signal }), {
      stallMs: deps.config.SSE_STALL_MS,
    }) as never;
  });
}
