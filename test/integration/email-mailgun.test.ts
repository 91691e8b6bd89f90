import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { channelsPath } from '../helpers/email.ts';
import { FakeMailgun } from '../helpers/fake-mailgun.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';

const API_KEY = 'key-integration-0123456789abcdef';
const SIGNING_KEY = 'signing-integration-0123456789abcdef';
const DOMAIN = 'mg.shop.example';
const CUSTOMER = 'ana.lima@customer.example';
let app: TestApp;
let fake: FakeMailgun;
let ws: Workspace;
let info: any;
const answered: string[] = [];

beforeAll(async () => {
  fake = await new FakeMailgun(API_KEY, DOMAIN, SIGNING_KEY).start();
  app = await startTestApp({ TURN_DEBOUNCE_MS: 'email=0', MAILGUN_API_ROOT: fake.url }, undefined, {
    engine: {
      responder: async (input) => {
        answered.push(...input.pending.map((m) => m.content));
        return { text: `Answer ${answered.length}.` };
      },
    },
    dnsResolver: fixtureResolver({}),
  });
  ws = await createWorkspace(app, 'mailgun');
  // The spec's configuration (Option 3), plus the webhook signing key.
  const put = await app.call('PUT', channelsPath(ws), {
    token: ws.owner.token,
    body: {
      email: {
        enabled: true,
        provider: 'mailgun',
        from_email: 'support@shop.example',
        from_name: 'Support Team',
        api_keys: { mailgun: API_KEY },
        mailgun_config: { domain: DOMAIN, webhook_signing_key: SIGNING_KEY },
      },
    },
  });
  expect(put.status, put.text).toBe(200);
  const res = await app.call('GET', `${channelsPath(ws)}/email/webhook/info`, { token: ws.owner.token });
  expect(res.status, res.text).toBe(200);
  info = res.body.webhook_info;
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

const count = async (table: string) =>
  Number((await app.database.query<{ n: string }>(`select count(*) as n from ${table}`))[0]?.n);
/** Inbound events whose provider id is like `pattern`. */
const eventsLike = async (pattern: string) =>
  Number(
    (
      await app.database.query<{ n: string }>(
        `select count(*) as n from inbound_events where provider_event_id like $1`,
        [pattern],
      )
    )[0]?.n,
  );
const outbound = () =>
  app.database.query<{
    id: string;
    status: string;
    provider_message_id: string;
    error_code: string | null;
    error_message: string | null;
  }>(
    `select id, status, provider_message_id, error_code, error_message from messages
     where direction = 'outbound' and agent_id = $1 order by created_at`,
    [ws.agentId],
  );

const forward = (messageId: string, extra: [string, string][] = []) => ({
  recipient: 'support@mg.shop.example',
  sender: CUSTOMER,
  from: `Ana Lima <${CUSTOMER}>`,
  subject: 'Order #42',
  'body-plain': 'Where is my order?',
  'stripped-text': 'Where is my order?',
  'message-headers': JSON.stringify([
    ['X-Mailgun-Spf', 'Pass'],
    ['X-Mailgun-Dkim-Check-Result', 'Fail'],
    ['From', `Ana Lima <${CUSTOMER}>`],
    ['To', 'support@mg.shop.example'],
    ['Subject', 'Order #42'],
    ['Message-Id', `<${messageId}>`],
    ...extra,
  ]),
});

describe('Mailgun end to end', () => {
  it('shows the route action, the events URL and what to paste where; no credentials needed in the route', () => {
    expect(info.provider).toBe('mailgun');
    expect(info.provider_setup.route.action).toBe(`forward("${info.url_without_credentials}")`);
    expect(info.provider_setup.webhooks.url).toBe(info.events_url);
    expect(JSON.stringify(info)).not.toContain(API_KEY);
    expect(JSON.stringify(info)).not.toContain(SIGNING_KEY);
  });

  it('answers 401 and stores nothing for a bad signature, a stale timestamp or a replayed token', async () => {
    const url = info.url_without_credentials as string;
    expect(
      (
        await fake.postRoute(url, forward('bad-1@customer.example'), {
          signature: fake.signature({ key: 'wrong-key-wrong-key' }),
        })
      ).status,
    ).toBe(401);
    const stale = fake.signature({ timestamp: String(Math.floor(Date.now() / 1000) - 20 * 60) });
    expect((await fake.postRoute(url, forward('bad-2@customer.example'), { signature: stale })).status).toBe(
      401,
    );
    expect(await count('raw_mails')).toBe(0);
    const once = fake.signature();
    expect(
      (await fake.postRoute(url, forward('ok-0@customer.example'), { signature: once, urlencoded: true }))
        .status,
    ).toBe(200);
    expect(
      (await fake.postRoute(url, forward('replay-0@customer.example'), { signature: once })).status,
    ).toBe(401);
    expect(await count('raw_mails')).toBe(1);
    await eventually(() => fake.sends[0], 30_000);
  });

  it('route forward → the agent replies through Mailgun with h: threading headers → delivered event', async () => {
    const before = fake.sends.length;
    const res = await fake.postRoute(
      info.url_without_credentials,
      forward('CAF=mg-1@mail.customer.example'),
      {
        files: [
          {
            name: 'attachment-1',
            value: Buffer.from('hello'),
            filename: 'note.txt',
            contentType: 'text/plain',
          },
        ],
      },
    );
    expect(res.status, res.text).toBe(200);
    const sent = await eventually(() => fake.sends[before], 30_000);
    expect(sent.fields['h:In-Reply-To']).toEqual(['<CAF=mg-1@mail.customer.example>']);
    expect(sent.fields.subject).toEqual(['Re: Order #42']);
    expect(sent.fields.to).toEqual([CUSTOMER]);
    const rows = await eventually(async () => {
      const all = await outbound();
      return all[before]?.status === 'sent' ? all : undefined;
    }, 30_000);
    const message = rows[before]!;
    expect(message.provider_message_id).toBe(sent.id.slice(1, -1));
    expect(sent.fields['v:switchboard_message_id']).toEqual([message.id]);
    const stored = await app.database.query<{ provider_verdict: any; verdict: any }>(
      `select provider_verdict, verdict from raw_mails where dedupe_key like '%mg-1%'`,
    );
    expect(stored[0]).toMatchObject({
      provider_verdict: { provider: 'mailgun', spf: 'pass', dkim: 'fail', composed: true },
      verdict: { source: 'provider', spf: 'pass', dkim: 'fail', verified: false },
    });
    const event = await fake.postEvent(info.events_url, {
      event: 'delivered',
      id: 'ev-delivered-1',
      timestamp: Date.now() / 1000,
      recipient: CUSTOMER,
      message: { headers: { 'message-id': sent.id.slice(1, -1) } },
      'user-variables': { switchboard_message_id: message.id },
      'delivery-status': { code: 250, message: 'OK' },
    });
    expect(event.status, event.text).toBe(200);
    await eventually(
      async () => ((await outbound())[before]?.status === 'delivered' ? true : undefined),
      30_000,
    );
  });

  it('a raw (body-mime) reply threads by our id; a permanent failure fails it and blocks the address', async () => {
    const rows = await outbound();
    const last = rows.at(-1)!;
    const before = fake.sends.length;
    const mime = [
      `From: Ana Lima <${CUSTOMER}>`,
      'To: support@mg.shop.example',
      'Subject: Re: Order #42',
      'Message-ID: <CAF=mg-2@mail.customer.example>',
      // Mailgun kept its own Message-ID; our id rides in References (the reply quotes it back).
      `In-Reply-To: <${last.provider_message_id}>`,
      `References: <${last.id}@shop.example> <${last.provider_message_id}>`,
      'Date: Sun, 29 Nov 2026 11:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Thanks, got it.',
      '',
    ].join('\r\n');
    const res = await fake.postRoute(info.url_without_credentials + '?format=mime', {
      recipient: 'support@mg.shop.example',
      sender: CUSTOMER,
      'body-mime': mime,
    });
    expect(res.status, res.text).toBe(200);
    const sent = await eventually(() => fake.sends[before], 30_000);
    expect(sent.fields['h:In-Reply-To']).toEqual(['<CAF=mg-2@mail.customer.example>']);
    const conversations = await app.database.query<{ n: string }>(
      `select count(distinct conversation_id) as n from messages where agent_id = $1`,
      [ws.agentId],
    );
    expect(Number(conversations[0]?.n)).toBe(1);
    const reply = await eventually(async () => {
      const all = await outbound();
      return all[before]?.status === 'sent' ? all[before] : undefined;
    }, 30_000);
    const failed = await fake.postEvent(info.events_url, {
      event: 'failed',
      severity: 'permanent',
      reason: 'bounce',
      id: 'ev-failed-1',
      timestamp: Date.now() / 1000,
      recipient: CUSTOMER,
      message: { headers: { 'message-id': sent.id.slice(1, -1) } },
      'user-variables': { switchboard_message_id: reply.id },
      'delivery-status': {
        code: 550,
        message: '5.1.1 The email account that you tried to reach does not exist',
      },
    });
    expect(failed.status, failed.text).toBe(200);
    const row = await eventually(async () => {
      const all = await outbound();
      return all[before]?.status === 'failed' ? all[before] : undefined;
    }, 30_000);
    expect(row).toMatchObject({
      error_code: '550',
      error_message: expect.stringContaining('does not exist'),
    });
    const identity = await eventually(async () => {
      const found = await app.database.query<{ blocked_at: Date | null }>(
        `select blocked_at from contact_identities where agent_id = $1 and platform_user_id = $2`,
        [ws.agentId, CUSTOMER],
      );
      return found[0]?.blocked_at ? found[0] : undefined;
    }, 30_000);
    expect(identity.blocked_at).not.toBeNull();
  });

  it('refuses an event with a bad signature or a replayed token (401, nothing recorded)', async () => {
    const data = {
      event: 'delivered',
      id: 'ev-x',
      recipient: CUSTOMER,
      message: { headers: { 'message-id': 'x@y' } },
    };
    expect(
      (await fake.postEvent(info.events_url, data, fake.signature({ key: 'not-the-key-000000' }))).status,
    ).toBe(401);
    const sig = fake.signature();
    expect((await fake.postEvent(info.events_url, data, sig)).status).toBe(200);
    expect((await fake.postEvent(info.events_url, { ...data, id: 'ev-y' }, sig)).status).toBe(401);
    // Only these events' rows: mail of earlier tests may still be turning into events meanwhile.
    expect(await eventsLike('mailgun:ev-x')).toBe(1);
    expect(await eventsLike('mailgun:ev-y')).toBe(0);
  });

  it('refuses a token replayed to another server process sharing the database', async () => {
    const other = await startTestApp({ MAILGUN_API_ROOT: fake.url }, undefined, {
      database: app.database,
      engine: { responder: async () => ({ text: 'From the other process.' }) },
      dnsResolver: fixtureResolver({}),
    });
    try {
      const path = new URL(info.url_without_credentials).pathname;
      const sig = fake.signature();
      const first = await fake.postRoute(`${other.url}${path}`, forward('xproc-1@customer.example'), {
        signature: sig,
      });
      expect(first.status, first.text).toBe(200);
      const replay = await fake.postRoute(info.url_without_credentials, forward('xproc-2@customer.example'), {
        signature: sig,
      });
      expect(replay.status).toBe(401);
      const stored = await app.database.query(`select 1 from raw_mails where dedupe_key like '%xproc-2%'`);
      expect(stored).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('admits a post it answered 503 again with the same signature (Mailgun retries it unchanged)', async () => {
    const url = info.url_without_credentials as string;
    const sig = fake.signature();
    await app.database.query(
      `alter table raw_mails add constraint mg_test_block check (source <> 'mailgun') not valid`,
    );
    try {
      expect(
        (await fake.postRoute(url, forward('retry-1@customer.example'), { signature: sig })).status,
      ).toBe(503);
    } finally {
      await app.database.query(`alter table raw_mails drop constraint mg_test_block`);
    }
    const retry = await fake.postRoute(url, forward('retry-1@customer.example'), { signature: sig });
    expect(retry.status, retry.text).toBe(200);
    const stored = await app.database.query(`select 1 from raw_mails where dedupe_key like '%retry-1%'`);
    expect(stored).toHaveLength(1);
    // Stored once: the token is spent again, and a third use is a replay.
    expect((await fake.postRoute(url, forward('retry-2@customer.example'), { signature: sig })).status).toBe(
      401,
    );
  });

  it('admits a delivery event it answered 503 again with the same signature', async () => {
    const data = {
      event: 'delivered',
      id: 'ev-retry',
      recipient: CUSTOMER,
      message: { headers: { 'message-id': 'retry@y' } },
    };
    const sig = fake.signature();
    const recorded = () => eventsLike('mailgun:ev-retry%');
    // A transient failure (serialization failure, SQLSTATE 40001) while recording the event.
    await app.database.query(
      `create function mg_test_fail() returns trigger language plpgsql as
         $$ begin raise exception 'busy' using errcode = '40001'; end $$`,
    );
    await app.database.query(
      `create trigger mg_test_fail before insert on inbound_events for each row execute function mg_test_fail()`,
    );
    try {
      expect((await fake.postEvent(info.events_url, data, sig)).status).toBe(503);
      expect(await recorded()).toBe(0);
    } finally {
      await app.database.query(`drop trigger mg_test_fail on inbound_events`);
      await app.database.query(`drop function mg_test_fail()`);
    }
    const retry = await fake.postEvent(info.events_url, data, sig);
    expect(retry.status, retry.text).toBe(200);
    expect(await recorded()).toBe(1);
    expect((await fake.postEvent(info.events_url, { ...data, id: 'ev-retry-2' }, sig)).status).toBe(401);
    expect(await recorded()).toBe(1);
  });

  it('POST …/email/test checks the domain exists and is active', async () => {
    const res = await app.call('POST', `${channelsPath(ws)}/email/test`, { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ success: true, details: { domain: DOMAIN, state: 'active' } });
  });
});
