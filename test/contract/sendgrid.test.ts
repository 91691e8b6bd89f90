import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type InboundMailSettings, readInboundMail } from '../../src/channels/email/inbound.ts';
import { parseDkimField } from '../../src/channels/sendgrid/inbound.ts';
import { sendgrid } from '../../src/channels/sendgrid/index.ts';
import type { AdapterContext, ChannelAccount, InboundEvent, RawRequest } from '../../src/channels/types.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { FakeSendgrid } from '../helpers/fake-sendgrid.ts';
import { type FormField, multipartBody } from '../helpers/form-body.ts';
import { captureLogger } from '../helpers/logs.ts';
import { adapterContract } from './adapter-contract.ts';

const API_KEY = 'SG.contract-key_0123456789.abcdefghijklmnop';
const SECRET = 'contract-inbound-secret-0123456789abcdef';
const RECIPIENT = 'ana.lima@customer.example';
const URL_ = 'https://switchboard.example/api/v1/channels/webhooks/email/agent_contract';
let fake: FakeSendgrid;

const fixture = (name: string) => readFileSync(new URL(`../fixtures/email/${name}`, import.meta.url));
const basic = (user: string, secret: string) =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const parseRequest = (fields: FormField[], headers: Record<string, string>): RawRequest => {
  const { body, contentType } = multipartBody(fields);
  return {
    method: 'POST',
    url: URL_,
    headers: new Headers({ 'content-type': contentType, ...headers }),
    body,
  };
};

/** The parsed (default) Parse form of a reply, each text field in its own charset as SendGrid posts it. */
const PARSED: FormField[] = [
  {
    name: 'headers',
    value: [
      'Received: from mail.customer.example (mail.customer.example [198.51.100.7]) by mx.sendgrid.net',
      'From: Ana Lima <ana.lima@customer.example>',
      'To: support@parse.shop.example',
      'Subject: =?UTF-8?Q?Re:_R=C3=A9clamation?=',
      'Message-ID: <CAF=parse-1@mail.customer.example>',
      'In-Reply-To: <msg_01jexample0000000000000000@shop.example>',
      'Date: Sun, 29 Nov 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="abc"',
    ].join('\n'),
  },
  { name: 'from', value: 'Ana Lima <ana.lima@customer.example>' },
  { name: 'to', value: 'support@parse.shop.example' },
  { name: 'subject', value: Buffer.from([0x52, 0x65, 0x3a, 0x20, 0x52, 0x82, 0x63, 0x6c]) }, // cp850 "Re: Récl"
  {
    name: 'text',
    value: Buffer.from('Merci – ça marche.\n\nOn Sun, Nov 29, 2026 Shop wrote:\n> hi', 'latin1'),
  },
  { name: 'html', value: Buffer.from('<p>Merci, ça marche.</p>', 'latin1') },
  {
    name: 'charsets',
    value: '{"to":"UTF-8","from":"UTF-8","subject":"cp850","text":"windows-1252","html":"iso-8859-1"}',
  },
  { name: 'SPF', value: 'pass' },
  { name: 'dkim', value: '{@customer.example : pass}' },
  { name: 'sender_ip', value: '198.51.100.7' },
  { name: 'envelope', value: '{"to":["support@parse.shop.example"],"from":"ana.lima@customer.example"}' },
  { name: 'attachments', value: '1' },
  {
    name: 'attachment-info',
    value: '{"attachment1":{"filename":"receipt.pdf","name":"receipt.pdf","type":"application/pdf"}}',
  },
  {
    name: 'attachment1',
    value: Buffer.from('%PDF-1.4 fake'),
    filename: 'receipt.pdf',
    contentType: 'application/pdf',
  },
];
// windows-1252 0x96 is the en dash: the charset, not latin1, decides.
(PARSED[4] as { value: Buffer }).value = Buffer.concat([
  Buffer.from('Merci '),
  Buffer.from([0x96]),
  Buffer.from(' ', 'latin1'),
  Buffer.from('\xe7a marche.\n\nOn Sun, Nov 29, 2026 Shop wrote:\n> hi', 'latin1'),
]);

