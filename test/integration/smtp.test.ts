import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/channels/errors.ts';
import { smtp } from '../../src/channels/smtp/index.ts';
import { closeSmtpPools } from '../../src/channels/smtp/transport.ts';
import type { AdapterContext, OutboundMessage } from '../../src/channels/types.ts';
import { createPublicFetch } from '../../src/net/outbound-guard.ts';
import { captureLogger } from '../helpers/logs.ts';
import { SmtpPeer } from '../helpers/smtp-peer.ts';

const PASSWORD = 'right-password-123';
let starttls: SmtpPeer;
let implicit: SmtpPeer;
const { logger, lines } = captureLogger('debug');

beforeAll(async () => {
  starttls = await new SmtpPeer('user', PASSWORD).start();
  implicit = await new SmtpPeer('user', PASSWORD, true).start();
});
afterAll(async () => {
  closeSmtpPools();
  await starttls?.close();
  await implicit?.close();
});

function context(peer: SmtpPeer, overrides: { password?: string; secure?: boolean; agent?: string } = {}) {
  const password = overrides.password ?? PASSWORD;
  return {
    account: {
      agentId: overrides.agent ?? 'agent_smtp',
      channel: 'email',
      provider: 'smtp',
      enabled: true,
      settings: {
        from_email: 'support@shop.example',
        smtp_config: {
          host: '127.0.0.1',
          port: peer.port,
          secure: overrides.secure ?? false,
          username: 'user',
        },
      },
      secret: async (field: string) => (field === 'smtp_config.password' ? password : undefined),
    },
    fetch,
    fetchPublic: createPublicFetch({ allowPrivate: false }),
    now: Date.now,
    logger,
    tlsCaFile: peer.caFile,
  } satisfies AdapterContext;
}

const message = (text: string, metadata?: Record<string, unknown>): OutboundMessage => ({
  messageId: 'msg_01jsmtptest',
  idempotencyKey: 'msg_01jsmtptest',
  conversationId: 'conv_1',
  recipient: { platformUserId: 'ana@customer.example', chatId: 'ana@customer.example' },
  text,
  ...(metadata ? { channelMetadata: metadata } : {}),
});

describe('SMTP adapter against smtp-server', () => {
  it('reports a wrong password as an authentication failure, in test and in send (permanent, no secret)', async () => {
    const ctx = context(starttls, { password: 'wrong-password-999', agent: 'agent_wrong' });
    const result = await smtp.test?.(ctx);
    expect(result).toMatchObject({ success: false, error: 'SMTP authentication failed' });
    expect(JSON.stringify(result)).not.toContain('wrong-password-999');
    const error = await smtp.send?.(message('hi'), ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ code: 'smtp_auth_failed', retryable: false });
    expect(String((error as Error).message)).not.toContain('wrong-password-999');
    expect(lines.join('\n')).not.toContain('wrong-password-999');
  });

  it('sends over implicit TLS when secure is true, and tests the connection', async () => {
    const ctx = context(implicit, { secure: true, agent: 'agent_implicit' });
    expect(await smtp.test?.(ctx)).toMatchObject({ success: true, details: { tls: 'implicit' } });
    const result = await smtp.send?.(message('Over TLS'), ctx);
    expect(result?.providerMessageId).toBe('msg_01jsmtptest@shop.example');
    expect(implicit.received).toHaveLength(1);
  });

  it('refuses a server certificate it does not trust', async () => {
    const ctx = { ...context(starttls, { agent: 'agent_untrusted' }), tlsCaFile: implicit.caFile };
    expect(await smtp.test?.(ctx)).toMatchObject({
      success: false,
      error: 'Failed to connect to the SMTP server',
    });
  });

  it('sends sanitized HTML: no scripts, images or javascript: links; Re: once; bounded References', async () => {
    const references = Array.from({ length: 40 }, (_, i) => `ref-${i}@x.example`);
    const text =
      'Hello <script>alert(1)</script> [bad](javascript:alert(1)) ![pixel](https://t.example/p.gif) [ok](https://ok.example)';
    await smtp.send?.(
      message(text, { email: { subject: 'Re: Re: Hello', last_message_id: 'ref-39@x.example', references } }),
      context(starttls, { agent: 'agent_html' }),
    );
    const mail = await simpleParser(starttls.received.at(-1)?.raw ?? Buffer.alloc(0));
    expect(mail.subject).toBe('Re: Hello');
    expect(mail.html).not.toMatch(/<script|<img|javascript:/i);
    expect(mail.html).toContain('href="https://ok.example"');
    const refs = mail.references as string[];
    expect(refs.length).toBeLessThanOrEqual(30);
    expect(refs.at(-1)).toBe('<ref-39@x.example>');
    expect(mail.inReplyTo).toBe('<ref-39@x.example>');
    expect(mail.text).toContain('Hello');
  });
});

describe('outbound attachments', () => {
  const pdf = Buffer.from('%PDF-1.4\n% attachment under test\n%%EOF\n');
  let files: Server;
  let filesUrl = '';
  beforeAll(async () => {
    files = createServer((req, res) => {
      if (req.url === '/invoice.pdf')
        return res.writeHead(200, { 'content-type': 'application/pdf' }).end(pdf);
      if (req.url === '/huge.bin') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(1024 * 1024);
        for (let i = 0; i < 11; i++) res.write(chunk);
        return res.end();
      }
      return res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => files.close(() => resolve())));

  const withAttachment = (url: string): OutboundMessage => ({
    ...message('Your invoice is attached.'),
    attachments: [{ type: 'document', url }],
  });

  it('fetches the URL through the outbound guard and attaches it to the one email', async () => {
    const ctx = {
      ...context(starttls, { agent: 'agent_files' }),
      fetchPublic: createPublicFetch({ allowPrivate: true }),
    };
    const before = starttls.received.length;
    await smtp.send?.(withAttachment(`${filesUrl}/invoice.pdf`), ctx);
    expect(starttls.received.length).toBe(before + 1);
    const mail = await simpleParser(starttls.received.at(-1)?.raw ?? Buffer.alloc(0));
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]).toMatchObject({ filename: 'invoice.pdf', contentType: 'application/pdf' });
    expect(mail.attachments[0]?.content.equals(pdf)).toBe(true);
    expect(mail.text).toContain('Your invoice is attached.');
  });

  it('refuses private destinations unless allowed, oversize files and 404s, permanently', async () => {
    const guarded = context(starttls, { agent: 'agent_files' });
    await expect(smtp.send?.(withAttachment(`${filesUrl}/invoice.pdf`), guarded)).rejects.toMatchObject({
      code: 'attachment_blocked',
      retryable: false,
    });
    const open = { ...guarded, fetchPublic: createPublicFetch({ allowPrivate: true }) };
    await expect(smtp.send?.(withAttachment(`${filesUrl}/huge.bin`), open)).rejects.toMatchObject({
      code: 'attachment_too_large',
      retryable: false,
    });
    await expect(smtp.send?.(withAttachment(`${filesUrl}/missing.pdf`), open)).rejects.toMatchObject({
      code: 'attachment_unavailable',
      retryable: false,
    });
  });
});
