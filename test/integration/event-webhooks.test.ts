import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishEvent, publishEvents } from '../../src/events/publish.ts';
import { sealWebhookSecret } from '../../src/events/webhook-store.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { addMember, createWorkspace, registerUser, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';

const MAX_ATTEMPTS = 3;
const METRICS_TOKEN = 'event-webhooks-metrics-0123';
let app: TestApp;
let receiver: WebhookReceiver;
let ws: Workspace;

const hooks = (w: Workspace = ws) => `/api/v1/organizations/${w.orgId}/event-webhooks`;

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  app = await startTestApp(
    {
      EVENT_WEBHOOK_RETRY_BASE_MS: '200',
      EVENT_WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      METRICS_TOKEN: METRICS_TOKEN,
    },
    undefined,
    // The engine's processes send event webhooks.
    { engine: { responder: async () => ({ text: 'unused' }) } },
  );
  ws = await createWorkspace(app, 'hooks');
});
afterAll(async () => {
  await app?.close();
  await receiver?.close();
});

const subscribe = async (body: Record<string, unknown>, w: Workspace = ws) => {
  const res = await app.call('POST', hooks(w), { token: w.owner.token, body });
  expect(res.status, res.text).toBe(201);
  return res.body.data as { _id: string; secret: string };
};
const publish = (w: Workspace, type: 'message.received' | 'conversation.closed', conversationId: string) =>
  app.database.transaction((query) =>
    publishEvent(query, {
      agentId: w.agentId,
      type,
      conversationId,
      messageId: 'msg_x',
      data: { channel: 'loopback' },
    }),
  );
const webhook = async (id: string, w: Workspace = ws) => {
  const res = await app.call('GET', `${hooks(w)}/${id}`, { token: w.owner.token });
  expect(res.status, res.text).toBe(200);
  return res.body.data;
};

