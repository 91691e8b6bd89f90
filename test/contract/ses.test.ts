import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInboundMail, type InboundMailSettings } from '../../src/channels/email/inbound.ts';
import { closeSesClients } from '../../src/channels/ses/client.ts';
import { ses } from '../../src/channels/ses/index.ts';
import { SES_MESSAGE_HEADER, SES_MESSAGE_TAG } from '../../src/channels/ses/send.ts';
import { clearSnsCertCache } from '../../src/channels/ses/sns.ts';
import type { AdapterContext, OutboundMessage, RawRequest } from '../../src/channels/types.ts';
import { createPublicFetch } from '../../src/net/outbound-guard.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { FakeSes } from '../helpers/fake-ses.ts';
import { FakeSns } from '../helpers/fake-sns.ts';
import { captureLogger } from '../helpers/logs.ts';
import { adapterContract } from './adapter-contract.ts';

const SECRET = 'contract-inbound-secret-0123456789abcdef';
const ACCESS_KEY = 'AKIACONTRACT0000TEST';
const SECRET_KEY = 'contractSecretKey/0123456789+abcdefghijk';
const RECIPIENT = 'ana.lima@customer.example';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-inbound';
const sesConfig = {
  region: 'eu-west-1',
  access_key_id: ACCESS_KEY,
  secret_access_key: SECRET_KEY,
  configuration_set_name: 'switchboard',
  sns_topic_arns: [TOPIC],
};

let fakeSes: FakeSes;

const fixture = (name: string) => readFileSync(new URL(`../fixtures/email/${name}`, import.meta.url), 'utf8');
const request = (payload: unknown, headers: Record<string, string>): RawRequest => ({
  method: 'POST',
  url: 'https://switchboard.example/api/v1/channels/webhooks/email/agent_contract',
  headers: new Headers({ 'content-type': 'message/rfc822', ...headers }),
  body: new TextEncoder().encode(String(payload)),
});
const basic = (user: string, secret: string) =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const snsHeaders = { 'x-amz-sns-message-type': 'Notification', 'x-amz-sns-topic-arn': TOPIC };
const parseMail = async (raw: Buffer, ctx: AdapterContext) =>
  (
    await readInboundMail(raw, {
      rawMailId: 'rawmail_contract',
      settings: ctx.account.settings as InboundMailSettings,
      auth: { resolver: fixtureResolver({}) },
    })
  ).events;

