import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  createAgent,
  createOrg,
  createProject,
  registerUser,
  createWorkspace,
  type TestUser,
} from '../helpers/fixtures.ts';
import { randomSecret } from '../helpers/secrets.ts';
import { postSse } from '../helpers/sse.ts';

let app: TestApp;
let owner: TestUser;
let orgId: string;
let projectId: string;
let agentId: string;
let otherAgentId: string;
const SITE = 'https://shop.example.com';
const widgetSecret = randomSecret('widget-secret-');
const widget = (path: string, agent = agentId) => `/api/v1/widget/${agent}${path}`;

async function session(body: Record<string, unknown> = {}, origin = SITE, agent = agentId) {
  return app.call('POST', widget('/session', agent), { body, headers: { origin } });
}

async function visitorToken(): Promise<string> {
  const res = await session();
  expect(res.status, res.text).toBe(200);
  return res.body.data.token;
}

beforeAll(async () => {
  app = await startTestApp();
  ({ owner, orgId, projectId, agentId } = await createWorkspace(app, 'owner'));
  otherAgentId = await createAgent(app, owner.token, orgId, projectId);
  const res = await app.call(
    'PUT',
    `/api/v1/channels/organizations/${orgId}/projects/${projectId}/agents/${agentId}/channels`,
    {
      token: owner.token,
      body: {
        website: {
          enabled: true,
          theme: { primary_color: '#112233', position: 'bottom-left', greeting_message: 'Hi, shopper!' },
          allowed_origins: [SITE],
          widget_secret: widgetSecret,
        },
      },
    },
  );
  expect(res.status, res.text).toBe(200);
});

afterAll(async () => {
  await app?.close();
});

