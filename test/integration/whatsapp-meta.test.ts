import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type FakeGraph, startFakeGraph } from '../helpers/fake-graph.ts';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.ts';
import { createWorkspace, type TestUser, useFakeLlm } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { secret } from '../helpers/secrets.ts';

/**
 * WhatsApp over Meta's Cloud API end to end: the real app, engine and database, the fake Graph API on
 * 127.0.0.1 both ways (signed webhooks in, sends out), and the real agent service answering through a fake LLM.
 */

const ACCESS_TOKEN = secret(`EAAG${randomBytes(24).toString('hex')}`);
const APP_SECRET = secret(`appsecret_${randomBytes(16).toString('hex')}`);
const VERIFY_TOKEN = secret(`verify_${randomBytes(12).toString('hex')}`);
const PHONE_NUMBER_ID = '106540352242922';

let app: TestApp;
let fake: FakeGraph;
let llm: FakeLlm;
let owner: TestUser;
let orgId: string;
let projectId: string;
let agentId: string;
let nextUser = 491511000000;

const channelsPath = () =>
  `/api/v1/channels/organizations/${orgId}/projects/${projectId}/agents/${agentId}/channels`;
const hookUrl = () => `${app.url}/api/v1/channels/webhooks/whatsapp/${agentId}`;
const newUser = () => String(++nextUser);
const sentTo = (to: string) => fake.sent.filter((m) => m.to === to);

async function rowsOf(identifier: string) {
  return app.database.query<{
    role: string;
    content: string;
    status: string;
    direction: string;
    attachments: any[];
    provider_message_id: string | null;
    error_code: string | null;
  }>(
    `select m.role, m.content, m.status, m.direction, m.attachments, m.provider_message_id, m.error_code
     from messages m join conversations c on c.id = m.conversation_id
     where c.agent_id = $1 and c.user_identifier = $2 order by m.seq`,
    [agentId, identifier],
  );
}

async function conversationOf(identifier: string) {
  const res = await app.call(
    'GET',
    `/api/v1/organizations/${orgId}/projects/${projectId}/agents/${agentId}/conversations?user_identifier=${identifier}`,
    { token: owner.token },
  );
  expect(res.status, res.text).toBe(200);
  return res.body.data[0] as { _id: string; channel_metadata: Record<string, unknown> } | undefined;
}

const inboundCount = async () =>
  (await app.database.query<{ n: number }>('select count(*)::int as n from inbound_events'))[0]?.n;

/** Emits one inbound message from `waId` and waits for the 2xx. */
async function say(waId: string, message: Record<string, unknown>, name = 'Lena Park') {
  const value = fake.messageValue(message, { waId, name });
  expect(await fake.emitChanges([{ value }])).toBe(200);
  return (value.messages as { id: string }[])[0]?.id as string;
}

beforeAll(async () => {
  fake = await startFakeGraph({
    accessToken: ACCESS_TOKEN,
    appSecret: APP_SECRET,
    phoneNumberId: PHONE_NUMBER_ID,
    displayPhoneNumber: '15550783881',
  });
  llm = await startFakeLlm();
  app = await startTestApp(
    {
      PUBLIC_URL: 'https://switchboard.example.com',
      META_GRAPH_API_ROOT: fake.url,
      TURN_DEBOUNCE_MS: 'whatsapp=0',
      DELIVERY_MAX_ATTEMPTS: '5',
      CHANNEL_CONFIG_WRITES_PER_MINUTE: '1000',
      CHANNEL_TESTS_PER_MINUTE: '1000',
    },
    undefined,
    { engine: {} },
  );
  ({ owner, orgId, projectId, agentId } = await createWorkspace(app, 'wa-meta'));
  await useFakeLlm(app, { owner, orgId, projectId, agentId }, llm.url);
  llm.respondWith((request) => {
    const last = request.body.messages.at(-1)?.content;
    return { reply: `You said: ${typeof last === 'string' ? last : 'something'}` };
  });
  fake.webhook.url = hookUrl();
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
  await llm?.close();
});