adapterContract({
  adapter: ses,
  config: {
    from_email: 'support@shop.example',
    from_name: 'Shop Support',
    inbound_secret: SECRET,
    ses_config: sesConfig,
    imap_config: { host: 'imap.shop.example', username: 'support', password: 'imap-contract-pw' },
  },
  invalidConfigs: [
    {
      config: { from_email: 'support@shop.example', ses_config: { region: 'Mars' } },
      field: 'ses_config.region',
    },
    {
      config: { from_email: 'support@shop.example', ses_config: { ...sesConfig, access_key_id: 'key' } },
      field: 'ses_config.access_key_id',
    },
    {
      config: { from_email: 'support@shop.example', ses_config: { ...sesConfig, sns_topic_arns: ['topic'] } },
      field: 'ses_config.sns_topic_arns.0',
    },
    {
      config: {
        from_email: 'support@shop.example',
        ses_config: { ...sesConfig, configuration_set_name: 'a b' },
      },
      field: 'ses_config.configuration_set_name',
    },
    { config: { from_email: 'nope', ses_config: sesConfig }, field: 'from_email' },
  ],
  async startFake() {
    fakeSes = await new FakeSes('eu-west-1').start();
    fakeSes.secrets.set(ACCESS_KEY, SECRET_KEY);
    fakeSes.verified.add('shop.example');
    return {
      apiRoots: { ses: fakeSes.url },
      stop: async () => {
        closeSesClients();
        await fakeSes.close();
      },
    };
  },
  // Email's inbound parsing is the shared MIME pipeline (SNS receipt notifications are unwrapped to raw mail first).
  parseAsync: (raw, ctx) => parseMail(Buffer.from(raw.body), ctx),
  signed: (payload) => request(payload, { authorization: basic('inbound', SECRET) }),
  forged: (payload) => [
    { name: 'wrong secret', request: request(payload, { authorization: basic('inbound', `${SECRET}x`) }) },
    { name: 'no credentials', request: request(payload, {}) },
    {
      name: 'an SNS post that is not a signed SNS message',
      request: request(JSON.stringify({ Type: 'Notification', Message: payload }), snsHeaders),
    },
  ],
  fixtures: [
    {
      name: 'Gmail reply with quoted history',
      payload: fixture('gmail-reply.eml'),
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({
            kind: 'message',
            providerMessageId: 'CAF=gmail-reply-1@mail.customer.example',
            sender: expect.objectContaining({ platformUserId: RECIPIENT }),
          }),
        ]),
    },
    {
      name: 'DSN for one of our mails: a status update',
      payload: fixture('dsn-bounce.eml')
        .replaceAll('{{ORIGINAL_ID}}', 'msg_01jcontract@shop.example')
        .replaceAll('{{ORIGINAL_LOCAL}}', 'c')
        .replaceAll('{{RECIPIENT}}', RECIPIENT),
      expect: (events) =>
        expect(events).toEqual([expect.objectContaining({ kind: 'status', status: 'blocked' })]),
    },
  ],
  unreachable: { apiRoots: { ses: 'http://127.0.0.1:1' } },
  recipient: { platformUserId: RECIPIENT, chatId: RECIPIENT },
  errorCases: [
    {
      name: 'TooManyRequestsException (throttling)',
      inject: () =>
        fakeSes.failNext({
          type: 'TooManyRequestsException',
          status: 429,
          message: 'Maximum sending rate exceeded.',
        }),
      expect: { retryable: true, code: 'ses_throttled', minRetryAfterMs: 2000 },
    },
    {
      name: 'throttling with Retry-After',
      inject: () =>
        fakeSes.failNext({
          type: 'TooManyRequestsException',
          status: 429,
          message: 'Slow down',
          headers: { 'retry-after': '7' },
        }),
      expect: { retryable: true, code: 'ses_throttled', minRetryAfterMs: 7000 },
    },
    {
      name: 'InternalFailure 500',
      inject: () => fakeSes.failNext({ type: 'InternalFailure', status: 500, message: 'Internal error' }),
      expect: { retryable: true, code: 'ses_unavailable' },
    },
    {
      name: 'MessageRejected',
      inject: () =>
        fakeSes.failNext({ type: 'MessageRejected', status: 400, message: 'Email address is not verified.' }),
      expect: { retryable: false, code: 'ses_messagerejected' },
    },
    {
      name: 'MessageRejected: the recipient is on the suppression list (a hard bounce)',
      inject: () =>
        fakeSes.failNext({
          type: 'MessageRejected',
          status: 400,
          message: 'The recipient address is on the account-level suppression list.',
        }),
      expect: { retryable: false, code: 'ses_suppressed', blocked: true },
    },
    {
      name: 'MailFromDomainNotVerifiedException',
      inject: () =>
        fakeSes.failNext({
          type: 'MailFromDomainNotVerifiedException',
          status: 400,
          message: 'MAIL FROM domain not verified',
        }),
      expect: { retryable: false, code: 'ses_mailfromdomainnotverified' },
    },
    {
      name: 'credentials refused',
      inject: () =>
        fakeSes.failNext({
          type: 'UnrecognizedClientException',
          status: 403,
          message: 'The security token included in the request is invalid.',
        }),
      expect: { retryable: false, code: 'ses_auth_failed' },
    },
  ],
});