const RAW: FormField[] = [
  { name: 'email', value: fixture('gmail-reply.eml') },
  { name: 'SPF', value: 'softfail' },
  { name: 'dkim', value: 'none' },
  { name: 'envelope', value: '{"to":["support@shop.example"],"from":"ana.lima@customer.example"}' },
];

const settings = { from_email: 'support@shop.example' } as InboundMailSettings;
async function pipeline(request: RawRequest, ctx: AdapterContext): Promise<InboundEvent[]> {
  const mails = await sendgrid.parseInboundMail!(request, ctx);
  const events: InboundEvent[] = [];
  for (const [i, mail] of mails.entries()) {
    const outcome = await readInboundMail(mail.raw, {
      rawMailId: `rawmail_contract_${i}`,
      settings,
      auth: {
        resolver: fixtureResolver({}),
        ...(mail.clientIp ? { clientIp: mail.clientIp } : {}),
        ...(mail.verdict ? { providerVerdict: { ...mail.verdict, composed: mail.composed } } : {}),
      },
    });
    events.push(...outcome.events);
  }
  return events;
}

adapterContract({
  adapter: sendgrid,
  config: {
    from_email: 'support@shop.example',
    from_name: 'Shop Support',
    api_keys: { sendgrid: API_KEY },
    inbound_secret: SECRET,
    imap_config: { host: 'imap.shop.example', username: 'support', password: 'imap-contract-pw' },
  },
  invalidConfigs: [
    {
      config: { from_email: 'a@b.example', api_keys: { sendgrid: 'not-a-key' } },
      field: 'api_keys.sendgrid',
    },
    {
      config: {
        from_email: 'a@b.example',
        api_keys: { sendgrid: API_KEY },
        sendgrid_config: { event_webhook_public_key: 'short' },
      },
      field: 'sendgrid_config.event_webhook_public_key',
    },
    { config: { from_email: 'nope', api_keys: { sendgrid: API_KEY } }, field: 'from_email' },
  ],
  async startFake() {
    fake = await new FakeSendgrid(API_KEY, ['support@shop.example']).start();
    return { apiRoots: { sendgrid: fake.url }, stop: () => fake.close() };
  },
  verify: (request, ctx) => sendgrid.verifyInboundMail!(request, ctx),
  parseAsync: pipeline,
  signed: (payload) => parseRequest(payload as FormField[], { authorization: basic('inbound', SECRET) }),
  forged: (payload) => [
    {
      name: 'wrong secret',
      request: parseRequest(payload as FormField[], { authorization: basic('inbound', `${SECRET}x`) }),
    },
    { name: 'no credentials', request: parseRequest(payload as FormField[], {}) },
  ],
  fixtures: [
    {
      name: 'parsed form: charsets decoded, headers kept, provider verdict, attachment',
      payload: PARSED,
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({
            kind: 'message',
            providerMessageId: 'CAF=parse-1@mail.customer.example',
            text: 'Merci – ça marche.',
            inReplyTo: ['msg_01jexample0000000000000000@shop.example'],
            sender: expect.objectContaining({ platformUserId: RECIPIENT, email: RECIPIENT }),
            attachments: [
              expect.objectContaining({ name: 'receipt.pdf', mime_type: 'application/pdf', size: 13 }),
            ],
            messageMetadata: expect.objectContaining({
              email: expect.objectContaining({
                subject: 'Re: Réclamation',
                auth: expect.objectContaining({
                  source: 'provider',
                  provider: 'sendgrid',
                  spf: 'pass',
                  dkim: 'pass',
                  verified: true,
                }),
              }),
            }),
          }),
        ]),
    },
    {
      name: 'raw form: the original bytes, checked again (not the provider verdict)',
      payload: RAW,
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({
            kind: 'message',
            providerMessageId: 'CAF=gmail-reply-1@mail.customer.example',
            text: 'Thanks! Can you send it to my office instead?\n\nAna',
            messageMetadata: expect.objectContaining({
              email: expect.objectContaining({ auth: expect.objectContaining({ source: 'mailauth' }) }),
            }),
          }),
        ]),
    },
  ],
  unreachable: { apiRoots: { sendgrid: 'http://127.0.0.1:1' } },
  recipient: { platformUserId: RECIPIENT, chatId: RECIPIENT },
  errorCases: [
    {
      name: '429 with Retry-After',
      inject: () =>
        fake.failNext(429, JSON.stringify({ errors: [{ message: 'too many requests', field: null }] }), {
          'retry-after': '7',
        }),
      expect: { retryable: true, code: 'sendgrid_rate_limited', minRetryAfterMs: 7000 },
    },
    {
      name: '503',
      inject: () => fake.failNext(503),
      expect: { retryable: true, code: 'sendgrid_unavailable' },
    },
    {
      name: '401 bad key',
      inject: () =>
        fake.failNext(
          401,
          JSON.stringify({
            errors: [
              { message: 'The provided authorization grant is invalid, expired, or revoked', field: null },
            ],
          }),
        ),
      expect: { retryable: false, code: 'sendgrid_unauthorized' },
    },
    {
      name: '403 sender not verified (the fake checks from.email)',
      inject: () => {
        fake.verifiedSenders.clear();
        fake.verifiedSenders.add('someone-else@shop.example');
      },
      expect: { retryable: false, code: 'sendgrid_forbidden' },
    },
    {
      name: '400 validation',
      inject: () => {
        fake.verifiedSenders.add('support@shop.example');
        fake.failNext(
          400,
          JSON.stringify({ errors: [{ message: 'Invalid email', field: 'personalizations.0.to' }] }),
        );
      },
      expect: { retryable: false, code: 'sendgrid_rejected' },
    },
  ],
});

