import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import {
  commonErrors,
  conflictError,
  idParam,
  json,
  jsonBody,
  oneOf,
  OrgParams,
  secured,
  SuccessMessage,
  timestamp,
} from '../http/openapi.ts';
import { newId } from '../ids.ts';
import { assertPublicUrl, isBlockedDestination } from '../net/outbound-guard.ts';
import { principalOf, requireOrganization } from '../platform/access.ts';
import { AGENT_EVENT_TYPES } from './publish.ts';
import { newWebhookSecret } from './webhook-signature.ts';
import {
  type DeliveryRow,
  deliveryView,
  loadWebhook,
  sealWebhookSecret,
  WEBHOOK_COLUMNS,
  type WebhookRow,
  webhookView,
} from './webhook-store.ts';

const tags = ['Event webhooks'];
const base = '/api/v1/organizations/{orgId}/event-webhooks';
const WebhookParams = OrgParams.extend({ webhookId: idParam('webhookId', 'whk') });

const Url = z.string().max(2048).openapi({ example: 'https://example.com/switchboard-events' });
const EventTypes = z
  .array(z.enum(AGENT_EVENT_TYPES))
  .min(1)
  .max(AGENT_EVENT_TYPES.length)
  .openapi({ description: 'Event types to deliver' });
const CreateBody = z.object({
  url: Url,
  event_types: EventTypes,
  agent_id: z
    .string()
    .max(64)
    .nullable()
    .optional()
    .openapi({ description: 'Only this agent; omit for all' }),
  description: z.string().max(200).optional(),
  enabled: z.boolean().optional(),
});
const UpdateBody = CreateBody.partial();

const Webhook = z
  .object({
    _id: z.string(),
    organization: z.string(),
    agent: z.string().nullable(),
    url: z.string(),
    event_types: z.array(z.string()),
    description: z.string(),
    enabled: z.boolean(),
    status: z.object({
      last_status: z.enum(['delivered', 'failed']).nullable(),
      last_status_code: z.number().nullable(),
      last_error: z.string().nullable(),
      last_attempt_at: timestamp().nullable(),
      last_success_at: timestamp().nullable(),
      failure_count: z.number().openapi({ description: 'Failed attempts since the last success' }),
      pending_deliveries: z.number(),
      failed_deliveries: z.number(),
    }),
    created_at: timestamp(),
    updated_at: timestamp(),
  })
  .openapi('EventWebhook');
const Delivery = z
  .object({
    _id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number(),
    last_status_code: z.number().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: timestamp().nullable(),
    delivered_at: timestamp().nullable(),
    created_at: timestamp(),
  })
  .openapi('EventWebhookDelivery');

const admin = '(organization admin or higher)';
const create = createRoute({
  method: 'post',
  path: base,
  tags,
  summary: `Subscribe a URL to agent events; the signing secret is in this answer only ${admin}`,
  ...secured,
  request: { params: OrgParams, ...jsonBody(CreateBody) },
  responses: {
    201: json(oneOf(Webhook.extend({ secret: z.string() })), 'Created'),
    ...commonErrors,
    ...conflictError,
  },
});
const list = createRoute({
  method: 'get',
  path: base,
  tags,
  summary: `Event webhooks of the organization with their delivery status ${admin}`,
  ...secured,
  request: { params: OrgParams },
  responses: {
    200: json(z.object({ success: z.literal(true), data: z.array(Webhook) }), 'Webhooks'),
    ...commonErrors,
  },
});
const get = createRoute({
  method: 'get',
  path: `${base}/{webhookId}`,
  tags,
  summary: `One event webhook ${admin}`,
  ...secured,
  request: { params: WebhookParams },
  responses: { 200: json(oneOf(Webhook), 'Webhook'), ...commonErrors },
});
const update = createRoute({
  method: 'patch',
  path: `${base}/{webhookId}`,
  tags,
  summary: `Change an event webhook's URL, types, agent, description or enabled flag ${admin}`,
  ...secured,
  request: { params: WebhookParams, ...jsonBody(UpdateBody) },
  responses: { 200: json(oneOf(Webhook), 'Updated'), ...commonErrors },
});
const remove = createRoute({
  method: 'delete',
  path: `${base}/{webhookId}`,
  tags,
  summary: `Delete an event webhook and its deliveries ${admin}`,
  ...secured,
  request: { params: WebhookParams },
  responses: { 200: json(SuccessMessage, 'Deleted'), ...commonErrors },
});
const deliveries = createRoute({
  method: 'get',
  path: `${base}/{webhookId}/deliveries`,
  tags,
  summary: `Recent deliveries of an event webhook, newest first ${admin}`,
  ...secured,
  request: {
    params: WebhookParams,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      status: z.enum(['pending', 'delivered', 'failed']).optional(),
    }),
  },
  responses: {
    200: json(z.object({ success: z.literal(true), data: z.array(Delivery) }), 'Deliveries'),
    ...commonErrors,
  },
});

