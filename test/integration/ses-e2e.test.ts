import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSesClients } from '../../src/channels/ses/client.ts';
import { clearSnsCertCache } from '../../src/channels/ses/sns.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { channelsPath, simpleMail } from '../helpers/email.ts';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.ts';
import { FakeSes, receivedNotification, type SesSend } from '../helpers/fake-ses.ts';
import { FakeSns } from '../helpers/fake-sns.ts';
import { createWorkspace, useFakeLlm, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { randomSecret } from '../helpers/secrets.ts';

const REGION = 'us-east-1';
const ACCESS_KEY = 'AKIAE2ETEST000000001';
const SECRET_KEY = randomSecret('', 20);
const INBOUND_TOPIC = 'arn:aws:sns:us-east-1:123456789012:switchboard-inbound';
const EVENTS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:switchboard-events';
const CUSTOMER = 'ana.lima@customer.example';

let app: TestApp;
let ses: FakeSes;
let sns: FakeSns;
let llm: FakeLlm;
let ws: Workspace;

beforeAll(async () => {
  clearSnsCertCache();
  ses = await new FakeSes(REGION).start();
  ses.secrets.set(ACCESS_KEY, SECRET_KEY);
  ses.verified.add('shop.example');
  sns = await new FakeSns().start();
  llm = await startFakeLlm();
  app = await startTestApp(
    { TURN_DEBOUNCE_MS: 'email=0', SES_ENDPOINT: ses.url, AWS_SNS_TRUSTED_HOSTS: '127.0.0.1:*' },
    undefined,
    { engine: {}, dnsResolver: fixtureResolver({}), fetch: sns.fetch },
  );
  ws = await createWorkspace(app, 'ses-e2e');
  await useFakeLlm(app, ws, llm.url);
  // The spec's configuration (Email option 4) plus the SNS topics and the configuration set.
  const put = await app.call('PUT', channelsPath(ws), {
    token: ws.owner.token,
    body: {
      email: {
        enabled: true,
        provider: 'ses',
        from_email: 'support@shop.example',
        from_name: 'Support Team',
        ses_config: {
          region: REGION,
          access_key_id: ACCESS_KEY,
          secret_access_key: SECRET_KEY,
          configuration_set_name: 'switchboard',
          sns_topic_arns: [INBOUND_TOPIC, EVENTS_TOPIC],
        },
      },
    },
  });
  expect(put.status, put.text).toBe(200);
}, 120_000);

afterAll(async () => {
  await app?.close();
  closeSesClients();
  await ses?.close();
  await sns?.close();
  await llm?.close();
});

const inboundUrl = () => `${app.url}/api/v1/channels/webhooks/email/${ws.agentId}`;
const eventsUrl = () => `${inboundUrl()}/events`;
const count = async (sql: string, params: unknown[]) =>
  Number((await app.database.query<{ n: number }>(sql, params))[0]?.n ?? 0);
const rawMails = () => count(`select count(*)::int as n from raw_mails where agent_id = $1`, [ws.agentId]);
const notify = (topicArn: string, message: string, options: Parameters<FakeSns['message']>[1] = {}) =>
  sns.message({ Type: 'Notification', TopicArn: topicArn, Message: message }, options);
const outbound = (sesId: string) =>
  app.database.query<{ id: string; status: string; error_code: string | null; conversation_id: string }>(
    `select id, status, error_code, conversation_id from messages where provider_message_id = $1`,
    [sesId],
  );

describe('Amazon SES end to end: SNS in, SESv2 out, SNS events', () => {
  it('tests the account: sending enabled and the sender domain verified', async () => {
    const res = await app.call('POST', `${channelsPath(ws)}/email/test`, { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ success: true, details: { region: REGION, identity: 'shop.example' } });
  });

  it('shows both URLs and what to configure in AWS', async () => {
    const res = await app.call('GET', `${channelsPath(ws)}/email/webhook/info`, { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.webhook_info.provider_setup).toMatchObject({
      inbound_url: expect.stringMatching(new RegExp(`/webhooks/email/${ws.agentId}$`)),
      events_url: expect.stringMatching(new RegExp(`/webhooks/email/${ws.agentId}/events$`)),
      sns_topic_arns: [INBOUND_TOPIC, EVENTS_TOPIC],
    });
  });

  it('confirms each subscription once (redeliveries included), never an unsubscribe, nothing stored', async () => {
    const before = await rawMails();
    for (const [url, topic] of [
      [inboundUrl(), INBOUND_TOPIC],
      [eventsUrl(), EVENTS_TOPIC],
    ] as const) {
      const confirmation = sns.message({
        Type: 'SubscriptionConfirmation',
        TopicArn: topic,
        Message: 'confirm',
      });
      expect((await sns.deliver(url, confirmation)).status).toBe(200);
      expect((await sns.deliver(url, confirmation)).status).toBe(200);
    }
    expect(sns.confirmations.map((c) => c.topicArn)).toEqual([INBOUND_TOPIC, EVENTS_TOPIC]);
    const unsubscribe = sns.message({
      Type: 'UnsubscribeConfirmation',
      TopicArn: INBOUND_TOPIC,
      Message: 'bye',
    });
    expect((await sns.deliver(inboundUrl(), unsubscribe)).status).toBe(200);
    const foreign = sns.message({
      Type: 'SubscriptionConfirmation',
      TopicArn: `${INBOUND_TOPIC}-other`,
      Message: 'x',
    });
    expect((await sns.deliver(inboundUrl(), foreign)).status).toBe(401);
    expect(sns.confirmations).toHaveLength(2);
    expect(await rawMails()).toBe(before);
  });

  it('refuses forged signatures, certificates from another host and other topics: 401, nothing stored', async () => {
    const before = await rawMails();
    const mail = receivedNotification(
      simpleMail({ from: CUSTOMER, subject: 'Forged', messageId: '<forged-1@customer.example>', body: 'x' }),
      { topicArn: INBOUND_TOPIC },
    );
    const forged = [
      notify(INBOUND_TOPIC, mail, { rogue: true }),
      notify(INBOUND_TOPIC, mail, { certUrl: `${sns.untrustedOrigin}${sns.certPath}` }),
      notify(INBOUND_TOPIC, mail, { certUrl: `https://sns.us-east-1.amazonaws.com.evil.example/x.pem` }),
      notify(`${INBOUND_TOPIC}-other`, mail),
      { ...notify(INBOUND_TOPIC, mail), Message: mail.replace('"PASS"', '"FAIL"') },
    ];
    for (const [i, message] of forged.entries()) {
      const res = await sns.deliver(inboundUrl(), message);
      expect(res.status, `forged #${i}: ${JSON.stringify(res.body)}`).toBe(401);
    }
    const event = await sns.deliver(eventsUrl(), notify(EVENTS_TOPIC, '{}', { rogue: true }));
    expect(event.status).toBe(401);
    expect(await rawMails()).toBe(before);
  });

  let firstSend: SesSend;
  let conversationId: string;

  it('an inbound mail through SNS is answered through SESv2 with threading headers, and the reply to it threads', async () => {
    llm.reply('Your order **#42** ships today.');
    const first = simpleMail({
      from: `Ana Lima <${CUSTOMER}>`,
      subject: 'Order #42',
      messageId: '<CAF=ses-first-42@mail.customer.example>',
      body: 'Hello, where is my order #42?',
    });
    const posted = await sns.deliver(
      inboundUrl(),
      notify(INBOUND_TOPIC, receivedNotification(first, { topicArn: INBOUND_TOPIC }), { version: '2' }),
    );
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const stored = await app.database.query<{ source: string; provider_verdict: Record<string, unknown> }>(
      `select source, provider_verdict from raw_mails where agent_id = $1 order by received_at desc limit 1`,
      [ws.agentId],
    );
    expect(stored[0]).toMatchObject({
      source: 'ses',
      provider_verdict: expect.objectContaining({ provider: 'ses', spf: 'pass' }),
    });

    firstSend = await eventually(() => ses.sends[0], 30_000);
    expect(firstSend.accessKeyId).toBe(ACCESS_KEY);
    expect(firstSend.body).toMatchObject({
      FromEmailAddress: 'support@shop.example',
      Destination: { ToAddresses: [CUSTOMER] },
      ConfigurationSetName: 'switchboard',
    });
    const mail = await simpleParser(firstSend.raw!);
    expect(mail.subject).toBe('Re: Order #42');
    expect(mail.from?.text).toBe('"Support Team" <support@shop.example>');
    expect(mail.inReplyTo).toBe('<CAF=ses-first-42@mail.customer.example>');
    const ownId = mail.messageId!;
    expect(ownId).toMatch(/^<msg_[0-9a-z]+@shop\.example>$/);
    expect(mail.references).toEqual(['<CAF=ses-first-42@mail.customer.example>', ownId]);
    expect(mail.text).toContain('Your order **#42** ships today.');
    // The fake has the send; the row gets SES's id and `sent` when the result is committed, just after.
    const row = await eventually(async () => (await outbound(firstSend.messageId))[0], 30_000);
    expect(row?.status).toBe('sent');
    expect(firstSend.body.EmailTags).toEqual([{ Name: 'switchboard_message_id', Value: row!.id }]);
    conversationId = row!.conversation_id;

    // SES rewrote the Message-ID: the customer's client answers <MessageId@email.amazonses.com>, our id in References.
    // The conversation is closed first, so only the thread match (our id) can bring the reply back to it.
    await app.database.query(`update conversations set status = 'closed', closed_at = now() where id = $1`, [
      conversationId,
    ]);
    llm.reply('You are welcome.');
    const sesMessageId = `<${firstSend.messageId}@email.amazonses.com>`;
    const reply = simpleMail({
      from: `Ana Lima <${CUSTOMER}>`,
      subject: 'Re: Order #42',
      messageId: '<CAF=ses-second-42@mail.customer.example>',
      body: 'Great, thank you!',
      headers: [
        `In-Reply-To: ${sesMessageId}`,
        `References: <CAF=ses-first-42@mail.customer.example> ${ownId} ${sesMessageId}`,
      ],
    });
    expect(
      (
        await sns.deliver(
          inboundUrl(),
          notify(INBOUND_TOPIC, receivedNotification(reply, { topicArn: INBOUND_TOPIC, encoding: 'UTF8' })),
        )
      ).status,
    ).toBe(200);
    const second = await eventually(() => ses.sends[1], 30_000);
    const secondMail = await simpleParser(second.raw!);
    expect(secondMail.inReplyTo).toBe('<CAF=ses-second-42@mail.customer.example>');
    const secondRow = await eventually(async () => (await outbound(second.messageId))[0], 30_000);
    expect(secondRow?.conversation_id).toBe(conversationId);
  });

  it('a Delivery event marks the reply delivered; a permanent Bounce marks it failed and blocks the address', async () => {
    expect(
      (await sns.deliver(eventsUrl(), notify(EVENTS_TOPIC, ses.eventFor(firstSend, { type: 'Delivery' }))))
        .status,
    ).toBe(200);
    await eventually(
      async () => ((await outbound(firstSend.messageId))[0]?.status === 'delivered' ? true : undefined),
      30_000,
    );

    const second = ses.sends[1]!;
    const bounce = ses.eventFor(second, { type: 'Bounce', bounceType: 'Permanent', status: '5.1.1' });
    expect((await sns.deliver(eventsUrl(), notify(EVENTS_TOPIC, bounce))).status).toBe(200);
    const failed = await eventually(async () => {
      const [row] = await outbound(second.messageId);
      return row?.status === 'failed' ? row : undefined;
    }, 30_000);
    expect(failed.error_code).toBe('5.1.1');
    const blocked = await eventually(
      async () =>
        (await count(
          `select count(*)::int as n from contact_identities
           where agent_id = $1 and channel = 'email' and platform_user_id like $2 and blocked_at is not null`,
          [ws.agentId, `%${CUSTOMER}`],
        )) || undefined,
      30_000,
    );
    expect(blocked).toBe(1);
  });

  it('a Complaint about a delivered reply blocks the complaining address', async () => {
    const bob = 'bob@customer.example';
    llm.reply('Here is our catalogue.');
    const mail = simpleMail({
      from: bob,
      subject: 'Catalogue',
      messageId: '<bob-1@customer.example>',
      body: 'Send me the catalogue',
    });
    const sent = ses.sends.length;
    expect(
      (
        await sns.deliver(
          inboundUrl(),
          notify(INBOUND_TOPIC, receivedNotification(mail, { topicArn: INBOUND_TOPIC })),
        )
      ).status,
    ).toBe(200);
    const reply = await eventually(() => ses.sends[sent], 30_000);
    expect(reply.body.Destination.ToAddresses).toEqual([bob]);
    await sns.deliver(eventsUrl(), notify(EVENTS_TOPIC, ses.eventFor(reply, { type: 'Delivery' })));
    await eventually(
      async () => ((await outbound(reply.messageId))[0]?.status === 'delivered' ? true : undefined),
      30_000,
    );
    expect(
      (await sns.deliver(eventsUrl(), notify(EVENTS_TOPIC, ses.eventFor(reply, { type: 'Complaint' }))))
        .status,
    ).toBe(200);
    const blocked = await eventually(
      async () =>
        (await count(
          `select count(*)::int as n from contact_identities
           where agent_id = $1 and channel = 'email' and platform_user_id like $2 and blocked_at is not null`,
          [ws.agentId, `%${bob}`],
        )) || undefined,
      30_000,
    );
    expect(blocked).toBe(1);
    expect((await outbound(reply.messageId))[0]?.status).toBe('delivered');
  });

  it('with no keys in ses_config, signs with credentials from the environment (AWS default chain)', async () => {
    const saved = { ...process.env };
    const envKey = 'AKIAENVCHAIN00000001';
    const envSecret = randomSecret('', 20);
    ses.secrets.set(envKey, envSecret);
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: envKey,
      AWS_SECRET_ACCESS_KEY: envSecret,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    try {
      const other = await createWorkspace(app, 'ses-env');
      const put = await app.call('PUT', channelsPath(other), {
        token: other.owner.token,
        body: {
          email: {
            enabled: true,
            provider: 'ses',
            from_email: 'support@shop.example',
            ses_config: { region: REGION },
          },
        },
      });
      expect(put.status, put.text).toBe(200);
      const seen = ses.accessKeys.length;
      const res = await app.call('POST', `${channelsPath(other)}/email/test`, { token: other.owner.token });
      expect(res.body, res.text).toMatchObject({ success: true });
      expect(new Set(ses.accessKeys.slice(seen))).toEqual(new Set([envKey]));
    } finally {
      process.env = saved;
    }
  });
});
