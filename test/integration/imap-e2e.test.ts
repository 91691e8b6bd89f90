import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSmtpPools } from '../../src/channels/smtp/transport.ts';
import type { Database } from '../../src/db/client.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { type Dovecot, skipWithoutDovecot, startDovecot } from '../helpers/dovecot.ts';
import { channelsPath, configureEmail, simpleMail } from '../helpers/email.ts';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.ts';
import { createWorkspace, useFakeLlm, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { randomSecret } from '../helpers/secrets.ts';
import { SmtpPeer } from '../helpers/smtp-peer.ts';

/** IMAP in, SMTP out: a mail delivered to a real Dovecot mailbox is answered once through the real engine. */
const SMTP_USER = 'relay-user';
const SMTP_PASS = randomSecret('relay-pass-');
const IMAP_USER = 'support';
const IMAP_PASS = randomSecret('imap-pass-');

describe.skipIf(skipWithoutDovecot)('email end to end: IMAP in, SMTP out', () => {
  let dovecot: Dovecot;
  let peer: SmtpPeer;
  let llm: FakeLlm;
  let database: Database;
  let app: TestApp;
  let ws: Workspace;

  const start = () =>
    startTestApp(
      { TURN_DEBOUNCE_MS: 'email=0', EMAIL_TLS_CA_FILE: peer.caFile, IMAP_LEASE_TTL_MS: '3000' },
      undefined,
      { engine: {}, dnsResolver: fixtureResolver({}), database },
    );
  const imapState = async () => {
    const res = await app.call('GET', `${channelsPath(ws)}/email/webhook/info`, { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    return res.body.webhook_info.imap;
  };
  const connected = () =>
    eventually(async () => {
      const imap = await imapState();
      return imap?.state === 'connected' ? imap : undefined;
    }, 20_000);
  const putEmail = (email: Record<string, unknown>) =>
    app.call('PUT', channelsPath(ws), { token: ws.owner.token, body: { email } });

  // Dovecot, the database and the app start together: give a loaded machine room.
  beforeAll(async () => {
    dovecot = await startDovecot();
    dovecot.setUser(IMAP_USER, IMAP_PASS);
    peer = await new SmtpPeer(SMTP_USER, SMTP_PASS).start();
    llm = await startFakeLlm();
    database = await createTestDatabase();
    app = await start();
    ws = await createWorkspace(app, 'imap-e2e');
    await useFakeLlm(app, ws, llm.url);
    await configureEmail(app, ws, {
      from_name: 'Shop Support',
      smtp_config: {
        host: '127.0.0.1',
        port: peer.port,
        secure: false,
        username: SMTP_USER,
        password: SMTP_PASS,
      },
      imap_config: {
        host: dovecot.host,
        port: dovecot.port,
        secure: false,
        username: IMAP_USER,
        password: IMAP_PASS,
      },
    });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    closeSmtpPools();
    await database?.close();
    await peer?.close();
    await llm?.close();
    await dovecot?.close();
  });

  it('tests SMTP and the IMAP mailbox, and shows the poller state in webhook/info', async () => {
    const res = await app.call('POST', `${channelsPath(ws)}/email/test`, { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      details: { authenticated: true, imap: { host: '127.0.0.1', port: dovecot.port, mailbox: 'INBOX' } },
    });
    const imap = await connected();
    expect(imap).toMatchObject({ held: true, error: null });
    const config = await app.call('GET', channelsPath(ws), { token: ws.owner.token });
    expect(config.body.data.email.imap_config).toMatchObject({
      host: '127.0.0.1',
      mailbox: 'INBOX',
      password: { configured: true },
    });
  });

  it('answers a delivered mail once, flags it \\Seen, and never again after a restart', async () => {
    llm.reply('Thanks, we are on it.');
    const uid = await dovecot.deliver(
      IMAP_USER,
      simpleMail({
        from: 'Bo Chen <bo@customer.example>',
        subject: 'Broken lamp',
        messageId: '<lamp-1@customer.example>',
        body: 'My lamp arrived broken.',
      }),
    );
    const sent = await eventually(() => peer.received[0], 20_000);
    const reply = await simpleParser(sent.raw);
    expect(sent.to).toEqual(['bo@customer.example']);
    expect(reply.subject).toBe('Re: Broken lamp');
    expect(reply.inReplyTo).toBe('<lamp-1@customer.example>');
    await eventually(async () => ((await dovecot.flags(IMAP_USER, uid)).has('\\Seen') ? true : undefined));
    await eventually(async () => ((await imapState()).last_uid === uid ? true : undefined));

    // Restart, as after a crash between the commit and \Seen: the mail is unseen and the cursor behind it.
    await app.close();
    await dovecot.removeFlags(IMAP_USER, uid, ['\\Seen']);
    await database.query('update imap_mailboxes set last_uid = 0, uid_validity = null');
    app = await start();
    await eventually(
      async () => ((await dovecot.flags(IMAP_USER, uid)).has('\\Seen') ? true : undefined),
      20_000,
    );
    await connected();

    llm.reply('Here is your refund.');
    await dovecot.deliver(
      IMAP_USER,
      simpleMail({
        from: 'Bo Chen <bo@customer.example>',
        subject: 'Refund?',
        messageId: '<refund-2@customer.example>',
        body: 'Can I have a refund?',
      }),
    );
    const second = await eventually(() => peer.received[1], 20_000);
    expect((await simpleParser(second.raw)).subject).toBe('Re: Refund?');
    expect(peer.received).toHaveLength(2);
    expect(llm.requests).toHaveLength(2);
  });

  it('stops the poller when the channel is disabled, restarts it on a new password, and reports a wrong one', async () => {
    expect((await putEmail({ enabled: false })).status).toBe(200);
    await eventually(async () => ((await imapState()).state === 'stopped' ? true : undefined));

    const wrong = randomSecret('wrong-imap-');
    expect((await putEmail({ enabled: true, imap_config: { password: wrong } })).status).toBe(200);
    const failing = await eventually(async () => {
      const imap = await imapState();
      return imap.state === 'error' ? imap : undefined;
    }, 20_000);
    expect(failing.error).toMatch(/^authentication failed/);
    const test = await app.call('POST', `${channelsPath(ws)}/email/test`, { token: ws.owner.token });
    expect(test.body).toMatchObject({
      success: false,
      error: 'IMAP connection test failed',
      details: expect.stringMatching(/^authentication failed/),
    });

    expect((await putEmail({ imap_config: { password: IMAP_PASS } })).status).toBe(200);
    await connected();
    expect((await putEmail({ imap_config: null })).status).toBe(200);
    await eventually(async () => {
      const [row] = await database.query<{ state: string }>('select state from imap_mailboxes');
      return row?.state === 'stopped' ? true : undefined;
    });
    const info = await app.call('GET', `${channelsPath(ws)}/email/webhook/info`, { token: ws.owner.token });
    expect(info.body.webhook_info.imap).toBeNull();
  });
});
