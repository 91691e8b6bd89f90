import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { readInboundMail, type InboundMailSettings } from '../../src/channels/email/inbound.ts';
import { smtp } from '../../src/channels/smtp/index.ts';
import { closeSmtpPools } from '../../src/channels/smtp/transport.ts';
import type { RawRequest } from '../../src/channels/types.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { SmtpPeer } from '../helpers/smtp-peer.ts';
import { adapterContract } from './adapter-contract.ts';

const SECRET = 'contract-inbound-secret-0123456789abcdef';
const PASSWORD = 'contract-smtp-password-42';
const RECIPIENT = 'ana.lima@customer.example';
const smtpConfig = { host: '127.0.0.1', port: 2525, secure: false, username: 'contract', password: PASSWORD };

let peer: SmtpPeer;

const fixture = (name: string) => readFileSync(new URL(`../fixtures/email/${name}`, import.meta.url), 'utf8');
const request = (payload: unknown, headers: Record<string, string>): RawRequest => ({
  method: 'POST',
  url: 'https://switchboard.example/api/v1/channels/webhooks/email/agent_contract',
  headers: new Headers({ 'content-type': 'message/rfc822', ...headers }),
  body: new TextEncoder().encode(String(payload)),
});
const basic = (user: string, secret: string) =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

/** An IMAP mailbox is optional on every email provider; its password is a secret field too. */
const IMAP_CONFIG = { host: 'imap.shop.example', username: 'support', password: 'imap-contract-pw' };

adapterContract({
  adapter: smtp,
  config: {
    from_email: 'support@shop.example',
    from_name: 'Shop Support',
    inbound_secret: SECRET,
    smtp_config: smtpConfig,
    imap_config: IMAP_CONFIG,
  },
  invalidConfigs: [
    { config: { from_email: 'not-an-address', smtp_config: smtpConfig }, field: 'from_email' },
    {
      config: { from_email: 'a@b.example', smtp_config: { ...smtpConfig, port: 70000 } },
      field: 'smtp_config.port',
    },
    {
      config: { from_email: 'a@b.example', smtp_config: { ...smtpConfig, host: 'bad host' } },
      field: 'smtp_config.host',
    },
    {
      config: { from_email: 'a@b.example', smtp_config: smtpConfig, inbound_secret: 'short' },
      field: 'inbound_secret',
    },
    {
      config: {
        from_email: 'a@b.example',
        smtp_config: smtpConfig,
        imap_config: { ...IMAP_CONFIG, port: 0 },
      },
      field: 'imap_config.port',
    },
  ],
  async startFake() {
    peer = await new SmtpPeer('contract', PASSWORD).start();
    return {
      settings: { smtp_config: { ...smtpConfig, port: peer.port } },
      context: { tlsCaFile: peer.caFile },
      stop: async () => {
        closeSmtpPools();
        await peer.close();
      },
    };
  },
  // Email's inbound parsing is the shared MIME pipeline, run in a job after the raw mail is stored.
  parseAsync: async (raw, ctx) =>
    (
      await readInboundMail(Buffer.from(raw.body), {
        rawMailId: 'rawmail_contract',
        settings: ctx.account.settings as InboundMailSettings,
        auth: { resolver: fixtureResolver({}) },
      })
    ).events,
  signed: (payload) => request(payload, { authorization: basic('inbound', SECRET) }),
  forged: (payload) => [
    { name: 'wrong secret', request: request(payload, { authorization: basic('inbound', `${SECRET}x`) }) },
    { name: 'wrong user', request: request(payload, { authorization: basic('admin', SECRET) }) },
    { name: 'wrong header secret', request: request(payload, { 'x-inbound-secret': SECRET.slice(0, 12) }) },
    { name: 'no credentials', request: request(payload, {}) },
  ],
  fixtures: [
    {
      name: 'Gmail reply with quoted history',
      payload: fixture('gmail-reply.eml'),
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({
            kind: 'message',
            eventId: 'rawmail:rawmail_contract',
            providerMessageId: 'CAF=gmail-reply-1@mail.customer.example',
            text: 'Thanks! Can you send it to my office instead?\n\nAna',
            sender: expect.objectContaining({ platformUserId: RECIPIENT, chatId: RECIPIENT }),
            inReplyTo: ['msg_01jexample@shop.example', 'CAF=first-42@mail.customer.example'],
          }),
        ]),
    },
    {
      name: 'out-of-office: recorded, never answered',
      payload: fixture('out-of-office.eml'),
      expect: (events) =>
        expect(events).toEqual([expect.objectContaining({ kind: 'message', noReply: 'auto_submitted' })]),
    },
    {
      name: 'DSN for one of our mails: a status update',
      payload: fixture('dsn-bounce.eml')
        .replaceAll('{{ORIGINAL_ID}}', 'msg_01jcontract@shop.example')
        .replaceAll('{{ORIGINAL_LOCAL}}', 'c')
        .replaceAll('{{RECIPIENT}}', RECIPIENT),
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({
            kind: 'status',
            providerMessageId: 'msg_01jcontract@shop.example',
            status: 'blocked',
            error: expect.objectContaining({ code: '5.1.1' }),
          }),
        ]),
    },
  ],
  unreachable: { settings: { smtp_config: { ...smtpConfig, port: 1 } } },
  recipient: { platformUserId: RECIPIENT, chatId: RECIPIENT },
  errorCases: [
    {
      name: '451 temporary failure',
      inject: () => peer.failNext('temporary'),
      expect: { retryable: true, code: 'smtp_temporary' },
    },
    {
      name: '554 message rejected',
      inject: () => peer.failNext('rejected'),
      expect: { retryable: false, code: 'smtp_rejected' },
    },
    {
      name: '550 5.1.1 unknown recipient: a hard bounce',
      inject: () => peer.rejectRecipients.add(RECIPIENT),
      expect: { retryable: false, code: 'smtp_recipient_rejected', blocked: true },
    },
  ],
});
