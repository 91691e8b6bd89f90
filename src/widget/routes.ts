import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, Next } from 'hono';
import type { ChannelAccount } from '../channels/types.ts';
import { chatReply } from '../chat/reply-body.ts';
import { messageField, QuickRepliesSchema, TokenUsageSchema } from '../chat/routes.ts';
import type { ChatService } from '../chat/chat-service.ts';
import { chatStream } from '../chat/sse.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { badRequest, unauthorized } from '../http/errors.ts';
import { json, jsonBody } from '../http/openapi.ts';
import { clientIp, rateLimitsOf } from '../http/rate-limit.ts';
import { attributesOfIdentifier } from '../contacts/verified-attributes.ts';
import { newId } from '../ids.ts';
import {
  checkOrigin,
  identityMatches,
  platformIdOf,
  publicTheme,
  requireVisitor,
  verificationHolds,
  websiteAccount,
  widgetSecretTag,
} from './access.ts';
import { visitorHistory } from './history.ts';
import type { Visitor, VisitorTokens } from './visitor-tokens.ts';

export const WIDGET_BASE = '/api/v1/widget';
const tags = ['Widget (public)'];
const visitorAuth = { security: [{ visitorToken: [] }] };
const Params = z.object({
  agentId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'agentId', in: 'path' } }),
});
const errors = {
  400: json(z.object({ success: z.literal(false), error: z.string() }), 'Invalid request'),
  401: json(z.object({ success: z.literal(false), error: z.string() }), 'Missing or invalid visitor token'),
  403: json(z.object({ success: z.literal(false), error: z.string() }), 'Origin not allowed'),
  404: json(z.object({ success: z.literal(false), error: z.string() }), 'No enabled widget for this agent'),
  429: json(z.object({ success: z.literal(false), error: z.string() }), 'Rate limited (Retry-After)'),
};

const SessionBody = z.object({
  visitor_token: z
    .string()
    .max(4096)
    .optional()
    .openapi({ description: 'An earlier (even expired) token to refresh' }),
  user_identifier: z.string().trim().min(1).max(320).optional(),
  user_hash: z
    .string()
    .max(128)
    .optional()
    .openapi({ description: 'hex HMAC-SHA256(user_identifier, widget_secret)' }),
});
const Session = z.object({
  success: z.literal(true),
  data: z.object({
    token: z.string(),
    visitor_id: z.string(),
    expires_at: z.string(),
    verified: z.boolean(),
  }),
});
const Settings = z.object({
  success: z.literal(true),
  data: z.object({
    agent_id: z.string(),
    theme: z.object({ primary_color: z.string(), position: z.string(), greeting_message: z.string() }),
  }),
});
const MessageBody = z.object({ message: messageField });
const Reply = z.object({
  success: z.literal(true),
  conversation_id: z.string(),
  response: z.string(),
  token_usage: TokenUsageSchema,
  buttons: QuickRepliesSchema.optional(),
});
const History = z.object({
  success: z.literal(true),
  data: z.object({
    conversation_id: z.string().nullable(),
    messages: z.array(
      z.object({
        id: z.string(),
        role: z.string(),
        content: z.string(),
        status: z.string(),
        created_at: z.string(),
        buttons: QuickRepliesSchema.optional(),
      }),
    ),
  }),
});

const settingsRoute = createRoute({
  method: 'get',
  path: `${WIDGET_BASE}/{agentId}/settings`,
  tags,
  summary: 'Public widget settings: theme and greeting from the website channel',
  request: { params: Params },
  responses: { 200: json(Settings, 'Settings'), ...errors },
});
const sessionRoute = createRoute({
  method: 'post',
  path: `${WIDGET_BASE}/{agentId}/session`,
  tags,
  summary: 'Start (or refresh) a visitor session; optional verified identity',
  request: { params: Params, ...jsonBody(SessionBody) },
  responses: { 200: json(Session, 'Visitor token'), ...errors },
});
const historyRoute = createRoute({
  method: 'get',
  path: `${WIDGET_BASE}/{agentId}/messages`,
  tags,
  summary: "The visitor's conversation (their own only)",
  ...visitorAuth,
  request: { params: Params },
  responses: { 200: json(History, 'History'), ...errors },
});
const sendRoute = createRoute({
  method: 'post',
  path: `${WIDGET_BASE}/{agentId}/messages`,
  tags,
  summary: 'Send a message as the visitor and get the reply',
  ...visitorAuth,
  request: { params: Params, ...jsonBody(MessageBody) },
  responses: { 200: json(Reply, 'Reply'), ...errors },
});
const streamRoute = createRoute({
  method: 'post',
  path: `${WIDGET_BASE}/{agentId}/messages/stream`,
  tags,
  summary:
    'Send a message; the reply streams as server-sent events (connected, response_chunk…, complete | error)',
  ...visitorAuth,
  request: { params: Params, ...jsonBody(MessageBody) },
  responses: {
    200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...errors,
  },
});

/** The website account the middleware resolved for this request. */
function accountOf(c: Context<AppEnv>): ChannelAccount {
  const account = c.get('websiteAccount');
  if (!account) throw new Error('widget route ran without its middleware');
  return account;
}

export type WidgetDeps = { chats: ChatService; visitors: VisitorTokens };