/** providers.md §6.2 / §11 #4: SendGrid's own Signed Event Webhook test vector. */
const VECTOR = {
  key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==',
  timestamp: '1600112502',
  signature:
    'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=',
  body: '[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]\r\n',
};

function eventsCtx(publicKey?: string): AdapterContext {
  const account: ChannelAccount = {
    agentId: 'agent_contract',
    channel: 'email',
    provider: 'sendgrid',
    enabled: true,
    settings: {
      from_email: 'support@shop.example',
      ...(publicKey ? { sendgrid_config: { event_webhook_public_key: publicKey } } : {}),
    },
    secret: async () => undefined,
  };
  return { account, fetch, fetchPublic: fetch, now: Date.now, logger: captureLogger('silent').logger };
}
const eventRequest = (body: string, headers: Record<string, string>): RawRequest => ({
  method: 'POST',
  url: `${URL_}/events`,
  headers: new Headers(headers),
  body: new TextEncoder().encode(body),
});

describe('SendGrid Signed Event Webhook', () => {
  const signed = {
    'x-twilio-email-event-webhook-signature': VECTOR.signature,
    'x-twilio-email-event-webhook-timestamp': VECTOR.timestamp,
  };

  it('verifies the official vector and refuses it altered, unsigned or without a configured key', async () => {
    const verify = sendgrid.verifyMailEvents!;
    expect(await verify(eventRequest(VECTOR.body, signed), eventsCtx(VECTOR.key))).toEqual({ ok: true });
    expect((await verify(eventRequest(VECTOR.body.trimEnd(), signed), eventsCtx(VECTOR.key))).ok).toBe(false);
    expect(
      (
        await verify(
          eventRequest(VECTOR.body, { ...signed, 'x-twilio-email-event-webhook-timestamp': '1600112503' }),
          eventsCtx(VECTOR.key),
        )
      ).ok,
    ).toBe(false);
    expect((await verify(eventRequest(VECTOR.body, {}), eventsCtx(VECTOR.key))).ok).toBe(false);
    expect((await verify(eventRequest(VECTOR.body, signed), eventsCtx())).ok).toBe(false);
    expect((await verify(eventRequest(VECTOR.body, signed), eventsCtx(fake.publicKey))).ok).toBe(false);
  });

  it('maps events to statuses by our id from custom_args, and blocks on hard bounces and complaints', async () => {
    const ours = 'msg_01jd0000000000000000000000';
    const { body, headers } = fake.signedEvents([
      {
        email: 'Ana@Customer.example',
        event: 'processed',
        sg_event_id: 'e0',
        sg_message_id: 'AbC.filter0',
        timestamp: 1767225600,
        switchboard_message_id: ours,
      },
      {
        email: 'ana@customer.example',
        event: 'delivered',
        sg_event_id: 'e1',
        sg_message_id: 'AbC.filter1',
        timestamp: 1767225700,
        switchboard_message_id: ours,
        response: '250 OK',
      },
      {
        email: 'ana@customer.example',
        event: 'bounce',
        type: 'bounce',
        status: '5.1.1',
        reason: '550 5.1.1 no such user',
        sg_event_id: 'e2',
        sg_message_id: 'AbC.filter2',
        timestamp: 1767225800,
        switchboard_message_id: ours,
      },
      {
        email: 'ana@customer.example',
        event: 'spamreport',
        sg_event_id: 'e3',
        sg_message_id: 'AbC.filter3',
        timestamp: 1767225900,
      },
      {
        email: 'x@y.example',
        event: 'deferred',
        sg_event_id: 'e4',
        sg_message_id: 'Zz.filter',
        timestamp: 1767225900,
      },
    ]);
    const request = eventRequest(body, headers);
    expect(await sendgrid.verifyMailEvents!(request, eventsCtx(fake.publicKey))).toEqual({ ok: true });
    expect(sendgrid.parseMailEvents!(request, eventsCtx(fake.publicKey))).toEqual([
      {
        kind: 'status',
        eventId: 'sendgrid:e1',
        providerMessageId: 'AbC',
        messageId: ours,
        status: 'delivered',
        at: '2026-01-01T00:01:40.000Z',
      },
      {
        kind: 'status',
        eventId: 'sendgrid:e2',
        providerMessageId: 'AbC',
        messageId: ours,
        status: 'blocked',
        at: '2026-01-01T00:03:20.000Z',
        error: { code: '5.1.1', message: '550 5.1.1 no such user' },
      },
      {
        kind: 'contact',
        eventId: 'sendgrid:e2:block',
        platformUserId: 'ana@customer.example',
        blocked: true,
      },
      {
        kind: 'contact',
        eventId: 'sendgrid:e3:block',
        platformUserId: 'ana@customer.example',
        blocked: true,
      },
    ]);
    expect(() => sendgrid.parseMailEvents!(eventRequest('{"not":"array"}', {}), eventsCtx())).toThrow(
      /array/,
    );
  });

  it('never takes a value that is not one of our ids as our id', () => {
    const { body } = fake.signedEvents([
      {
        email: 'a@b.example',
        event: 'delivered',
        sg_event_id: 'e9',
        sg_message_id: 'Q.filter',
        switchboard_message_id: "x' or 1=1",
      },
    ]);
    expect(sendgrid.parseMailEvents!(eventRequest(body, {}), eventsCtx())).toEqual([
      expect.not.objectContaining({ messageId: expect.anything() }),
    ]);
  });
});

