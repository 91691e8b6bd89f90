import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { channelsPath } from '../helpers/email.ts';
import { FakeSendgrid } from '../helpers/fake-sendgrid.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';
import { postWithUrlCredentials } from '../helpers/form-body.ts';
import { eventually } from '../helpers/loopback-peer.ts';

const API_KEY = 'SG.integration-key_0123456789.abcdefghijkl';
const CUSTOMER = 'ana.lima@customer.example';
let app: TestApp;
let fake: FakeSendgrid;
let ws: Workspace;
let info: any;
const answered: string[] = [];

const fixture = (name: string) => readFileSync(new URL(`../fixtures/email/${name}`, import.meta.url));

beforeAll(async () => {
  fake = await new FakeSendgrid(API_KEY, ['support@shop.example']).start();
  app = await startTestApp({ TURN_DEBOUNCE_MS: 'email=0', SENDGRID_API_ROOT: fake.url }, undefined, {
    engine: {
      responder: async (input) => {
        answered.push(...input.pending.map((m) => m.content));
        return { text: `Answer ${answered.length}: **noted**.` };
      },
    },
    dnsResolver: fixtureResolver({}),
  });
  ws = await createWorkspace(app, 'sendgrid');
  // The spec's configuration (Option 2), plus the Signed Event Webhook key.
  const put = await app.call('PUT', channelsPath(ws), {
    token: ws.owner.token,
    body: {
      email: {
        enabled: true,
        provider: 'sendgrid',
        from_email: 'support@shop.example',
        from_name: 'Support Team',
        api_keys: { sendgrid: API_KEY },
        sendgrid_config: { event_webhook_public_key: fake.publicKey },
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

const PARSED = (messageId: string, extra: string[] = []) => [
  {
    name: 'headers',
    value: [
      'Received: from mail.customer.example (mail.customer.example [198.51.100.7]) by mx.sendgrid.net',
      `From: Ana Lima <${CUSTOMER}>`,
      'To: support@parse.shop.example',
      'Subject: Order #42',
      `Message-ID: <${messageId}>`,
      ...extra,
      'Date: Sun, 29 Nov 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
    ].join('\n'),
  },
  { name: 'from', value: `Ana Lima <${CUSTOMER}>` },
  { name: 'to', value: 'support@parse.shop.example' },
  { name: 'subject', value: 'Order #42' },
  { name: 'text', value: Buffer.from('Où est ma commande ?', 'latin1') },
  { name: 'charsets', value: '{"to":"UTF-8","from":"UTF-8","subject":"UTF-8","text":"iso-8859-1"}' },
  { name: 'SPF', value: 'pass' },
  { name: 'dkim', value: 'none' },
  { name: 'sender_ip', value: '198.51.100.7' },
  { name: 'envelope', value: `{"to":["support@parse.shop.example"],"from":"${CUSTOMER}"}` },
];

describe('SendGrid end to end', () => {
  it('shows the Parse URL with Basic auth, the events URL and what to paste where', () => {
    expect(info.provider).toBe('sendgrid');
    expect(info.url).toMatch(
      new RegExp(
        `^http://inbound:[A-Za-z0-9_-]{30,}@127\\.0\\.0\\.1:\\d+/api/v1/channels/webhooks/email/${ws.agentId}$`,
      ),
    );
    expect(info.events_url).toMatch(new RegExp(`/api/v1/channels/webhooks/email/${ws.agentId}/events$`));
    expect(info.provider_setup).toMatchObject({
      inbound_parse: { url: info.url, paste_into: expect.stringContaining('Inbound Parse') },
      event_webhook: { url: info.events_url, public_key_configured: true },
    });
    expect(JSON.stringify(info)).not.toContain(API_KEY);
  });

  it('answers 401 and stores nothing for a Parse post without (or with wrong) Basic auth', async () => {
    const withoutCredentials = info.url_without_credentials as string;
    expect((await fake.postParse(withoutCredentials, PARSED('nope-1@customer.example'))).status).toBe(401);
    const wrong = new URL(info.url);
    wrong.password = 'wrong-secret-wrong-secret-wrong';
    expect((await fake.postParse(wrong.toString(), PARSED('nope-2@customer.example'))).status).toBe(401);
    expect(await count('raw_mails')).toBe(0);
  });

  it('inbound Parse → the agent replies through SendGrid with threading headers → delivered', async () => {
    const posted = await fake.postParse(info.url, PARSED('CAF=sg-1@mail.customer.example'));
    expect(posted.status, posted.text).toBe(200);
    const sent = await eventually(() => fake.sends[0], 30_000);
    expect(answered).toEqual(['Où est ma commande ?']);
    expect(sent.body.personalizations[0].to).toEqual([{ email: CUSTOMER }]);
    expect(sent.body.subject).toBe('Re: Order #42');
    expect(sent.body.headers['In-Reply-To']).toBe('<CAF=sg-1@mail.customer.example>');
    expect(sent.body.headers.References).toBe('<CAF=sg-1@mail.customer.example>');
    const [message] = await eventually(async () => {
      const rows = await outbound();
      return rows[0]?.status === 'sent' ? rows : undefined;
    }, 30_000);
    expect(message?.provider_message_id).toBe(sent.messageId);
    expect(sent.body.custom_args).toEqual({ switchboard_message_id: message?.id });
    expect(sent.body.headers['Message-ID']).toBe(`<${message?.id}@shop.example>`);
    const raw = await app.database.query<{ source: string; provider_verdict: any; verdict: any }>(
      `select source, provider_verdict, verdict from raw_mails`,
    );
    expect(raw[0]).toMatchObject({
      source: 'sendgrid',
      provider_verdict: { provider: 'sendgrid', spf: 'pass', composed: true },
      verdict: { source: 'provider', spf: 'pass' },
    });

    const events = await fake.postEvents(info.events_url, [
      {
        email: CUSTOMER,
        event: 'processed',
        sg_event_id: 'p1',
        sg_message_id: `${sent.messageId}.filter0`,
        timestamp: 1767225600,
        switchboard_message_id: message?.id,
      },
      {
        email: CUSTOMER,
        event: 'delivered',
        sg_event_id: 'd1',
        sg_message_id: `${sent.messageId}.filter1`,
        timestamp: 1767225700,
        switchboard_message_id: message?.id,
      },
    ]);
    expect(events.status, events.text).toBe(200);
    await eventually(async () => ((await outbound())[0]?.status === 'delivered' ? true : undefined), 30_000);
  });

  it('a raw-form reply stays in the thread; a bounce event fails that reply and blocks the address', async () => {
    const first = (await outbound())[0];
    const reply = fixture('gmail-reply.eml')
      .toString('utf8')
      .replaceAll('ana.lima@customer.example', CUSTOMER)
      .replace(/^In-Reply-To: .*$/m, `In-Reply-To: <${first?.id}@shop.example>`);
    // Closed meanwhile: only threading on our id (the provider id is SendGrid's X-Message-Id) finds it again.
    await app.database.query(
      `update conversations set status = 'closed', closed_at = now() where agent_id = $1`,
      [ws.agentId],
    );
    const posted = await fake.postParse(info.url, [
      { name: 'email', value: Buffer.from(reply) },
      { name: 'SPF', value: 'none' },
      { name: 'dkim', value: 'none' },
      { name: 'envelope', value: `{"to":["support@parse.shop.example"],"from":"${CUSTOMER}"}` },
    ]);
    expect(posted.status, posted.text).toBe(200);
    const second = await eventually(() => fake.sends[1], 30_000);
    expect(second.body.headers['In-Reply-To']).toBe('<CAF=gmail-reply-1@mail.customer.example>');
    const conversations = await app.database.query<{ n: string }>(
      `select count(distinct conversation_id) as n from messages where agent_id = $1`,
      [ws.agentId],
    );
    expect(Number(conversations[0]?.n)).toBe(1);
    const rows = await eventually(async () => {
      const all = await outbound();
      return all[1]?.status === 'sent' ? all : undefined;
    }, 30_000);
    const bounce = await fake.postEvents(info.events_url, [
      {
        email: CUSTOMER,
        event: 'bounce',
        type: 'bounce',
        status: '5.1.1',
        reason: '550 5.1.1 The email account that you tried to reach does not exist',
        sg_event_id: 'b1',
        sg_message_id: `${second.messageId}.filter9`,
        timestamp: 1767225900,
        switchboard_message_id: rows[1]?.id,
      },
    ]);
    expect(bounce.status, bounce.text).toBe(200);
    const failed = await eventually(async () => {
      const all = await outbound();
      return all[1]?.status === 'failed' ? all[1] : undefined;
    }, 30_000);
    expect(failed).toMatchObject({
      error_code: '5.1.1',
      error_message: expect.stringContaining('does not exist'),
    });
    expect((await outbound())[0]?.status).toBe('delivered');
    const identity = await eventually(async () => {
      const found = await app.database.query<{ blocked_at: Date | null }>(
        `select blocked_at from contact_identities where agent_id = $1 and platform_user_id = $2`,
        [ws.agentId, CUSTOMER],
      );
      return found[0]?.blocked_at ? found[0] : undefined;
    }, 30_000);
    expect(identity.blocked_at).not.toBeNull();
  });

  it('refuses events with a forged signature (401, nothing recorded)', async () => {
    const before = await count('inbound_events');
    const { body, headers } = fake.signedEvents([
      { email: CUSTOMER, event: 'delivered', sg_event_id: 'x1', sg_message_id: 'X.f' },
    ]);
    const res = await fetch(info.events_url, {
      method: 'POST',
      headers,
      body: body.replace('delivered', 'bounce'),
    });
    expect(res.status).toBe(401);
    expect(await count('inbound_events')).toBe(before);
  });

  it('answers 5xx (SendGrid retries) when the mail cannot be stored, never 4xx', async () => {
    await app.database.query(
      `alter table raw_mails add constraint sg_test_block check (source <> 'sendgrid') not valid`,
    );
    try {
      const res = await fake.postParse(info.url, PARSED('CAF=sg-503@mail.customer.example'));
      expect(res.status).toBe(503);
    } finally {
      await app.database.query(`alter table raw_mails drop constraint sg_test_block`);
    }
    const again = await fake.postParse(info.url, PARSED('CAF=sg-503@mail.customer.example'));
    expect(again.status).toBe(200);
  });

  it('POST …/email/test checks the key has mail.send', async () => {
    const res = await app.call('POST', `${channelsPath(ws)}/email/test`, { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ success: true, details: { scope: 'mail.send' } });
  });

  it('the raw message/rfc822 route with the inbound secret still works for SendGrid', async () => {
    const url = new URL(info.url);
    const mail = [
      'From: Bo <bo@customer.example>',
      'To: support@shop.example',
      'Subject: Via MTA',
      'Message-ID: <mta-1@customer.example>',
      'Date: Sun, 29 Nov 2026 10:00:00 +0000',
      '',
      'Hello from an MTA pipe',
      '',
    ].join('\r\n');
    const res = await postWithUrlCredentials(url.toString(), {
      body: mail,
      headers: { 'content-type': 'message/rfc822' },
    });
    expect(res.status, res.text).toBe(200);
    await eventually(() => (answered.includes('Hello from an MTA pipe') ? true : undefined), 30_000);
  });

  it('a drop for a bad SMTPAPI header fails the reply but blocks nobody, whatever else the batch holds', async () => {
    // Its own customer and reply, so the test holds when run alone.
    const bo = 'bo.drop@customer.example';
    const mail = [
      `From: Bo <${bo}>`,
      'To: support@shop.example',
      'Subject: To be dropped',
      'Message-ID: <drop-1@customer.example>',
      'Date: Sun, 29 Nov 2026 10:00:00 +0000',
      '',
      'Please answer, the answer will be dropped',
      '',
    ].join('\r\n');
    const posted = await postWithUrlCredentials(info.url, {
      body: mail,
      headers: { 'content-type': 'message/rfc822' },
    });
    expect(posted.status, posted.text).toBe(200);
    const sent = await eventually(
      () => fake.sends.find((s) => s.body.personalizations[0].to[0].email === bo),
      30_000,
    );
    const reply = await eventually(async () => {
      const rows = await outbound();
      const row = rows.find((r) => r.provider_message_id === sent.messageId);
      return row?.status === 'sent' ? row : undefined;
    }, 30_000);
    const res = await fake.postEvents(info.events_url, [
      // Mail another system sent through the same SendGrid account, with a timestamp that is no time.
      {
        email: 'x@elsewhere.example',
        event: 'deferred',
        sg_event_id: 'odd-1',
        sg_message_id: 'Zz9.filter',
        timestamp: 1e300,
      },
      { email: bo, event: 'group_unsubscribe', sg_event_id: 'gu-bo', asm_group_id: 7, timestamp: 1767226000 },
      {
        email: bo,
        event: 'dropped',
        reason: 'Invalid SMTPAPI header',
        sg_event_id: 'drop-bo',
        sg_message_id: `${sent.messageId}.filterdrecv-1`,
        timestamp: 1767226001,
        switchboard_message_id: reply.id,
      },
    ]);
    expect(res.status, res.text).toBe(200);
    const failed = await eventually(async () => {
      const row = (await outbound()).find((r) => r.id === reply.id);
      return row?.status === 'failed' ? row : undefined;
    }, 30_000);
    expect(failed).toMatchObject({ error_code: 'dropped', error_message: 'Invalid SMTPAPI header' });
    await eventually(
      async () => ((await count('inbound_events where not processed')) === 0 ? true : undefined),
      30_000,
    );
    const identity = await app.database.query<{ blocked_at: Date | null }>(
      `select blocked_at from contact_identities where agent_id = $1 and platform_user_id = $2`,
      [ws.agentId, bo],
    );
    expect(identity).toEqual([{ blocked_at: null }]);
  });
});