describe('event webhook subscriptions', () => {
  it('are managed by organization admins; the secret is shown once; bad input names the field', async () => {
    const member = await registerUser(app, 'member');
    await addMember(app, ws.owner, ws.orgId, member, 'member');
    const outsider = await registerUser(app, 'outsider');
    const body = { url: `${receiver.url}?crud`, event_types: ['conversation.closed'] };
    expect((await app.call('POST', hooks(), { token: member.token, body })).status).toBe(403);
    expect((await app.call('GET', hooks(), { token: member.token })).status).toBe(403);
    expect((await app.call('POST', hooks(), { token: outsider.token, body })).status).toBe(404);

    const created = await subscribe({ ...body, description: 'crm' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = await app.call('GET', hooks(), { token: ws.owner.token });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((w: { _id: string }) => w._id)).toContain(created._id);
    expect(listed.text).not.toContain(created.secret);
    const one = await webhook(created._id);
    expect(one).toMatchObject({
      url: body.url,
      event_types: ['conversation.closed'],
      enabled: true,
      description: 'crm',
    });
    expect(JSON.stringify(one)).not.toContain(created.secret);
    const stored = await app.database.query<{ secret: string }>(
      'select secret from event_webhooks where id = $1',
      [created._id],
    );
    expect(stored[0]?.secret).not.toContain(created.secret);

    const badType = await app.call('POST', hooks(), {
      token: ws.owner.token,
      body: { ...body, event_types: ['nope'] },
    });
    expect(badType.status).toBe(400);
    expect(badType.body.error).toContain('event_types');
    const badUrl = await app.call('POST', hooks(), {
      token: ws.owner.token,
      body: { ...body, url: 'ftp://x.test/' },
    });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error).toContain('url');
    const foreign = await createWorkspace(app, 'foreign');
    const foreignAgent = await app.call('POST', hooks(), {
      token: ws.owner.token,
      body: { ...body, agent_id: foreign.agentId },
    });
    expect(foreignAgent.status).toBe(400);
    expect(foreignAgent.body.error).toContain('agent_id');
    expect(
      (await app.call('GET', `${hooks(foreign)}/${created._id}`, { token: foreign.owner.token })).status,
    ).toBe(404);

    const patched = await app.call('PATCH', `${hooks()}/${created._id}`, {
      token: ws.owner.token,
      body: { enabled: false, event_types: ['message.received', 'conversation.closed'] },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.data).toMatchObject({
      enabled: false,
      event_types: ['message.received', 'conversation.closed'],
    });
    const removed = await app.call('DELETE', `${hooks()}/${created._id}`, { token: ws.owner.token });
    expect(removed.status).toBe(200);
    expect((await app.call('GET', `${hooks()}/${created._id}`, { token: ws.owner.token })).status).toBe(404);
  });

  it('delivers a signed event, retries after a 500 with the status visible meanwhile, then records success', async () => {
    const w = await createWorkspace(app, 'signed');
    const created = await subscribe({ url: `${receiver.url}?signed`, event_types: ['message.received'] }, w);
    const before = receiver.received.length;
    receiver.answerNext(500, 'hold');
    await publish(w, 'message.received', 'conv_signed');
    // The retry is in flight (held by the receiver): the failure is visible now.
    await eventually(() => (receiver.received.length >= before + 2 ? true : undefined));
    const during = await webhook(created._id, w);
    expect(during.status).toMatchObject({
      last_status: 'failed',
      last_status_code: 500,
      last_error: 'HTTP 500',
      failure_count: 1,
      pending_deliveries: 1,
    });
    receiver.release();
    const after = await eventually(async () => {
      const data = await webhook(created._id, w);
      return data.status.last_status === 'delivered' ? data : undefined;
    });
    expect(after.status).toMatchObject({ last_status_code: 200, failure_count: 0, pending_deliveries: 0 });
    expect(after.status.last_success_at).toEqual(expect.any(String));

    const [first, second] = receiver.received.slice(before);
    for (const got of [first!, second!]) {
      expect(WebhookReceiver.verify(got, created.secret)).toBe(true);
      expect(WebhookReceiver.verify(got, `${created.secret}x`)).toBe(false);
      expect(got.headers['x-switchboard-event']).toBe('message.received');
      expect(got.headers['content-type']).toBe('application/json');
    }
    const event = JSON.parse(second!.body);
    expect(event).toMatchObject({
      type: 'message.received',
      agent_id: w.agentId,
      conversation_id: 'conv_signed',
      message_id: 'msg_x',
      data: { channel: 'loopback' },
    });
    expect(second!.headers['x-switchboard-event-id']).toBe(event.id);
    // The same delivery both times (a subscriber dedupes on it).
    expect(first!.headers['x-switchboard-delivery']).toBe(second!.headers['x-switchboard-delivery']);
    expect(Math.abs(Number(second!.headers['x-switchboard-timestamp']) - Date.now() / 1000)).toBeLessThan(
      600,
    );

    const deliveries = await app.call('GET', `${hooks(w)}/${created._id}/deliveries`, {
      token: w.owner.token,
    });
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.data).toEqual([
      expect.objectContaining({
        event_id: event.id,
        event_type: 'message.received',
        status: 'delivered',
        attempts: 2,
        last_status_code: 200,
        last_error: null,
      }),
    ]);
  });

  it('gives up after the bounded attempts, and only subscribed, enabled types of the chosen agent are queued', async () => {
    const w = await createWorkspace(app, 'bounded');
    const failing = await subscribe(
      { url: `${receiver.url}?bounded`, event_types: ['conversation.closed'], agent_id: w.agentId },
      w,
    );
    const disabled = await subscribe(
      { url: `${receiver.url}?disabled`, event_types: ['conversation.closed'], enabled: false },
      w,
    );
    const otherType = await subscribe({ url: `${receiver.url}?other`, event_types: ['message.received'] }, w);
    const before = receiver.received.length;
    receiver.answerNext(...Array.from({ length: MAX_ATTEMPTS }, () => 503));
    await publish(w, 'conversation.closed', 'conv_bounded');
    const failed = await eventually(async () => {
      const data = await webhook(failing._id, w);
      return data.status.failed_deliveries === 1 ? data : undefined;
    });
    expect(failed.status).toMatchObject({
      failure_count: MAX_ATTEMPTS,
      last_status_code: 503,
      pending_deliveries: 0,
    });
    const mine = receiver.received.slice(before).filter((r) => r.body.includes('conv_bounded'));
    expect(mine).toHaveLength(MAX_ATTEMPTS);
    const list = await app.call('GET', `${hooks(w)}/${failing._id}/deliveries?status=failed`, {
      token: w.owner.token,
    });
    expect(list.body.data).toEqual([expect.objectContaining({ status: 'failed', attempts: MAX_ATTEMPTS })]);
    const queued = await app.database.query<{ webhook_id: string }>(
      'select webhook_id from event_webhook_deliveries where webhook_id = any($1)',
      [[disabled._id, otherType._id]],
    );
    expect(queued).toEqual([]);
  });

  it('counts attempts by outcome in /metrics', async () => {
    const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await res.text();
    for (const outcome of ['delivered', 'retry', 'failed']) {
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`switchboard_event_webhook_deliveries_total{outcome="${outcome}"}`));
      expect(Number(line?.split(' ').at(-1)), outcome).toBeGreaterThan(0);
    }
  });

  it('deletes deliveries with their events when events are pruned', async () => {
    const w = await createWorkspace(app, 'cascade');
    const created = await subscribe(
      { url: `${receiver.url}?cascade`, event_types: ['conversation.closed'] },
      w,
    );
    await publish(w, 'conversation.closed', 'conv_cascade');
    await eventually(async () => ((await webhook(created._id, w)).status.last_status ? true : undefined));
    await app.database.query(`delete from agent_events where agent_id = $1`, [w.agentId]);
    const left = await app.database.query('select 1 from event_webhook_deliveries where webhook_id = $1', [
      created._id,
    ]);
    expect(left).toEqual([]);
  });
});