describe('SendGrid specifics', () => {
  it('reads the dkim field, which is not JSON', () => {
    expect(parseDkimField('{@customer.example : pass}')).toEqual({
      dkim: 'pass',
      domains: ['customer.example'],
    });
    expect(parseDkimField('{@a.example : fail, @b.example : pass}')).toEqual({
      dkim: 'pass',
      domains: ['b.example'],
    });
    expect(parseDkimField('none')).toEqual({ dkim: 'none', domains: [] });
  });

  it('sends our Message-ID, threading headers and our id in custom_args, text/plain first', async () => {
    const ctx = { ...eventsCtx(), apiRoots: { sendgrid: fake.url } } as AdapterContext;
    ctx.account = { ...ctx.account, secret: async (f) => (f === 'api_keys.sendgrid' ? API_KEY : undefined) };
    const before = fake.sends.length;
    const result = await sendgrid.send!(
      {
        messageId: 'msg_01jd0000000000000000000001',
        idempotencyKey: 'msg_01jd0000000000000000000001',
        conversationId: 'conv_x',
        recipient: { platformUserId: RECIPIENT, chatId: RECIPIENT },
        text: 'Hello **there**',
        channelMetadata: {
          email: { subject: 'Order', last_message_id: 'b@x.example', references: ['a@x.example'] },
        },
      },
      ctx,
    );
    const sent = fake.sends[before]!;
    expect(result.providerMessageId).toBe(sent.messageId);
    expect(sent.body.headers).toMatchObject({
      'Message-ID': '<msg_01jd0000000000000000000001@shop.example>',
      'In-Reply-To': '<b@x.example>',
      References: '<a@x.example> <b@x.example>',
      'Auto-Submitted': 'auto-replied',
    });
    expect(sent.body.subject).toBe('Re: Order');
    expect(sent.body.custom_args).toEqual({ switchboard_message_id: 'msg_01jd0000000000000000000001' });
    expect(sent.body.content.map((c: { type: string }) => c.type)).toEqual(['text/plain', 'text/html']);
  });

  it('sends a reply that is only an attachment (SendGrid refuses an empty content value)', async () => {
    const ctx = { ...eventsCtx(), apiRoots: { sendgrid: fake.url } } as AdapterContext;
    ctx.account = { ...ctx.account, secret: async (f) => (f === 'api_keys.sendgrid' ? API_KEY : undefined) };
    ctx.fetchPublic = (async () =>
      new Response('%PDF-1.4 label', { headers: { 'content-type': 'application/pdf' } })) as typeof fetch;
    const before = fake.sends.length;
    await sendgrid.send!(
      {
        messageId: 'msg_01jd0000000000000000000002',
        idempotencyKey: 'msg_01jd0000000000000000000002',
        conversationId: 'conv_x',
        recipient: { platformUserId: RECIPIENT, chatId: RECIPIENT },
        text: '',
        attachments: [{ type: 'document', url: 'https://files.example/label.pdf' }],
        channelMetadata: { email: { subject: 'Order', last_message_id: 'b@x.example' } },
      },
      ctx,
    );
    const sent = fake.sends[before]!;
    expect(sent.body.attachments).toEqual([expect.objectContaining({ filename: 'label.pdf' })]);
    for (const part of sent.body.content as { value: string }[]) expect(part.value).not.toBe('');
  });

  it('test: success with mail.send, the spec failure shape without it or with a bad key', async () => {
    const ctx = { ...eventsCtx(), apiRoots: { sendgrid: fake.url } } as AdapterContext;
    ctx.account = { ...ctx.account, secret: async (f) => (f === 'api_keys.sendgrid' ? API_KEY : undefined) };
    expect(await sendgrid.test!(ctx)).toMatchObject({ success: true, details: { scope: 'mail.send' } });
    fake.scopes = ['alerts.read'];
    expect(await sendgrid.test!(ctx)).toMatchObject({
      success: false,
      error: expect.stringContaining('mail.send'),
    });
    fake.scopes = ['mail.send'];
    const wrong = { ...ctx, account: { ...ctx.account, secret: async () => 'SG.wrong-key-000000000000' } };
    expect(await sendgrid.test!(wrong)).toMatchObject({
      success: false,
      error: 'SendGrid API key is invalid',
    });
  });
});