/** Event webhook subscriptions: organization admins manage them; deliveries are sent by WebhookSender. */
export function registerEventWebhookRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { database, config, vault } = deps;
  const policy = { allowPrivate: config.OUTBOUND_ALLOW_PRIVATE };

  const checkUrl = async (url: string) => {
    try {
      return (await assertPublicUrl(url, policy)).toString();
    } catch (error) {
      if (isBlockedDestination(error)) throw badRequest(`url: ${error.message}`);
      throw error;
    }
  };
  const checkAgent = async (organizationId: string, agentId: string | null | undefined) => {
    if (!agentId) return null;
    const rows = await database.query('select 1 from agents where id = $1 and organization_id = $2', [
      agentId,
      organizationId,
    ]);
    if (rows.length === 0) throw badRequest('agent_id: no such agent in this organization');
    return agentId;
  };
  const load = async (organizationId: string, webhookId: string): Promise<WebhookRow> => {
    const row = await loadWebhook(database.query, organizationId, webhookId);
    if (!row) throw notFound('Event webhook');
    return row;
  };

  app.openapi(create, async (c) => {
    const { orgId } = c.req.valid('param');
    const principal = principalOf(c);
    await requireOrganization(database.db, principal, orgId, 'admin');
    const body = c.req.valid('json');
    const url = await checkUrl(body.url);
    const agentId = await checkAgent(orgId, body.agent_id);
    const id = newId('whk');
    const secret = newWebhookSecret();
    const inserted = await database.transaction(async (query) => {
      // Serialises creations per organization so the bound holds under concurrency.
      await query('select id from organizations where id = $1 for update', [orgId]);
      const [count] = await query<{ n: number }>(
        'select count(*)::int as n from event_webhooks where organization_id = $1',
        [orgId],
      );
      if ((count?.n ?? 0) >= config.EVENT_WEBHOOKS_PER_ORGANIZATION) return false;
      await query(
        `insert into event_webhooks (id, organization_id, agent_id, url, event_types, description, enabled, secret,
                                     created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          id,
          orgId,
          agentId,
          url,
          [...new Set(body.event_types)],
          body.description ?? '',
          body.enabled ?? true,
          sealWebhookSecret(vault, id, secret),
          principal.userId,
        ],
      );
      return true;
    });
    if (!inserted) {
      throw conflict(
        `This organization already has ${config.EVENT_WEBHOOKS_PER_ORGANIZATION} event webhooks`,
      );
    }
    return c.json(
      { success: true as const, data: { ...webhookView(await load(orgId, id)), secret } } as never,
      201,
    );
  });

  app.openapi(list, async (c) => {
    const { orgId } = c.req.valid('param');
    await requireOrganization(database.db, principalOf(c), orgId, 'admin');
    const rows = await database.query<WebhookRow>(
      `select ${WEBHOOK_COLUMNS} from event_webhooks w where w.organization_id = $1 order by w.created_at limit 1000`,
      [orgId],
    );
    return c.json({ success: true as const, data: rows.map(webhookView) } as never, 200);
  });

  app.openapi(get, async (c) => {
    const p = c.req.valid('param');
    await requireOrganization(database.db, principalOf(c), p.orgId, 'admin');
    return c.json(
      { success: true as const, data: webhookView(await load(p.orgId, p.webhookId)) } as never,
      200,
    );
  });

  app.openapi(update, async (c) => {
    const p = c.req.valid('param');
    await requireOrganization(database.db, principalOf(c), p.orgId, 'admin');
    const current = await load(p.orgId, p.webhookId);
    const body = c.req.valid('json');
    const url = body.url === undefined ? current.url : await checkUrl(body.url);
    const agentId = body.agent_id === undefined ? current.agent_id : await checkAgent(p.orgId, body.agent_id);
    await database.query(
      `update event_webhooks set url = $3, agent_id = $4, event_types = $5, description = $6, enabled = $7,
              updated_at = now()
       where id = $1 and organization_id = $2`,
      [
        p.webhookId,
        p.orgId,
        url,
        agentId,
        body.event_types ? [...new Set(body.event_types)] : current.event_types,
        body.description ?? current.description,
        body.enabled ?? current.enabled,
      ],
    );
    return c.json(
      { success: true as const, data: webhookView(await load(p.orgId, p.webhookId)) } as never,
      200,
    );
  });

  app.openapi(remove, async (c) => {
    const p = c.req.valid('param');
    await requireOrganization(database.db, principalOf(c), p.orgId, 'admin');
    await load(p.orgId, p.webhookId);
    await database.query('delete from event_webhooks where id = $1 and organization_id = $2', [
      p.webhookId,
      p.orgId,
    ]);
    return c.json({ success: true as const, message: 'Event webhook deleted' }, 200);
  });

  app.openapi(deliveries, async (c) => {
    const p = c.req.valid('param');
    const q = c.req.valid('query');
    await requireOrganization(database.db, principalOf(c), p.orgId, 'admin');
    await load(p.orgId, p.webhookId);
    const rows = await database.query<DeliveryRow>(
      `select d.id, d.event_id, e.type as event_type, d.status, d.attempts, d.last_status_code, d.last_error,
              d.next_attempt_at, d.delivered_at, d.created_at
       from event_webhook_deliveries d join agent_events e on e.id = d.event_id
       where d.webhook_id = $1 and ($2::text is null or d.status = $2)
       order by d.id desc limit $3`,
      [p.webhookId, q.status ?? null, q.limit],
    );
    return c.json({ success: true as const, data: rows.map(deliveryView) } as never, 200);
  });
}
