import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { AgentParams, commonErrors, json, oneOf, secured } from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { AnalyticsQuery, resolveRange } from './range.ts';
import { buildAgentAnalytics } from './report.ts';
import { AgentAnalytics } from './schema.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId}/analytics',
  tags: ['Analytics'],
  summary: 'Messages, reply latency, delivery and conversations of an agent over a range (viewer or higher)',
  description:
    'Counts per UTC bucket and channel and reply-latency percentiles, computed by the database. ' +
    'Defaults: the last 30 days by day. At most 400 days and 800 buckets; otherwise 400 naming the field.',
  ...secured,
  request: { params: AgentParams, query: AnalyticsQuery },
  responses: { 200: json(oneOf(AgentAnalytics), 'Analytics'), ...commonErrors },
});

export function registerAgentAnalyticsRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const p = c.req.valid('param');
    await requireAgent(deps.database.db, principalOf(c), p.orgId, p.projectId, p.agentId, 'viewer');
    const range = resolveRange(c.req.valid('query'), new Date());
    const data = await buildAgentAnalytics(deps.database.query, p.agentId, range);
    return c.json({ success: true as const, data }, 200);
  });
}
