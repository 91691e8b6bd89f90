import { OpenAPIHono } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate.ts';
import { registerChannelRoutes } from '../channels/routes.ts';
import { registerConsoleAssets } from '../console/assets.ts';
import { registerConsoleSessionRoutes } from '../console/session-routes.ts';
import { registerAccountRoutes } from '../platform/routes/account-routes.ts';
import { registerAgentRoutes } from '../platform/routes/agent-routes.ts';
import { registerAuthRoutes } from '../platform/routes/auth-routes.ts';
import { registerLlmKeyRoutes } from '../platform/routes/llm-key-routes.ts';
import { registerInvitationRoutes } from '../platform/routes/invitation-routes.ts';
import { registerMemberRoutes } from '../platform/routes/member-routes.ts';
import { registerOrganizationRoutes } from '../platform/routes/organization-routes.ts';
import { registerProjectRoutes } from '../platform/routes/project-routes.ts';
import { registerTokenRoutes } from '../platform/routes/token-routes.ts';
import { VERSION } from '../version.ts';
import { limitBody, rejectUnstorableUrl, requireJsonBody } from './body.ts';
import { limitPerCaller, rateLimitsOf } from './rate-limit.ts';
import { registerDocs } from './docs.ts';
import { registerWebhookRoute } from '../engine/webhook-route.ts';
import { MAIL_WEBHOOK_PREFIX, registerMailWebhookRoute } from '../engine/mail-route.ts';
import { registerEmailInfoRoute } from '../channels/email-routes.ts';
import { registerContactRoutes } from '../contacts/routes.ts';
import { registerPlaygroundRoutes } from '../playground/routes.ts';
import { registerConversationRoutes } from '../conversations/routes.ts';
import { registerAgentAnalyticsRoute } from '../analytics/route.ts';
import { registerChatRoutes } from '../chat/routes.ts';
import { registerWidgetRoutes, WIDGET_BASE } from '../widget/routes.ts';
import { registerEventStreamRoute } from '../events/stream-route.ts';
import { registerEventWebhookRoutes } from '../events/webhook-routes.ts';
import { isWidgetScriptPath, registerWidgetAssets } from '../widget/assets.ts';
import { widgetCors } from '../widget/cors.ts';
import type { AppDeps, AppEnv } from './env.ts';
import { errorBody, handleError, validationError } from './errors.ts';
import { registerHealth } from './health.ts';
import { registerMetricsRoute } from '../metrics/route.ts';
import { front } from './front.ts';
import { requestLog } from './request-log.ts';
import { syncWrites } from './sync-writes.ts';
import type { SecurityHeaders } from './security-headers.ts';

/**
 * Builds the HTTP application: middleware, every route, docs and health. No I/O happens here. `headers` are the
 * security headers every response carries (security-headers.ts).
 */
export function createApp(deps: AppDeps, headers: SecurityHeaders): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });

  app.use(
    '*',
    front(requestLog(deps.logger, deps.config.REQUEST_LOG), (path) =>
      isWidgetScriptPath(path) ? headers.widgetScript : headers.page,
    ),
  );
  app.use(`${WIDGET_BASE}/*`, widgetCors());
  const bodyLimit = limitBody(deps.config.BODY_LIMIT_BYTES);
  // Raw mail has its own, larger bound (EMAIL_MAX_BYTES).
  const mailLimit = limitBody(deps.config.EMAIL_MAX_BYTES);
  app.use('*', (c, next) => (c.req.path.startsWith(MAIL_WEBHOOK_PREFIX) ? mailLimit : bodyLimit)(c, next));
  app.use('*', rejectUnstorableUrl());
  app.use('/api/*', requireJsonBody());
  // Only the embedded database with its WAL synced has anything to wait for.
  if (deps.database.durability) app.use('/api/*', syncWrites(deps.database.durability));
  app.use('/api/v1/*', authenticate(deps));
  app.use('/api/v1/*', limitPerCaller(deps.config.API_RATE_LIMIT_PER_MINUTE, rateLimitsOf(deps)));

  registerHealth(app, deps.database);
  registerMetricsRoute(app, deps);
  registerDocs(app, VERSION);
  registerConsoleSessionRoutes(app, deps, registerAuthRoutes(app, deps));
  registerAccountRoutes(app, deps);
  registerTokenRoutes(app, deps);
  registerOrganizationRoutes(app, deps);
  registerMemberRoutes(app, deps);
  registerInvitationRoutes(app, deps);
  registerProjectRoutes(app, deps);
  registerAgentRoutes(app, deps);
  registerLlmKeyRoutes(app, deps);
  registerConversationRoutes(app, deps);
  registerAgentAnalyticsRoute(app, deps);
  registerContactRoutes(app, deps);
  registerPlaygroundRoutes(app, deps);
  registerMailWebhookRoute(app, deps);
  registerWebhookRoute(app, deps);
  registerChannelRoutes(app, deps);
  registerEmailInfoRoute(app, deps);
  registerEventWebhookRoutes(app, deps);
  if (deps.events) registerEventStreamRoute(app, deps, deps.events.hub, deps.events.stream);
  registerWidgetAssets(app, deps.config.PUBLIC_URL);
  registerConsoleAssets(app);
  if (deps.chats) registerChatRoutes(app, deps, deps.chats);
  if (deps.chats && deps.visitors)
    registerWidgetRoutes(app, deps, { chats: deps.chats, visitors: deps.visitors });

  app.notFound((c) => c.json(errorBody(`No route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) => handleError(err, c, deps.logger));
  return app;
}