/** The public website chat API: no organization credentials; a visitor token per browser. */
export function registerWidgetRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, widget: WidgetDeps): void {
  const { config } = deps;
  const limits = rateLimitsOf(deps);
  const perIp = limits('widget_ip', config.WIDGET_IP_RATE_LIMIT_PER_MINUTE, 60);
  const perVisitor = limits('widget_visitor', config.WIDGET_VISITOR_RATE_LIMIT_PER_MINUTE, 60);

  // Origin allow-list and per-IP budget before every widget route (CORS headers: cors.ts, earlier).
  app.use(`${WIDGET_BASE}/:agentId/*`, async (c: Context<AppEnv>, next: Next) => {
    const origin = c.req.header('origin');
    // The budget is spent before any lookup, so random agent ids cannot buy database reads or flush the
    // channel cache; preflights count too (browsers cache them for Access-Control-Max-Age).
    await perIp.consume(clientIp(c, config.TRUST_PROXY));
    const account = await websiteAccount(deps, c.req.param('agentId') ?? '');
    checkOrigin(account, origin);
    c.set('websiteAccount', account);
    if (c.req.method === 'OPTIONS') return c.body(null, 204);
    await next();
  });

  app.openapi(settingsRoute, async (c) => {
    const { agentId } = c.req.valid('param');
    const account = accountOf(c);
    return c.json({ success: true as const, data: { agent_id: agentId, theme: publicTheme(account) } }, 200);
  });

  app.openapi(sessionRoute, async (c) => {
    const { agentId } = c.req.valid('param');
    const body = c.req.valid('json');
    const account = accountOf(c);
    // A fresh identity verification stands on its own: the token the widget still holds (verified under a
    // widget_secret since rotated, or too old to refresh) must not block it; it only keeps the visitor id.
    const verifying = body.user_identifier !== undefined || body.user_hash !== undefined;
    let verified: Pick<Visitor, 'verifiedIdentifier' | 'verifiedAt' | 'secretTag'> | undefined;
    if (verifying) {
      if (!body.user_identifier || !body.user_hash) {
        throw badRequest('Invalid body: user_identifier and user_hash must be sent together');
      }
      const secret = await account.secret('widget_secret');
      if (!secret)
        throw badRequest('Invalid body: user_hash: identity verification is not configured for this widget');
      if (!identityMatches(secret, body.user_identifier, body.user_hash)) {
        throw unauthorized('user_hash does not match user_identifier');
      }
      verified = {
        verifiedIdentifier: body.user_identifier,
        verifiedAt: Math.floor(Date.now() / 1000),
        secretTag: widgetSecretTag(secret),
      };
    }
    const earlier = body.visitor_token
      ? await widget.visitors.verifyForRefresh(body.visitor_token, agentId)
      : undefined;
    if (!verifying) {
      if (body.visitor_token && !earlier)
        throw unauthorized('visitor_token is invalid or too old to refresh');
      if (earlier && !(await verificationHolds(account, earlier))) {
        throw unauthorized('The widget identity secret changed; verify the visitor again');
      }
      if (earlier?.verifiedIdentifier) {
        verified = {
          verifiedIdentifier: earlier.verifiedIdentifier,
          verifiedAt: earlier.verifiedAt,
          secretTag: earlier.secretTag,
        };
      }
    }
    const visitorId = earlier?.visitorId ?? newId('visitor');
    const { token, expiresAt } = await widget.visitors.sign({ agentId, visitorId, ...verified });
    return c.json(
      {
        success: true as const,
        data: {
          token,
          visitor_id: visitorId,
          expires_at: expiresAt.toISOString(),
          verified: !!verified,
        },
      },
      200,
    );
  });

  app.openapi(historyRoute, async (c) => {
    const { agentId } = c.req.valid('param');
    const visitor = await requireVisitor(c, widget.visitors, accountOf(c));
    const history = await visitorHistory(deps.database, agentId, platformIdOf(visitor));
    return c.json({ success: true as const, data: history }, 200);
  });

  const chatInput = async (c: Context<AppEnv>, agentId: string, message: string) => {
    const visitor = await requireVisitor(c, widget.visitors, accountOf(c));
    await perVisitor.consume(`${agentId}:${visitor.visitorId}`);
    const id = platformIdOf(visitor);
    const verified = visitor.verifiedIdentifier ? attributesOfIdentifier(visitor.verifiedIdentifier) : {};
    return {
      agentId,
      channel: 'website' as const,
      message,
      platformUserId: id,
      userIdentifier: visitor.verifiedIdentifier ?? `website:${visitor.visitorId}`,
      verified,
    };
  };

  app.openapi(sendRoute, async (c) => {
    const { agentId } = c.req.valid('param');
    const input = await chatInput(c, agentId, c.req.valid('json').message);
    return c.json(chatReply(await widget.chats.send(input)), 200);
  });

  app.openapi(streamRoute, async (c) => {
    const { agentId } = c.req.valid('param');
    const input = await chatInput(c, agentId, c.req.valid('json').message);
    // A visitor's dropped connection (mobile network, tab switch) must not lose the reply: the widget
    // reconnects and reads it from the history.
    return chatStream(c, deps.logger, (onChunk, signal) => widget.chats.send({ ...input, onChunk, signal }), {
      finishOnDisconnect: true,
      stallMs: deps.config.SSE_STALL_MS,
    }) as never;
  });
}
