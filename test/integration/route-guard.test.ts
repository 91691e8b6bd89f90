import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  addMember,
  createWorkspace,
  registerUser,
  type TestUser,
  type Workspace,
} from '../helpers/fixtures.ts';
import { VALID_BODIES as BODIES } from '../helpers/route-bodies.ts';

/**
 * A guard over every route the app registers, so a new route cannot skip authentication or the tenant
 * check: each one is either on the public list below, a caller-scoped route (token required), or an
 * organization route that answers 401 without a token, 404 to outsiders and 403 to a viewer's writes.
 */

/** Routes anyone may call; each guards itself (webhook signatures, visitor tokens, nothing secret). */
const PUBLIC = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /api/openapi.json',
  'GET /docs',
  'GET /docs/assets/init.js',
  'GET /docs/assets/:file',
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/console/login',
  'POST /api/v1/auth/console/logout',
  'GET /console',
  'GET /console/',
  'GET /console/assets/:file{console\\.[0-9a-f]{16}\\.(js|css)}',
  'POST /api/v1/channels/webhooks/:channel/:agentId',
  'POST /api/v1/channels/webhooks/:channel/:agentId/status',
  'GET /api/v1/channels/webhooks/:channel/:agentId',
  'POST /api/v1/channels/webhooks/whatsapp',
  'GET /api/v1/channels/webhooks/whatsapp',
  'POST /api/v1/channels/webhooks/email/:agentId',
  'POST /api/v1/channels/webhooks/email/:agentId/events',
  'GET /widget.js',
  'GET /widget/:file{[0-9a-f]+\\.js}',
  'GET /widget/demo',
  'GET /api/v1/widget/:agentId/settings',
  'POST /api/v1/widget/:agentId/session',
  'GET /api/v1/widget/:agentId/messages',
  'POST /api/v1/widget/:agentId/messages',
  'POST /api/v1/widget/:agentId/messages/stream',
]);

/** Routes outside the API that answer 401 without their own token (METRICS_TOKEN), like API routes do. */
const OWN_TOKEN = new Set(['GET /metrics']);

/** Reads a viewer may not make (README): organization tokens need admin, channel configuration member. */
const RESTRICTED_READS = new Set([
  'GET /api/v1/organizations/:orgId/api-tokens',
  'GET /api/v1/organizations/:orgId/invitations',
  'GET /api/v1/channels/organizations/:orgId/projects/:projectId/agents/:agentId/channels',
  'GET /api/v1/channels/organizations/:orgId/projects/:projectId/agents/:agentId/channels/enabled',
  'GET /api/v1/channels/organizations/:orgId/projects/:projectId/agents/:agentId/channels/telegram/webhook/info',
  'GET /api/v1/channels/organizations/:orgId/projects/:projectId/agents/:agentId/channels/whatsapp/webhook/info',
  'GET /api/v1/channels/organizations/:orgId/projects/:projectId/agents/:agentId/channels/email/webhook/info',
  'GET /api/v1/organizations/:orgId/event-webhooks',
  'GET /api/v1/organizations/:orgId/event-webhooks/:webhookId',
  'GET /api/v1/organizations/:orgId/event-webhooks/:webhookId/deliveries',
]);

/**
 * Reads a viewer may make whose fixture has nothing to return: past the role check they answer 404 with
 * this message (a chat message has no attachment), never 403.
 */
const VIEWER_READS_WITHOUT_DATA: Record<string, string> = {
  'GET /api/v1/organizations/:orgId/projects/:projectId/agents/:agentId/conversations/:conversationId/messages/:messageId/attachments/:index':
    'Attachment not found',
};

const BODY_LIMIT = 8192;

let app: TestApp;
let routes: string[] = [];
let victim: Workspace;
let outsider: Workspace;
let viewer: TestUser;
let ids: Record<string, string>;