describe('SES specifics', () => {
  const { logger } = captureLogger('debug');
  let fake: FakeSes;
  let sns: FakeSns;
  const saved = { ...process.env };
  const claimed = new Set<string>();
  const context = (
    sesSettings: Record<string, unknown>,
    secrets: Record<string, string> = {},
  ): AdapterContext => ({
    account: {
      agentId: 'agent_ses',
      channel: 'email',
      provider: 'ses',
      enabled: true,
      settings: { from_email: 'support@shop.example', ses_config: sesSettings },
      secret: async (field) => secrets[field],
    },
    fetch: sns.fetch,
    fetchPublic: createPublicFetch({ allowPrivate: false }),
    now: () => Date.now(),
    logger,
    apiRoots: { ses: fake.url },
    snsTrustedHosts: ['127.0.0.1:*'],
    claimOnce: async (key) => !claimed.has(key) && Boolean(claimed.add(key)),
  });
  const keyed = () =>
    context(
      { region: 'eu-west-1', access_key_id: ACCESS_KEY, sns_topic_arns: [TOPIC] },
      { 'ses_config.secret_access_key': SECRET_KEY, inbound_secret: SECRET },
    );
  const outbound = (n: number, channelMetadata?: Record<string, unknown>): OutboundMessage => ({
    messageId: `msg_01jses${n}`,
    idempotencyKey: `msg_01jses${n}`,
    conversationId: 'conv_ses',
    recipient: { platformUserId: RECIPIENT, chatId: RECIPIENT },
    text: 'Your **order** shipped.',
    ...(channelMetadata ? { channelMetadata } : {}),
  });

  beforeAll(async () => {
    fake = await new FakeSes('eu-west-1').start();
    fake.secrets.set(ACCESS_KEY, SECRET_KEY);
    fake.verified.add('support@shop.example');
    sns = await new FakeSns().start();
  }, 60_000);
  afterAll(async () => {
    process.env = saved;
    closeSesClients();
    await fake?.close();
    await sns?.close();
  });

  it('sends raw MIME with our threading headers, our id in References, a tag and a header', async () => {
    const thread = {
      subject: 'Order 42',
      last_message_id: 'CAF=ana-2@mail.customer.example',
      references: ['CAF=ana-1@mail.customer.example'],
    };
    const result = await ses.send?.(outbound(1, { email: thread }), keyed());
    expect(result?.providerMessageId).toBe(fake.sends.at(-1)?.messageId);
    const sent = fake.sends.at(-1);
    expect(sent?.body).toMatchObject({
      FromEmailAddress: 'support@shop.example',
      Destination: { ToAddresses: [RECIPIENT] },
      EmailTags: [{ Name: SES_MESSAGE_TAG, Value: 'msg_01jses1' }],
    });
    const raw = sent?.raw?.toString('utf8') ?? '';
    expect(raw).toMatch(/^Message-ID: <msg_01jses1@shop\.example>\r$/m);
    expect(raw).toMatch(/^In-Reply-To: <CAF=ana-2@mail\.customer\.example>\r$/m);
    expect(raw.replace(/\r\n\s+/g, ' ')).toMatch(
      /^References: <CAF=ana-1@mail\.customer\.example> <CAF=ana-2@mail\.customer\.example> <msg_01jses1@shop\.example>\r$/m,
    );
    expect(raw).toMatch(new RegExp(`^${SES_MESSAGE_HEADER}: msg_01jses1\\r$`, 'mi'));
    expect(raw).toMatch(/^Subject: Re: Order 42\r$/m);
    expect(sent?.accessKeyId).toBe(ACCESS_KEY);
  });

  it('without keys in ses_config, signs with credentials from the environment (AWS default chain)', async () => {
    const envKey = 'AKIAENVIRONMENT00001';
    const envSecret = 'environmentSecretKey/0123456789+abcdefgh';
    process.env.AWS_ACCESS_KEY_ID = envKey;
    process.env.AWS_SECRET_ACCESS_KEY = envSecret;
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    fake.secrets.set(envKey, envSecret);
    const ctx = context({ region: 'eu-west-1' });
    ctx.account.agentId = 'agent_ses_env';
    await ses.send?.(outbound(2), ctx);
    expect(fake.sends.at(-1)?.accessKeyId).toBe(envKey);
  });

  it('test: sending enabled and a verified identity; the spec shapes for both outcomes', async () => {
    expect(await ses.test?.(keyed())).toMatchObject({
      success: true,
      message: 'SES connection test successful',
      details: { region: 'eu-west-1', identity: 'support@shop.example' },
    });
    const other = keyed();
    other.account.settings = { ...other.account.settings, from_email: 'sales@other.example' };
    expect(await ses.test?.(other)).toMatchObject({
      success: false,
      error: 'The sender is not a verified SES identity',
    });
    fake.sendingEnabled = false;
    expect(await ses.test?.(keyed())).toMatchObject({
      success: false,
      error: 'Sending is disabled for this SES account',
    });
    fake.sendingEnabled = true;
    const wrong = context(
      { region: 'eu-west-1', access_key_id: ACCESS_KEY },
      { 'ses_config.secret_access_key': `${SECRET_KEY.slice(1)}x` },
    );
    wrong.account.agentId = 'agent_ses_wrong';
    const failed = await ses.test?.(wrong);
    expect(failed).toMatchObject({ success: false, error: 'SES authentication failed' });
    expect(JSON.stringify(failed)).not.toContain(SECRET_KEY.slice(1));
  });

  it('verifies SNS receipt notifications (v1 and v2) and reads the raw mail through the shared pipeline', async () => {
    clearSnsCertCache();
    const raw = fixture('gmail-reply.eml');
    for (const [version, encoding, content] of [
      ['1', 'UTF8', raw],
      ['2', 'BASE64', Buffer.from(raw).toString('base64')],
    ] as const) {
      const message = sns.message(
        {
          Type: 'Notification',
          TopicArn: TOPIC,
          Subject: 'Amazon SES Email Receipt Notification',
          Message: JSON.stringify({
            notificationType: 'Received',
            mail: { messageId: 'ses-inbound-1' },
            receipt: { spfVerdict: { status: 'PASS' }, action: { type: 'SNS', topicArn: TOPIC, encoding } },
            content,
          }),
        },
        { version },
      );
      const req = request(JSON.stringify(message), snsHeaders);
      expect(await ses.verifyInboundMail?.(req, keyed())).toEqual({ ok: true });
      const mails = (await ses.parseInboundMail?.(req, keyed())) ?? [];
      expect(mails).toEqual([
        {
          raw: Buffer.from(raw),
          composed: false,
          verdict: { provider: 'ses', spf: 'pass', mail_id: 'ses-inbound-1' },
        },
      ]);
      expect(await parseMail(mails[0]!.raw, keyed())).toEqual([
        expect.objectContaining({
          kind: 'message',
          providerMessageId: 'CAF=gmail-reply-1@mail.customer.example',
        }),
      ]);
    }
  });

  it('refuses SNS posts from other topics, with forged signatures or certificates from another host', async () => {
    const body = (fields: Parameters<FakeSns['message']>[0], options = {}) =>
      JSON.stringify(sns.message(fields, options));
    const cases = [
      [
        'other topic',
        request(body({ Type: 'Notification', TopicArn: `${TOPIC}-x`, Message: '{}' }), {
          ...snsHeaders,
          'x-amz-sns-topic-arn': `${TOPIC}-x`,
        }),
      ],
      [
        'forged signature',
        request(body({ Type: 'Notification', TopicArn: TOPIC, Message: '{}' }, { rogue: true }), snsHeaders),
      ],
      [
        'certificate from another host',
        request(
          body(
            { Type: 'Notification', TopicArn: TOPIC, Message: '{}' },
            { certUrl: `${sns.untrustedOrigin}${sns.certPath}` },
          ),
          snsHeaders,
        ),
      ],
      [
        'header type differs',
        request(body({ Type: 'Notification', TopicArn: TOPIC, Message: '{}' }), {
          ...snsHeaders,
          'x-amz-sns-message-type': 'SubscriptionConfirmation',
        }),
      ],
    ] as const;
    for (const [name, req] of cases) {
      expect((await ses.verifyInboundMail?.(req, keyed()))?.ok, name).toBe(false);
      expect((await ses.verifyMailEvents?.(req, keyed()))?.ok, name).toBe(false);
    }
    const plain = request(fixture('gmail-reply.eml'), { authorization: basic('inbound', SECRET) });
    expect((await ses.verifyInboundMail?.(plain, keyed()))?.ok, 'not SNS').toBe(false);
  });

  it('confirms a subscription once, never visits an unsubscribe', async () => {
    const confirmation = sns.message({
      Type: 'SubscriptionConfirmation',
      TopicArn: TOPIC,
      Message: 'You have chosen to subscribe',
    });
    const headers = { 'x-amz-sns-message-type': 'SubscriptionConfirmation', 'x-amz-sns-topic-arn': TOPIC };
    const before = sns.confirmations.length;
    for (let i = 0; i < 2; i++) {
      expect(await ses.verifyInboundMail?.(request(JSON.stringify(confirmation), headers), keyed())).toEqual({
        ok: 'handshake',
        status: 200,
        body: i === 0 ? 'subscription confirmed' : 'subscription already confirmed',
      });
    }
    expect(sns.confirmations.length - before).toBe(1);
    const unsubscribe = sns.message({ Type: 'UnsubscribeConfirmation', TopicArn: TOPIC, Message: 'bye' });
    const verdict = await ses.verifyMailEvents?.(
      request(JSON.stringify(unsubscribe), {
        ...headers,
        'x-amz-sns-message-type': 'UnsubscribeConfirmation',
      }),
      keyed(),
    );
    expect(verdict).toMatchObject({ ok: 'handshake', status: 200 });
    expect(sns.confirmations.length - before).toBe(1);
  });

  it('turns SES events into statuses by our id, and blocks hard-bounced and complaining recipients', () => {
    const eventRequest = (payload: Record<string, unknown>) =>
      request(
        JSON.stringify(
          sns.message({
            Type: 'Notification',
            TopicArn: TOPIC,
            Message: JSON.stringify({
              ...payload,
              mail: { messageId: 'ses-1', tags: { [SES_MESSAGE_TAG]: ['msg_01jses1'] } },
            }),
          }),
        ),
        snsHeaders,
      );
    expect(ses.parseMailEvents?.(eventRequest({ eventType: 'Delivery', delivery: {} }), keyed())).toEqual([
      expect.objectContaining({
        kind: 'status',
        status: 'delivered',
        providerMessageId: 'ses-1',
        messageId: 'msg_01jses1',
      }),
    ]);
    const bounce = ses.parseMailEvents?.(
      eventRequest({
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Permanent',
          bouncedRecipients: [{ emailAddress: RECIPIENT, status: '5.1.1' }],
        },
      }),
      keyed(),
    );
    expect(bounce).toEqual([
      expect.objectContaining({
        kind: 'status',
        status: 'blocked',
        error: expect.objectContaining({ code: '5.1.1' }),
      }),
      expect.objectContaining({ kind: 'contact', platformUserId: RECIPIENT, blocked: true }),
    ]);
    expect(
      ses.parseMailEvents?.(
        eventRequest({
          eventType: 'Complaint',
          complaint: { complainedRecipients: [{ emailAddress: RECIPIENT }] },
        }),
        keyed(),
      ),
    ).toEqual([expect.objectContaining({ kind: 'contact', platformUserId: RECIPIENT, blocked: true })]);
  });
});