describe('public widget API', () => {
  it('serves the theme and greeting with CORS for an allowed origin, 403 for others', async () => {
    const res = await app.call('GET', widget('/settings'), { headers: { origin: SITE } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.theme).toEqual({
      primary_color: '#112233',
      position: 'bottom-left',
      greeting_message: 'Hi, shopper!',
    });
    expect(res.headers.get('access-control-allow-origin')).toBe(SITE);
    const preflight = await fetch(`${app.url}${widget('/messages')}`, {
      method: 'OPTIONS',
      headers: { origin: SITE, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);

    const evil = await session({}, 'https://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.body.error).toMatch(/Origin not allowed/);
    const none = await app.call('POST', widget('/session'), { body: {} });
    expect(none.status).toBe(403);
    const unknown = await app.call('GET', widget('/settings', 'agent_01jd2x3y4z5a6b7c8d9e0f1g2h'));
    expect(unknown.status).toBe(404);
  });

  it('answers errors with CORS headers, so the widget on an allowed page can read them', async () => {
    const token = await visitorToken();
    const headers = { authorization: `Bearer ${token}`, origin: SITE };
    const post = (body: string, extra: Record<string, string> = {}) =>
      fetch(`${app.url}${widget('/messages')}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', ...extra },
        body,
      });
    const cases = {
      invalid: await post(JSON.stringify({ message: '' })),
      malformed: await post('{"message":'),
      tooLarge: await post(JSON.stringify({ message: 'x'.repeat(2_000_000) })),
      unauthorized: await post(JSON.stringify({ message: 'hi' }), { authorization: 'Bearer nope' }),
    };
    expect(Object.fromEntries(Object.entries(cases).map(([name, res]) => [name, res.status]))).toEqual({
      invalid: 400,
      malformed: 400,
      tooLarge: 413,
      unauthorized: 401,
    });
    for (const [name, res] of Object.entries(cases)) {
      expect(res.headers.get('access-control-allow-origin'), name).toBe(SITE);
      expect(((await res.json()) as { success: boolean }).success, name).toBe(false);
    }
  });

  it('session → message → streamed reply → history, with the dev provider', async () => {
    const token = await visitorToken();
    const auth = { authorization: `Bearer ${token}`, origin: SITE };
    const sent = await app.call('POST', widget('/messages'), {
      body: { message: 'first question' },
      headers: auth,
    });
    expect(sent.status, sent.text).toBe(200);
    expect(sent.body.response).toMatch(/first question/);
    expect(sent.body.response).toMatch(/no LLM is configured/i);

    const streamed = await postSse(
      `${app.url}${widget('/messages/stream')}`,
      { message: 'second question' },
      auth,
    );
    expect(streamed.status).toBe(200);
    const chunks = streamed.events.filter((e) => e.event === 'response_chunk');
    expect(chunks.length).toBeGreaterThan(1);
    const complete = streamed.events.at(-1);
    expect(complete?.event).toBe('complete');
    expect(complete?.data.conversation_id).toBe(sent.body.conversation_id);

    const history = await app.call('GET', widget('/messages'), { headers: auth });
    expect(history.status).toBe(200);
    expect(history.body.data.conversation_id).toBe(sent.body.conversation_id);
    expect(history.body.data.messages.map((m: { role: string }) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    expect(history.body.data.messages[2].content).toBe('second question');
  });

  it('a visitor only ever sees their own conversation; tokens are bound to their agent', async () => {
    const alice = await visitorToken();
    const bob = await visitorToken();
    const say = (token: string, message: string) =>
      app.call('POST', widget('/messages'), {
        body: { message },
        headers: { authorization: `Bearer ${token}`, origin: SITE },
      });
    const a = await say(alice, 'alice secret plan');
    const b = await say(bob, 'bob question');
    expect(a.body.conversation_id).not.toBe(b.body.conversation_id);
    const bobHistory = await app.call('GET', widget('/messages'), {
      headers: { authorization: `Bearer ${bob}`, origin: SITE },
    });
    expect(bobHistory.body.data.conversation_id).toBe(b.body.conversation_id);
    expect(bobHistory.text).not.toContain('alice secret plan');
    // Alice's token for another agent's widget: refused.
    const crossAgent = await app.call('GET', widget('/messages', otherAgentId), {
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(crossAgent.status).toBe(401);
    const forged = await app.call('GET', widget('/messages'), {
      headers: { authorization: `Bearer ${alice.slice(0, -4)}AAAA`, origin: SITE },
    });
    expect(forged.status).toBe(401);
    const missing = await app.call('GET', widget('/messages'), { headers: { origin: SITE } });
    expect(missing.status).toBe(401);
  });

  it('verifies user_hash in constant time: a forged hash is 401, a correct one verifies the contact', async () => {
    const email = 'verified@example.com';
    const forged = await session({ user_identifier: email, user_hash: 'ab'.repeat(32) });
    expect(forged.status).toBe(401);
    const half = await session({ user_identifier: email });
    expect(half.status).toBe(400);
    const hash = createHmac('sha256', widgetSecret).update(email).digest('hex');
    const ok = await session({ user_identifier: email, user_hash: hash });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.data.verified).toBe(true);
    const sent = await app.call('POST', widget('/messages'), {
      body: { message: 'hello as verified' },
      headers: { authorization: `Bearer ${ok.body.data.token}`, origin: SITE },
    });
    expect(sent.status, sent.text).toBe(200);
    const [contact] = await app.database.query<{ email: string; email_verified_at: Date | null }>(
      `select k.email, k.email_verified_at from conversations c join contacts k on k.id = c.contact_id where c.id = $1`,
      [sent.body.conversation_id],
    );
    expect(contact?.email).toBe(email);
    expect(contact?.email_verified_at).not.toBeNull();
  });

  it('refreshes a token for the same visitor, and rejects over-long messages with 400', async () => {
    const first = await session();
    const refreshed = await session({ visitor_token: first.body.data.token });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body.data.visitor_id).toBe(first.body.data.visitor_id);
    const bad = await session({ visitor_token: 'not-a-token' });
    expect(bad.status).toBe(401);
    const long = await app.call('POST', widget('/messages'), {
      body: { message: 'y'.repeat(4001) },
      headers: { authorization: `Bearer ${first.body.data.token}`, origin: SITE },
    });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatch(/message/);
  });

  it('limits messages per visitor with 429 and Retry-After', async () => {
    const limited = await startTestApp({ WIDGET_VISITOR_RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const user = await registerUser(limited, 'limited');
      const org = await createOrg(limited, user);
      const project = await createProject(limited, user.token, org);
      const agent = await createAgent(limited, user.token, org, project);
      const start = await limited.call('POST', `/api/v1/widget/${agent}/session`, { body: {} });
      const headers = { authorization: `Bearer ${start.body.data.token}` };
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i++) {
        const res = await limited.call('POST', `/api/v1/widget/${agent}/messages`, {
          body: { message: `m${i}` },
          headers,
        });
        statuses.push(res.status);
        retryAfter ??= res.headers.get('retry-after');
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it('spends the per-IP budget before looking the agent up, so unknown ids cannot buy database reads', async () => {
    const limited = await startTestApp({ WIDGET_IP_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await limited.call('GET', `/api/v1/widget/agent_${'0'.repeat(25)}${i}/settings`);
        statuses.push(res.status);
      }
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