beforeAll(async () => {
  let registered: { method: string; path: string }[] = [];
  const env = {
    BODY_LIMIT_BYTES: String(BODY_LIMIT),
    EMAIL_MAX_BYTES: String(BODY_LIMIT),
    METRICS_TOKEN: 'route-guard-metrics-token-0123',
    // The event stream (a viewer read) ends after a second, so reading it to its end returns.
    EVENTS_STREAM_MAX_MS: '1000',
  };
  app = await startTestApp(env, (hono) => {
    registered = hono.routes;
  });
  // Middleware shows up as ALL; the routes themselves carry a method.
  routes = [...new Set(registered.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];
  victim = await createWorkspace(app, 'victim');
  outsider = await createWorkspace(app, 'outsider');
  viewer = await registerUser(app, 'viewer');
  await addMember(app, victim.owner, victim.orgId, viewer, 'viewer');
  const base = `/api/v1/organizations/${victim.orgId}`;
  const key = await app.call('POST', `${base}/projects/${victim.projectId}/api-keys`, {
    token: victim.owner.token,
    body: { name: 'k', provider: 'openai', key: 'sk-victim-key' },
  });
  const token = await app.call('POST', `${base}/api-tokens`, {
    token: victim.owner.token,
    body: { name: 't', role: 'viewer' },
  });
  const chat = await app.call('POST', `${base}/projects/${victim.projectId}/agents/${victim.agentId}/chat`, {
    token: victim.owner.token,
    body: { message: 'hello' },
  });
  const invitation = await app.call('POST', `${base}/members`, {
    token: victim.owner.token,
    body: { email: 'pending@example.test', role: 'viewer' },
  });
  const webhook = await app.call('POST', `${base}/event-webhooks`, {
    token: victim.owner.token,
    body: { url: 'http://127.0.0.1:9/hook', event_types: ['message.received'] },
  });
  expect([key.status, token.status, chat.status, invitation.status, webhook.status], chat.text).toEqual([
    201, 201, 200, 201, 201,
  ]);
  ids = {
    orgId: victim.orgId,
    projectId: victim.projectId,
    agentId: victim.agentId,
    keyId: key.body.data._id,
    tokenId: token.body.data._id,
    conversationId: chat.body.conversation_id,
    messageId: (
      await app.database.query<{ id: string }>(`select id from messages where conversation_id = $1 limit 1`, [
        chat.body.conversation_id,
      ])
    )[0]?.id as string,
    contactId: (
      await app.database.query<{ contact_id: string }>(`select contact_id from conversations where id = $1`, [
        chat.body.conversation_id,
      ])
    )[0]?.contact_id as string,
    index: '0',
    userId: victim.owner.id,
    channel: 'telegram',
    invitationId: invitation.body.data._id,
    webhookId: webhook.body.data._id,
  };
});
afterAll(() => app?.close());

const fill = (path: string) =>
  path.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, (_, name: string) => {
    const value = ids[name];
    if (!value) throw new Error(`no test value for :${name} in ${path}`);
    return value;
  });
const orgRoutes = () => routes.filter((r) => r.includes(':orgId'));

describe('every registered route', () => {
  it('is public by intent, caller-scoped, or organization-scoped', () => {
    expect(routes.length).toBeGreaterThan(40);
    const unclassified = routes.filter(
      (r) => !PUBLIC.has(r) && !OWN_TOKEN.has(r) && !r.includes(':orgId') && !r.includes(' /api/v1/'),
    );
    expect(unclassified).toEqual([]);
  });

  it('answers 401 without a token unless it is public', async () => {
    for (const route of routes.filter((r) => !PUBLIC.has(r))) {
      const [method, path] = route.split(' ') as [string, string];
      const res = await app.call(method, fill(path), { body: BODIES[route] });
      expect(res.status, route).toBe(401);
    }
  });

  it("answers 404 to another organization's owner, whose request is otherwise valid", async () => {
    for (const route of orgRoutes()) {
      const [method, path] = route.split(' ') as [string, string];
      const bodyless = method === 'GET' || method === 'DELETE' || /\/(close|test|resume)$/.test(route);
      if (!bodyless && !(route in BODIES)) throw new Error(`add a valid body for ${route} to BODIES`);
      const res = await app.call(method, fill(path), { token: outsider.owner.token, body: BODIES[route] });
      expect(res.status, `${route}: ${res.text}`).toBe(404);
      expect(res.text, route).not.toContain('sk-victim-key');
    }
  });

  it("answers 403 to a viewer's writes and to restricted reads, 200 to other reads", async () => {
    const outcomes: Record<string, number | string> = {};
    for (const route of orgRoutes()) {
      const [method, path] = route.split(' ') as [string, string];
      const res = await app.call(method, fill(path), { token: viewer.token, body: BODIES[route] });
      outcomes[route] = route in VIEWER_READS_WITHOUT_DATA ? `${res.status} ${res.body?.error}` : res.status;
    }
    const expected = Object.fromEntries(
      orgRoutes().map((route) => [
        route,
        route in VIEWER_READS_WITHOUT_DATA
          ? `404 ${VIEWER_READS_WITHOUT_DATA[route]}`
          : route.startsWith('GET ') && !RESTRICTED_READS.has(route)
            ? 200
            : 403,
      ]),
    );
    expect(outcomes).toEqual(expected);
  });

  it('answers 413 to a body over BODY_LIMIT_BYTES on every route that takes one, public ones included', async () => {
    const oversize = JSON.stringify({ message: 'x'.repeat(BODY_LIMIT) });
    for (const route of routes.filter((r) => r.startsWith('POST ') || r.startsWith('PUT '))) {
      const [method, path] = route.split(' ') as [string, string];
      const res = await app.call(method, fill(path), {
        token: victim.owner.token,
        rawBody: oversize,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, route).toBe(413);
    }
  });

  it('left the victim organization untouched', async () => {
    const org = await app.call('GET', `/api/v1/organizations/${victim.orgId}`, { token: victim.owner.token });
    expect(org.body.data.name).not.toBe('hijacked');
    const agent = await app.call(
      'GET',
      `/api/v1/organizations/${victim.orgId}/projects/${victim.projectId}/agents/${victim.agentId}`,
      { token: victim.owner.token },
    );
    expect(agent.status).toBe(200);
    expect(agent.body.data.name).not.toBe('x');
  });
});
