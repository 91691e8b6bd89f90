import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSmtpPools } from '../../src/channels/smtp/transport.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { channelsPath, configureEmail, postMail, simpleMail } from '../helpers/email.ts';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.ts';
import { createWorkspace, useFakeLlm, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { SmtpPeer } from '../helpers/smtp-peer.ts';

const SMTP_USER = 'relay-user';
const SMTP_PASS = 'relay-pass-7f3a9c';
let app: TestApp;
let peer: SmtpPeer;
let llm: FakeLlm;
let ws: Workspace;
let secret: string;

beforeAll(async () => {
  peer = await new SmtpPeer(SMTP_USER, SMTP_PASS).start();
  llm = await startFakeLlm();
  app = await startTestApp({ TURN_DEBOUNCE_MS: 'email=0', EMAIL_TLS_CA_FILE: peer.caFile }, undefined, {
    engine: {},
    dnsResolver: fixtureResolver({}),
  });
  ws = await createWorkspace(app, 'mail-e2e');
  await useFakeLlm(app, ws, llm.url, { system_prompt: 'On Email, be formal and detailed.' });
  secret = await configureEmail(app, ws, {
    from_name: 'Shop Support',
    smtp_config: {
      host: '127.0.0.1',
      port: peer.port,
      secure: false,
      username: SMTP_USER,
      password: SMTP_PASS,
    },
  });
});

afterAll(async () => {
  await app?.close();
  closeSmtpPools();
  await peer?.close();
  await llm?.close();
});

const conversationsPath = () =>
  `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/conversations`;

describe('email end to end: raw MIME in, SMTP out', () => {
  it('tests the SMTP connection: STARTTLS and AUTH succeed', async () => {
    const res = await app.call('POST', `${channelsPath(ws)}/email/test`, { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      message: 'SMTP connection test successful',
      details: { host: '127.0.0.1', port: peer.port, tls: 'starttls', authenticated: true },
    });
  });

  it('answers a mail with one threaded multipart/alternative reply, and the answer to it stays in the conversation', async () => {
    llm.reply('Your order **#42** ships today.\n\nSee [tracking](https://track.example/42).');
    const first = simpleMail({
      from: 'Ana Lima <Ana.Lima@customer.example>',
      subject: 'Order #42',
      messageId: '<CAF=first-42@mail.customer.example>',
      body: 'Hello, where is my order #42?',
    });
    expect((await postMail(app, ws.agentId, first, { secret })).status).toBe(200);
    const sent = await eventually(() => peer.received[0], 20_000);
    expect(sent.to).toEqual(['ana.lima@customer.example']);
    expect(sent.user).toBe(SMTP_USER);
    const mail = await simpleParser(sent.raw);
    expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(mail.subject).toBe('Re: Order #42');
    expect(mail.from?.text).toBe('"Shop Support" <support@shop.example>');
    expect(mail.inReplyTo).toBe('<CAF=first-42@mail.customer.example>');
    expect(mail.references).toEqual('<CAF=first-42@mail.customer.example>');
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mail.text).toContain('Your order **#42** ships today.');
    expect(mail.html).toContain('<strong>#42</strong>');
    expect(mail.html).toContain('href="https://track.example/42"');
    expect(mail.messageId).toMatch(/^<msg_[0-9a-z]+@shop\.example>$/);

    const list = await app.call(
      'GET',
      `${conversationsPath()}?user_identifier=email:ana.lima@customer.example`,
      {
        token: ws.owner.token,
      },
    );
    expect(list.body.data).toHaveLength(1);
    const conversationId = list.body.data[0]._id;
    expect(list.body.data[0].channel_metadata).toMatchObject({
      platform_user_id: 'email:ana.lima@customer.example',
      email: { subject: 'Order #42' },
    });

    llm.reply('You are welcome.');
    const reply = [
      'From: Ana Lima <ana.lima@customer.example>',
      'To: Shop Support <support@shop.example>',
      'Subject: Re: Order #42',
      'Message-ID: <CAF=second-42@mail.customer.example>',
      `In-Reply-To: ${mail.messageId}`,
      `References: <CAF=first-42@mail.customer.example> ${mail.messageId}`,
      'Date: Sun, 29 Nov 2026 11:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Great, thank you!',
      '',
      'On Sun, 29 Nov 2026 at 10:01, Shop Support <support@shop.example> wrote:',
      '> Your order **#42** ships today.',
      '',
    ].join('\r\n');
    expect((await postMail(app, ws.agentId, reply, { secret })).status).toBe(200);
    const second = await eventually(() => peer.received[1], 20_000);
    const secondMail = await simpleParser(second.raw);
    expect(secondMail.subject).toBe('Re: Order #42');
    expect(secondMail.inReplyTo).toBe('<CAF=second-42@mail.customer.example>');
    expect(secondMail.references).toEqual([
      '<CAF=first-42@mail.customer.example>',
      mail.messageId,
      '<CAF=second-42@mail.customer.example>',
    ]);
    expect(llm.requests.at(-1)?.body.messages.at(-1).content).toBe('Great, thank you!');

    // The reply is recorded as sent once the SMTP send returned: a moment after the peer has the mail.
    const detail = await eventually(async () => {
      const res = await app.call('GET', `${conversationsPath()}/${conversationId}`, {
        token: ws.owner.token,
      });
      const statuses = res.body.data.messages
        .filter((m: { role: string }) => m.role === 'assistant')
        .map((m: { status: string }) => m.status);
      return statuses.length === 2 && statuses.every((s: string) => s !== 'queued') ? res : undefined;
    }, 20_000);
    const userMessages = detail.body.data.messages.filter((m: { role: string }) => m.role === 'user');
    expect(userMessages.map((m: { content: string }) => m.content)).toEqual([
      'Hello, where is my order #42?',
      'Great, thank you!',
    ]);
    expect(userMessages[1].metadata.email.full_text).toContain('wrote:');
    expect(userMessages[1].metadata.email.auth).toMatchObject({
      dkim: 'none',
      dmarc: 'none',
      verified: false,
    });
    const sentMessages = detail.body.data.messages.filter((m: { role: string }) => m.role === 'assistant');
    expect(sentMessages.map((m: { status: string }) => m.status)).toEqual(['sent', 'sent']);
    expect(sentMessages[0].provider_message_id).toBe(mail.messageId?.slice(1, -1));

    const channels = await app.call('GET', channelsPath(ws), { token: ws.owner.token });
    expect(channels.body.data.analytics.total_messages_by_channel.email).toBe(4);
    expect(peer.received).toHaveLength(2);
  });
});
