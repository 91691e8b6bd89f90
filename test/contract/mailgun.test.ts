import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type InboundMailSettings, readInboundMail } from '../../src/channels/email/inbound.ts';
import { mailgun } from '../../src/channels/mailgun/index.ts';
import { mailgunSignature } from '../../src/channels/mailgun/signature.ts';
import type { AdapterContext, ChannelAccount, InboundEvent, RawRequest } from '../../src/channels/types.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { FakeMailgun } from '../helpers/fake-mailgun.ts';
import { multipartBody } from '../helpers/form-body.ts';
import { captureLogger } from '../helpers/logs.ts';
import { adapterContract } from './adapter-contract.ts';

const API_KEY = 'key-contract-0123456789abcdef';
const SIGNING_KEY = 'signing-contract-0123456789abcdef';
const DOMAIN = 'mg.shop.example';
const RECIPIENT = 'ana.lima@customer.example';
const URL_ = 'https://switchboard.example/api/v1/channels/webhooks/email/agent_contract';
let fake: FakeMailgun;
/** The replay store the context gets (the database one is covered by the integration test). */
const used = new Set<string>();
const claimOnce = async (key: string) => (used.has(key) ? false : (used.add(key), true));
const releaseClaim = async (key: string) => void used.delete(key);

const fixture = (name: string) => readFileSync(new URL(`../fixtures/email/${name}`, import.meta.url), 'utf8');
const now = () => String(Math.floor(Date.now() / 1000));
let tokenCounter = 0;
const freshToken = () => `token-${Date.now()}-${++tokenCounter}-abcdefghijklmnopqrstuvwxyz`;

/** A route forward as Mailgun posts it, signed with `key` (fresh token each time unless given). */
function routeRequest(
  fields: Record<string, string>,
  sig: { key?: string; timestamp?: string; token?: string; signature?: string } = {},
) {
  const timestamp = sig.timestamp ?? now();
  const token = sig.token ?? freshToken();
  const signature = sig.signature ?? mailgunSignature(sig.key ?? SIGNING_KEY, timestamp, token);
  const { body, contentType } = multipartBody(
    Object.entries({ ...fields, timestamp, token, signature }).map(([name, value]) => ({ name, value })),
  );
  return {
    method: 'POST',
    url: URL_,
    headers: new Headers({ 'content-type': contentType }),
    body,
  } as RawRequest;
}

const PARSED = {
  recipient: 'support@mg.shop.example',
  sender: RECIPIENT,
  from: 'Ana Lima <ana.lima@customer.example>',
  subject: 'Re: Order #42',
  'body-plain': 'Yes, Friday works.\n\nOn Sun, Nov 29, 2026 Shop wrote:\n> Shall we ship Friday?',
  'stripped-text': 'Yes, Friday works.',
  'message-headers': JSON.stringify([
    ['Received', 'from mail.customer.example by mxa.mailgun.org'],
    ['X-Mailgun-Spf', 'Pass'],
    ['X-Mailgun-Dkim-Check-Result', 'Pass'],
    ['Dkim-Signature', 'v=1; a=rsa-sha256; d=customer.example; s=s1; bh=x; b=y'],
    ['From', 'Ana Lima <ana.lima@customer.example>'],
    ['To', 'support@mg.shop.example'],
    ['Subject', 'Re: Order #42'],
    ['Message-Id', '<CAF=mg-1@mail.customer.example>'],
    ['In-Reply-To', '<20261129100000.1.abc@mg.shop.example>'],
    ['References', '<msg_01jd0000000000000000000002@shop.example> <20261129100000.1.abc@mg.shop.example>'],
    ['Content-Type', 'multipart/alternative; boundary="b"'],
  ]),
  'X-Mailgun-Spf': 'Pass',
  'X-Mailgun-Dkim-Check-Result': 'Pass',
};

const settings = { from_email: 'support@shop.example' } as InboundMailSettings;
async function pipeline(request: RawRequest, ctx: AdapterContext): Promise<InboundEvent[]> {
  const mails = await mailgun.parseInboundMail!(request, ctx);
  const events: InboundEvent[] = [];
  for (const [i, mail] of mails.entries()) {
    const outcome = await readInboundMail(mail.raw, {
      rawMailId: `rawmail_contract_${i}`,
      settings,
      auth: {
        resolver: fixtureResolver({}),
        ...(mail.verdict ? { providerVerdict: { ...mail.verdict, composed: mail.composed } } : {}),
      },
    });
    events.push(...outcome.events);
  }
  return events;
}