describe('Meta Cloud API end to end', () => {
  it('configures, answers the handshake, replies to a signed message, tracks statuses, shows analytics and metadata', async () => {
    const put = await app.call('PUT', channelsPath(), {
      token: owner.token,
      body: {
        whatsapp: {
          enabled: true,
          provider: 'meta',
          phone_number: '+15550783881',
          verify_token: VERIFY_TOKEN,
          credentials: {
            phone_number_id: PHONE_NUMBER_ID,
            access_token: ACCESS_TOKEN,
            app_secret: APP_SECRET,
          },
        },
      },
    });
    expect(put.status, put.text).toBe(200);

    const handshake = await fetch(
      `${hookUrl()}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${VERIFY_TOKEN}`,
    );
    expect(handshake.status).toBe(200);
    expect(await handshake.text()).toBe('1158201444');
    const wrong = await fetch(`${hookUrl()}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope`);
    expect(wrong.status).toBe(403);

    const test = await app.call('POST', `${channelsPath()}/whatsapp/test`, { token: owner.token });
    expect(test.status, test.text).toBe(200);
    expect(test.body.details).toMatchObject({
      token_valid: true,
      display_phone_number: '15550783881',
      verified_name: 'Switchboard Test',
      quality_rating: 'GREEN',
    });

    llm.reply('Your parcel **ships today** — track it at https://example.com/t/1');
    const waId = newUser();
    const inboundId = await say(waId, { type: 'text', text: { body: 'Is my parcel shipped?' } });
    const sent = await eventually(() => sentTo(waId)[0]);
    expect(sent.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: waId,
      type: 'text',
      text: { body: 'Your parcel *ships today* — track it at https://example.com/t/1', preview_url: false },
    });
    // The turn marked the message read and showed "typing…" in one call, before the reply.
    const read = fake.reads.find((r) => r.messageId === inboundId);
    expect(read?.typing).toBe(true);
    expect(read && read.at <= sent.at).toBe(true);

    const rows = await eventually(async () => {
      const all = await rowsOf(`whatsapp:${waId}`);
      return all[1]?.status === 'sent' ? all : undefined;
    });
    expect(rows[1]?.provider_message_id).toBe(sent.id);
    for (const status of ['sent', 'delivered', 'read'] as const) {
      expect(await fake.emitChanges([{ value: fake.statusValue(sent.id, status, waId) }])).toBe(200);
    }
    await eventually(async () =>
      (await rowsOf(`whatsapp:${waId}`))[1]?.status === 'read' ? true : undefined,
    );

    await eventually(async () => {
      const channels = await app.call('GET', channelsPath(), { token: owner.token });
      return channels.body.data.analytics.total_messages_by_channel.whatsapp >= 2 ? true : undefined;
    });
    const conversation = await conversationOf(`whatsapp:${waId}`);
    expect(conversation?.channel_metadata).toMatchObject({
      platform_user_id: `whatsapp:${waId}`,
      chat_id: waId,
      wa_id: waId,
      phone_number: `+${waId}`,
      profile_name: 'Lena Park',
    });
    const info = await app.call('GET', `${channelsPath()}/whatsapp/webhook/info`, { token: owner.token });
    expect(info.body.webhook_info).toMatchObject({
      url: `https://switchboard.example.com/api/v1/channels/webhooks/whatsapp/${agentId}`,
      app_level_url: 'https://switchboard.example.com/api/v1/channels/webhooks/whatsapp',
    });
  });

  it('answers 401 to forged, missing and other-app signatures and stores nothing', async () => {
    const before = await inboundCount();
    const waId = newUser();
    const raw = Buffer.from(
      JSON.stringify(
        fake.envelope([{ value: fake.messageValue({ type: 'text', text: { body: 'hi' } }, { waId }) }]),
      ),
    );
    fake.deliveryAttempts = 1;
    try {
      expect(await fake.emitRaw(raw, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` })).toBe(401);
      fake.appSecret = 'another_apps_secret_123';
      expect(await fake.emitRaw(raw)).toBe(401);
      fake.appSecret = APP_SECRET;
      const unsigned = await fetch(hookUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: raw,
      });
      expect(unsigned.status).toBe(401);
    } finally {
      fake.appSecret = APP_SECRET;
      fake.deliveryAttempts = 5;
    }
    expect(await inboundCount()).toBe(before);
    expect(await conversationOf(`whatsapp:${waId}`)).toBeUndefined();
  });

  it('records a redelivered body once and replies once', async () => {
    const waId = newUser();
    const raw = Buffer.from(
      JSON.stringify(
        fake.envelope([
          { value: fake.messageValue({ type: 'text', text: { body: 'once please' } }, { waId }) },
        ]),
      ),
    );
    expect(await fake.emitRaw(raw)).toBe(200);
    expect(await fake.emitRaw(raw)).toBe(200);
    await eventually(() => sentTo(waId)[0]);
    // Give a second (wrong) reply every chance to show up before asserting it did not.
    await new Promise((r) => setTimeout(r, 600));
    expect(sentTo(waId)).toHaveLength(1);
    expect((await rowsOf(`whatsapp:${waId}`)).map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('answers a username-only user (no phone) through `recipient`', async () => {
    const userId = `US.${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const value = fake.messageValue(
      { type: 'text', text: { body: 'hello from a username' } },
      { userId, username: 'kim.dev', name: 'Kim' },
    );
    expect(await fake.emitChanges([{ value }])).toBe(200);
    const sent = await eventually(() => sentTo(userId)[0]);
    expect(sent.body.recipient).toBe(userId);
    expect(sent.body.to).toBeUndefined();
    const conversation = await conversationOf(`whatsapp:${userId}`);
    expect(conversation?.channel_metadata).toMatchObject({
      platform_user_id: `whatsapp:${userId}`,
      user_id: userId,
    });
    expect(conversation?.channel_metadata.phone_number).toBeUndefined();
  });

  it('keeps the conversation when the user changes number', async () => {
    const oldNumber = newUser();
    const newNumber = newUser();
    await say(oldNumber, { type: 'text', text: { body: 'before the change' } });
    await eventually(() => sentTo(oldNumber)[0]);
    const before = await conversationOf(`whatsapp:${oldNumber}`);
    const system = {
      messages: [
        {
          from: oldNumber,
          id: `wamid.SYS${Date.now()}`,
          timestamp: String(Math.floor(Date.now() / 1000)),
          type: 'system',
          system: {
            body: `User changed from ${oldNumber} to ${newNumber}`,
            wa_id: newNumber,
            type: 'user_changed_number',
          },
        },
      ],
    };
    expect(await fake.emitChanges([{ value: system }])).toBe(200);
    await eventually(async () => {
      const rows = await app.database.query(
        `select 1 from contact_identities where agent_id = $1 and platform_user_id = $2`,
        [agentId, newNumber],
      );
      return rows.length > 0 ? true : undefined;
    });
    await say(newNumber, { type: 'text', text: { body: 'after the change' } });
    await eventually(() => sentTo(newNumber)[0]);
    const conversations = await app.database.query<{ id: string }>(
      `select distinct conversation_id as id from messages where agent_id = $1 and content in ('before the change', 'after the change')`,
      [agentId],
    );
    expect(conversations.map((c) => c.id)).toEqual([before?._id]);
  });
});

describe('identity over time', () => {
  it('keeps the conversation when a user known by number first arrives with a user id', async () => {
    const waId = newUser();
    const userId = `DE.${waId}0042`;
    await say(waId, { type: 'text', text: { body: 'number only' } });
    await eventually(() => sentTo(waId)[0]);
    const before = await conversationOf(`whatsapp:${waId}`);
    const value = fake.messageValue({ type: 'text', text: { body: 'now with a user id' } }, { waId, userId });
    expect(await fake.emitChanges([{ value }])).toBe(200);
    await eventually(() => sentTo(waId)[1]);
    const rows = await app.database.query<{ conversation_id: string }>(
      `select conversation_id from messages where agent_id = $1 and content in ('number only', 'now with a user id')`,
      [agentId],
    );
    expect(rows.map((r) => r.conversation_id)).toEqual([before?._id, before?._id]);
    const identities = await app.database.query<{ platform_user_id: string }>(
      `select platform_user_id from contact_identities where agent_id = $1 and platform_user_id in ($2, $3)`,
      [agentId, waId, userId],
    );
    expect(identities).toEqual([{ platform_user_id: userId }]);
  });
});

describe('provider errors on send', () => {
  it('marks a reply failed when Meta reports 131047 (window closed) in a failed status webhook', async () => {
    const waId = newUser();
    fake.closeWindow(waId);
    await say(waId, { type: 'text', text: { body: 'late reply please' } });
    const failed = await eventually(async () => {
      const all = await rowsOf(`whatsapp:${waId}`);
      return all[1]?.status === 'failed' ? all[1] : undefined;
    });
    // No re-engagement template configured: the engine's 24-hour rule turns 131047 into `outside_window`.
    expect(failed.error_code).toBe('outside_window');
    // Meta accepted the send (a wamid) and reported the failure afterwards, as a status on that wamid.
    expect(failed.provider_message_id).toBe(sentTo(waId)[0]?.id);
    fake.openWindow(waId);
  });

  it('reports an expired access token in the connection test', async () => {
    fake.refuseCredentialOnce();
    const test = await app.call('POST', `${channelsPath()}/whatsapp/test`, { token: owner.token });
    expect(test.status).toBe(400);
    expect(test.body).toEqual({
      success: false,
      error: 'Failed to connect to the WhatsApp Cloud API',
      details: 'Invalid or expired access token',
    });
  });

  it('retries 130429 after the backoff and fails 131026 at once', async () => {
    const throttled = newUser();
    fake.failNext({ status: 429, code: 130429, title: 'Rate limit hit' });
    await say(throttled, { type: 'text', text: { body: 'throttle me' } });
    const sent = await eventually(() => sentTo(throttled)[0], 20_000);
    const rows = await eventually(async () => {
      const all = await rowsOf(`whatsapp:${throttled}`);
      return all[1]?.status === 'sent' ? all : undefined;
    });
    expect(rows[1]?.provider_message_id).toBe(sent.id);
    const refusals = fake.calls.filter((c) => c.status === 429 && c.body?.to === throttled);
    expect(refusals).toHaveLength(1);
    expect(refusals[0] && sent.at - refusals[0].at).toBeGreaterThanOrEqual(900);

    const unreachable = newUser();
    fake.failNext({ status: 400, code: 131026, title: 'Message undeliverable' });
    await say(unreachable, { type: 'text', text: { body: 'not on whatsapp' } });
    const failed = await eventually(async () => {
      const all = await rowsOf(`whatsapp:${unreachable}`);
      return all[1]?.status === 'failed' ? all[1] : undefined;
    });
    expect(failed.error_code).toBe('undeliverable');
    expect(fake.calls.filter((c) => c.body?.to === unreachable && c.path.endsWith('/messages'))).toHaveLength(
      1,
    );
  });

  /** The reply row of `waId` once its first send attempt is recorded (queued for a retry, or failed). */
  async function attempted(waId: string) {
    return eventually(async () => {
      const [row] = await app.database.query<{
        status: string;
        error_code: string | null;
        error_message: string | null;
        attempts: number;
        next_attempt_at: Date | null;
      }>(
        `select m.status, m.error_code, m.error_message, m.attempts, m.next_attempt_at
         from messages m join conversations c on c.id = m.conversation_id
         where c.agent_id = $1 and c.user_identifier = $2 and m.direction = 'outbound' order by m.seq limit 1`,
        [agentId, `whatsapp:${waId}`],
      );
      return row && row.attempts > 0 ? row : undefined;
    });
  }
  const sendsTo = (waId: string) =>
    fake.calls.filter((c) => c.body?.to === waId && c.path.endsWith('/messages'));

  it('fails token, permission and template errors at once with a clear code, storing no credential or URL', async () => {
    const cases = [
      { failure: { status: 401, code: 190, title: 'Error validating access token' }, code: 'unauthorized' },
      { failure: { status: 403, code: 10, title: 'Permission denied' }, code: 'permission_denied' },
      { failure: { status: 400, code: 132015, title: 'Template is paused' }, code: 'template_error' },
      { failure: { status: 400, code: 131053, title: 'Media upload error' }, code: 'media_upload_failed' },
      {
        failure: {
          status: 400,
          code: 100,
          title: 'Invalid parameter',
          // A proxy or Meta echoing parts of the request: neither the token nor a signed link may be stored.
          details: `Param image['link'] https://files.example.com/a.png?sig=s3cr3t is invalid (token ${ACCESS_TOKEN})`,
        },
        code: 'invalid_parameter',
      },
    ];
    for (const { failure, code } of cases) {
      const waId = newUser();
      fake.failNext(failure);
      await say(waId, { type: 'text', text: { body: `fail with ${failure.code}` } });
      const row = await attempted(waId);
      expect(row, String(failure.code)).toMatchObject({ status: 'failed', error_code: code, attempts: 1 });
      expect(row.error_message).not.toContain(ACCESS_TOKEN);
      expect(row.error_message).not.toContain('s3cr3t');
      expect(sendsTo(waId)).toHaveLength(1);
    }
  });

  // Last: the retried send that succeeds here releases the account's other backoffs.
  it('schedules a retry for rate limits, transient errors and proxy pages, honouring Retry-After', async () => {
    // 613: the Graph API's call-rate limit, answered as a 400.
    const limited = newUser();
    fake.failNext({ status: 400, code: 613, title: 'Calls to this api have exceeded the rate limit.' });
    await say(limited, { type: 'text', text: { body: 'rate limit me' } });
    const rateLimited = await attempted(limited);
    expect(rateLimited).toMatchObject({ status: 'queued', error_code: 'rate_limited', attempts: 1 });
    expect(new Date(rateLimited.next_attempt_at!).getTime() - Date.now()).toBeGreaterThan(50_000);

    // 131016: Meta's "service unavailable".
    const unavailable = newUser();
    fake.failNext({ status: 500, code: 131016, title: 'Service unavailable' });
    await say(unavailable, { type: 'text', text: { body: 'try later' } });
    expect(await attempted(unavailable)).toMatchObject({
      status: 'queued',
      error_code: 'provider_unavailable',
      attempts: 1,
    });

    // A proxy's HTML 503 with Retry-After: retried no sooner than it asks, and no HTML in the stored error.
    const proxied = newUser();
    fake.failNext({
      status: 503,
      code: 0,
      title: '',
      retryAfter: '120',
      raw: {
        body: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>',
        contentType: 'text/html',
      },
    });
    await say(proxied, { type: 'text', text: { body: 'behind a proxy' } });
    const waiting = await attempted(proxied);
    expect(waiting).toMatchObject({ status: 'queued', error_code: 'http_503' });
    expect(waiting.error_message).not.toContain('<');
    expect(new Date(waiting.next_attempt_at!).getTime() - Date.now()).toBeGreaterThan(115_000);

    // An empty 502 without Retry-After: retried after the ordinary backoff, then sent.
    const empty = newUser();
    fake.failNext({ status: 502, code: 0, title: '', raw: { body: '', contentType: 'text/plain' } });
    await say(empty, { type: 'text', text: { body: 'empty gateway' } });
    const sent = await eventually(() => sentTo(empty)[0], 20_000);
    expect(sent.type).toBe('text');
    expect(sendsTo(empty)).toHaveLength(2);
  });
});