describe('event webhook targets without OUTBOUND_ALLOW_PRIVATE', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp(
      { OUTBOUND_ALLOW_PRIVATE: 'false', EVENT_WEBHOOK_RETRY_BASE_MS: '200' },
      undefined,
      {
        engine: { responder: async () => ({ text: 'unused' }) },
      },
    );
  });
  afterAll(() => strict?.close());

  it('refuses a private URL at subscription and never sends to one stored earlier', async () => {
    const w = await createWorkspace(strict, 'strict');
    const refused = await strict.call('POST', `/api/v1/organizations/${w.orgId}/event-webhooks`, {
      token: w.owner.token,
      body: { url: receiver.url, event_types: ['conversation.closed'] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/^url: .*private or reserved/);
    // A subscription that got in while private targets were allowed: the send itself is refused, not retried.
    await strict.database.query(
      `insert into event_webhooks (id, organization_id, url, event_types, secret) values ($1, $2, $3, $4, $5)`,
      [
        'whk_private',
        w.orgId,
        `${receiver.url}?private`,
        ['conversation.closed'],
        sealWebhookSecret(strict.vault, 'whk_private', 'whsec_x'),
      ],
    );
    await strict.database.transaction((query) =>
      publishEvent(query, {
        agentId: w.agentId,
        type: 'conversation.closed',
        conversationId: 'conv_private',
      }),
    );
    const [row] = await eventually(async () => {
      const rows = await strict.database.query<{ status: string; attempts: number; last_error: string }>(
        `select status, attempts, last_error from event_webhook_deliveries where webhook_id = 'whk_private'`,
      );
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    expect(row).toMatchObject({ attempts: 1, last_error: expect.stringContaining('private or reserved') });
    expect(receiver.received.some((r) => r.body.includes('conv_private'))).toBe(false);
  });
});

/** A receiver that reads each request and never answers: a subscriber whose endpoint hangs. */
async function silentReceiver() {
  const open = new Set<IncomingMessage>();
  let received = 0;
  const server = createServer((req) => {
    received++;
    open.add(req);
    req.resume();
    req.socket.on('close', () => open.delete(req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hangs`,
    received: () => received,
    open: () => open.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('event webhooks of one organization whose receiver hangs', () => {
  let slowApp: TestApp;
  let silent: Awaited<ReturnType<typeof silentReceiver>>;
  beforeAll(async () => {
    silent = await silentReceiver();
    // The hanging requests stay open for the whole test: only the timeout would end them.
    slowApp = await startTestApp({ EVENT_WEBHOOK_TIMEOUT_MS: '60000' }, undefined, {
      engine: { responder: async () => ({ text: 'unused' }) },
    });
  });
  afterAll(async () => {
    await silent?.close();
    await slowApp?.close();
  });

  it('do not hold up the deliveries of another organization', async () => {
    const slow = await createWorkspace(slowApp, 'hangs');
    const other = await createWorkspace(slowApp, 'neighbour');
    for (const [w, url] of [
      [slow, silent.url],
      [other, `${receiver.url}?neighbour`],
    ] as const) {
      const res = await slowApp.call('POST', `/api/v1/organizations/${w.orgId}/event-webhooks`, {
        token: w.owner.token,
        body: { url, event_types: ['message.received'] },
      });
      expect(res.status, res.text).toBe(201);
    }
    // More deliveries to the hanging receiver than one batch of the sender.
    await slowApp.database.transaction((query) =>
      publishEvents(
        query,
        Array.from({ length: 25 }, (_, i) => ({
          agentId: slow.agentId,
          type: 'message.received' as const,
          conversationId: `conv_hang_${i}`,
        })),
      ),
    );
    await eventually(() => (silent.received() > 0 ? true : undefined));
    await slowApp.database.transaction((query) =>
      publishEvent(query, {
        agentId: other.agentId,
        type: 'message.received',
        conversationId: 'conv_neighbour',
      }),
    );
    await eventually(() =>
      receiver.received.some((r) => r.body.includes('conv_neighbour')) ? true : undefined,
    );
    // Delivered while the hanging receiver still holds every request it got: nothing waited for them to end.
    expect(silent.open()).toBe(silent.received());
    expect(silent.open()).toBeGreaterThan(0);
    // One subscription holds a few of the sender's slots, not all of them.
    expect(silent.received()).toBeLessThanOrEqual(4);
  });
});