adapterContract({
  adapter: mailgun,
  config: {
    from_email: 'support@shop.example',
    from_name: 'Shop Support',
    api_keys: { mailgun: API_KEY },
    mailgun_config: { domain: DOMAIN, region: 'eu', webhook_signing_key: SIGNING_KEY },
    inbound_secret: 'contract-inbound-secret-0123456789abcdef',
    imap_config: { host: 'imap.shop.example', username: 'support', password: 'imap-contract-pw' },
  },
  invalidConfigs: [
    {
      config: {
        from_email: 'a@b.example',
        api_keys: { mailgun: API_KEY },
        mailgun_config: { domain: 'bad domain' },
      },
      field: 'mailgun_config.domain',
    },
    {
      config: {
        from_email: 'a@b.example',
        api_keys: { mailgun: API_KEY },
        mailgun_config: { domain: DOMAIN, region: 'asia' },
      },
      field: 'mailgun_config.region',
    },
    {
      config: {
        from_email: 'a@b.example',
        api_keys: { mailgun: API_KEY },
        mailgun_config: { domain: DOMAIN, webhook_signing_key: 'short' },
      },
      field: 'mailgun_config.webhook_signing_key',
    },
  ],
  async startFake() {
    fake = await new FakeMailgun(API_KEY, DOMAIN, SIGNING_KEY).start();
    return { apiRoots: { mailgun: fake.url }, context: { claimOnce }, stop: () => fake.close() };
  },
  verify: (request, ctx) => mailgun.verifyInboundMail!(request, ctx),
  parseAsync: pipeline,
  signed: (payload) => routeRequest(payload as Record<string, string>),
  forged: (payload) => [
    {
      name: 'wrong key',
      request: routeRequest(payload as Record<string, string>, { key: 'another-signing-key-000000' }),
    },
    {
      name: 'stale timestamp',
      request: routeRequest(payload as Record<string, string>, {
        timestamp: String(Math.floor(Date.now() / 1000) - 16 * 60),
      }),
    },
    {
      name: 'signature of other fields',
      request: routeRequest(payload as Record<string, string>, { signature: 'a'.repeat(64) }),
    },
  ],
  fixtures: [
    {
      name: 'parsed forward: headers kept, X-Mailgun verdicts, thread ids',
      payload: PARSED,
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({
            kind: 'message',
            providerMessageId: 'CAF=mg-1@mail.customer.example',
            text: 'Yes, Friday works.',
            inReplyTo: [
              '20261129100000.1.abc@mg.shop.example',
              'msg_01jd0000000000000000000002@shop.example',
            ],
            messageMetadata: expect.objectContaining({
              email: expect.objectContaining({
                auth: expect.objectContaining({
                  source: 'provider',
                  provider: 'mailgun',
                  spf: 'pass',
                  dkim: 'pass',
                  dkim_domains: ['customer.example'],
                  verified: true,
                }),
              }),
            }),
          }),
        ]),
    },
    {
      name: 'raw forward (body-mime): the original bytes',
      payload: {
        recipient: 'support@mg.shop.example',
        sender: RECIPIENT,
        'body-mime': fixture('gmail-reply.eml'),
      },
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({
            kind: 'message',
            providerMessageId: 'CAF=gmail-reply-1@mail.customer.example',
            text: 'Thanks! Can you send it to my office instead?\n\nAna',
          }),
        ]),
    },
  ],
  unreachable: { apiRoots: { mailgun: 'http://127.0.0.1:1' } },
  recipient: { platformUserId: RECIPIENT, chatId: RECIPIENT },
  errorCases: [
    {
      name: '429 with Retry-After',
      inject: () =>
        fake.failNext(429, JSON.stringify({ message: 'Too many requests' }), { 'retry-after': '9' }),
      expect: { retryable: true, code: 'mailgun_rate_limited', minRetryAfterMs: 9000 },
    },
    {
      name: '500',
      inject: () => fake.failNext(500),
      expect: { retryable: true, code: 'mailgun_unavailable' },
    },
    {
      name: '401 Forbidden',
      inject: () => fake.failNext(401, 'Forbidden', { 'content-type': 'text/plain' }),
      expect: { retryable: false, code: 'mailgun_unauthorized' },
    },
    {
      name: '404 domain not found',
      inject: () => fake.failNext(404, JSON.stringify({ message: `Domain not found: ${DOMAIN}` })),
      expect: { retryable: false, code: 'mailgun_domain_not_found' },
    },
    {
      name: '400 bad parameter',
      inject: () => fake.failNext(400, JSON.stringify({ message: "'to' parameter is not a valid address" })),
      expect: { retryable: false, code: 'mailgun_rejected' },
    },
  ],
});

function ctxWith(settings: Record<string, unknown> = {}): AdapterContext {
  const account: ChannelAccount = {
    agentId: 'agent_contract',
    channel: 'email',
    provider: 'mailgun',
    enabled: true,
    settings: {
      from_email: 'support@shop.example',
      from_name: 'Shop Support',
      mailgun_config: { domain: DOMAIN },
      ...settings,
    },
    secret: async (field) =>
      ({ 'api_keys.mailgun': API_KEY, 'mailgun_config.webhook_signing_key': SIGNING_KEY })[field],
  };
  return {
    account,
    fetch,
    fetchPublic: fetch,
    now: Date.now,
    logger: captureLogger('silent').logger,
    apiRoots: { mailgun: fake.url },
    claimOnce,
    releaseClaim,
  };
}

describe('Mailgun specifics', () => {
  it('matches the providers.md §11 #6 signature vector', () => {
    expect(
      mailgunSignature(
        'key-signing-example',
        '1700000000',
        'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn',
      ),
    ).toBe('e6677cf32e768b9f131d0d356fdcf7cafd01d42906d3fa17d702bf97862527af');
  });

  it('refuses a token used twice, and fails closed without a replay store or a signing key', async () => {
    const ctx = ctxWith();
    const token = freshToken();
    const first = await mailgun.verifyInboundMail!(routeRequest(PARSED, { token }), ctx);
    expect(first.ok).toBe(true);
    expect(await mailgun.verifyInboundMail!(routeRequest(PARSED, { token }), ctx)).toMatchObject({
      ok: false,
      reason: 'token replayed',
    });
    // A post that could not be stored gives its token back: the provider's retry with it is admitted once.
    if (first.ok !== true) throw new Error('unreachable');
    await first.release?.();
    expect((await mailgun.verifyInboundMail!(routeRequest(PARSED, { token }), ctx)).ok).toBe(true);
    expect((await mailgun.verifyInboundMail!(routeRequest(PARSED, { token }), ctx)).ok).toBe(false);
    const noStore = { ...ctxWith(), claimOnce: undefined };
    expect((await mailgun.verifyInboundMail!(routeRequest(PARSED), noStore)).ok).toBe(false);
    const noKey = { ...ctx, account: { ...ctx.account, secret: async () => undefined } };
    expect((await mailgun.verifyInboundMail!(routeRequest(PARSED), noKey)).ok).toBe(false);
  });

  it('refuses a store() notification with 406 (no mail in it)', async () => {
    await expect(
      mailgun.parseInboundMail!(
        routeRequest({ 'message-url': 'https://storage.mailgun.net/v3/x', recipient: 'a@b.example' }),
        ctxWith(),
      ),
    ).rejects.toMatchObject({ status: 406 });
  });

  it('sends threading headers as h: fields and our id as a v: variable; stores the returned id', async () => {
    const before = fake.sends.length;
    const result = await mailgun.send!(
      {
        messageId: 'msg_01jd0000000000000000000003',
        idempotencyKey: 'msg_01jd0000000000000000000003',
        conversationId: 'conv_x',
        recipient: { platformUserId: RECIPIENT, chatId: RECIPIENT },
        text: 'See you **Friday**',
        channelMetadata: {
          email: { subject: 'Order', last_message_id: 'b@x.example', references: ['a@x.example'] },
        },
      },
      ctxWith(),
    );
    const sent = fake.sends[before]!;
    expect(result.providerMessageId).toBe(sent.id.slice(1, -1));
    expect(sent.fields).toMatchObject({
      from: ['"Shop Support" <support@shop.example>'],
      to: [RECIPIENT],
      subject: ['Re: Order'],
      'h:Message-Id': ['<msg_01jd0000000000000000000003@shop.example>'],
      'h:In-Reply-To': ['<b@x.example>'],
      'h:References': ['<a@x.example> <b@x.example>'],
      'h:Auto-Submitted': ['auto-replied'],
      'v:switchboard_message_id': ['msg_01jd0000000000000000000003'],
    });
  });

  it('keeps a stored sender name with line breaks or quotes on one line inside its quotes', async () => {
    // Validation refuses such a name now; one stored before must still not add a header or break the address.
    const before = fake.sends.length;
    await mailgun.send!(
      {
        messageId: 'msg_01jd0000000000000000000009',
        idempotencyKey: 'msg_01jd0000000000000000000009',
        conversationId: 'conv_x',
        recipient: { platformUserId: RECIPIENT, chatId: RECIPIENT },
        text: 'Hello',
      },
      ctxWith({ from_name: 'Shop "Support"\r\nBcc: all@example.com' }),
    );
    expect(fake.sends[before]!.fields.from).toEqual([
      '"Shop SupportBcc: all@example.com" <support@shop.example>',
    ]);
  });

  it('maps events by our id from user-variables: delivered, permanent failure blocks, temporary is ignored', async () => {
    const event = (data: object) => {
      const body = JSON.stringify({ signature: fake.signature(), 'event-data': data });
      return {
        method: 'POST',
        url: `${URL_}/events`,
        headers: new Headers({ 'content-type': 'application/json' }),
        body: new TextEncoder().encode(body),
      } as RawRequest;
    };
    const base = {
      recipient: 'Ana.Lima@customer.example',
      message: { headers: { 'message-id': '20261130.1.abc@mg.shop.example' } },
      'user-variables': { switchboard_message_id: 'msg_01jd0000000000000000000003' },
    };
    const delivered = event({
      ...base,
      event: 'delivered',
      id: 'ev1',
      timestamp: 1767225700.5,
      'delivery-status': { code: 250, message: 'OK' },
    });
    expect((await mailgun.verifyMailEvents!(delivered, ctxWith())).ok).toBe(true);
    expect(await mailgun.verifyMailEvents!(delivered, ctxWith())).toMatchObject({ ok: false }); // same token again
    expect(mailgun.parseMailEvents!(delivered, ctxWith())).toEqual([
      {
        kind: 'status',
        eventId: 'mailgun:ev1',
        providerMessageId: '20261130.1.abc@mg.shop.example',
        messageId: 'msg_01jd0000000000000000000003',
        status: 'delivered',
        at: '2026-01-01T00:01:40.500Z',
      },
    ]);
    const failed = event({
      ...base,
      event: 'failed',
      severity: 'permanent',
      reason: 'bounce',
      id: 'ev2',
      'delivery-status': { code: 550, message: '5.1.1 The email account does not exist' },
    });
    expect(mailgun.parseMailEvents!(failed, ctxWith())).toEqual([
      expect.objectContaining({
        kind: 'status',
        status: 'blocked',
        error: { code: '550', message: '5.1.1 The email account does not exist' },
      }),
      {
        kind: 'contact',
        eventId: 'mailgun:ev2:block',
        platformUserId: 'ana.lima@customer.example',
        blocked: true,
      },
    ]);
    expect(
      mailgun.parseMailEvents!(
        event({ ...base, event: 'failed', severity: 'temporary', id: 'ev3' }),
        ctxWith(),
      ),
    ).toEqual([]);
    expect(mailgun.parseMailEvents!(event({ ...base, event: 'complained', id: 'ev4' }), ctxWith())).toEqual([
      {
        kind: 'contact',
        eventId: 'mailgun:ev4:block',
        platformUserId: 'ana.lima@customer.example',
        blocked: true,
      },
    ]);
  });

  it('test: an active domain succeeds; an unverified one or a bad key fails in the spec shape', async () => {
    expect(await mailgun.test!(ctxWith())).toMatchObject({
      success: true,
      details: { domain: DOMAIN, state: 'active' },
    });
    fake.domainState = 'unverified';
    expect(await mailgun.test!(ctxWith())).toMatchObject({
      success: false,
      error: `Mailgun domain ${DOMAIN} is not active`,
    });
    fake.domainState = 'active';
    const other = ctxWith({ mailgun_config: { domain: 'other.example' } });
    expect(await mailgun.test!(other)).toMatchObject({
      success: false,
      error: expect.stringContaining('not found'),
    });
  });
});
