import { describe, expect, it } from 'vitest';
import { authenticateMail } from '../../src/channels/email/authenticate.ts';
import { composeInboundMail, headerPairs } from '../../src/channels/email/compose-inbound.ts';
import { mailDedupeKey } from '../../src/channels/email/headers.ts';
import { noiseReason } from '../../src/channels/email/noise.ts';
import { decodeCharset } from '../../src/channels/email/form-data.ts';
import { parseEmail } from '../../src/channels/email/parse.ts';
import { parseSendgridInbound } from '../../src/channels/sendgrid/inbound.ts';
import type { RawRequest } from '../../src/channels/types.ts';
import { type FormField, multipartBody } from '../helpers/form-body.ts';

const HEADERS = [
  'Received: from mail.example.org (mail.example.org [203.0.113.5])',
  '\tby mx.sendgrid.net with ESMTP; Thu, 1 Jan 2026 10:00:00 +0000',
  'From: =?UTF-8?Q?L=C3=A9na_Park?= <lena@example.org>',
  'To: support@parse.shop.example',
  'Subject: =?UTF-8?Q?R=C3=A9=3A_commande?=',
  'Message-ID: <CAF+x1@mail.example.org>',
  'In-Reply-To: <msg_1@shop.example>',
  'References: <msg_0@shop.example> <msg_1@shop.example>',
  'Auto-Submitted: auto-replied',
  'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s1; bh=x; b=y',
  'Content-Type: multipart/alternative; boundary="orig"',
  'MIME-Version: 1.0',
].join('\n');

describe('composing a parsed provider post into RFC 5322', () => {
  it('keeps the original headers, drops the structural ones, and parses like the raw form', async () => {
    const raw = await composeInboundMail({
      headers: headerPairs(HEADERS),
      text: 'Merci !\n\nOn Thu, Jan 1 Shop wrote:\n> hi',
      html: '<p>Merci !</p>',
      attachments: [{ filename: 'photo.jpg', contentType: 'image/jpeg', content: Buffer.from([1, 2, 3]) }],
    });
    const mail = await parseEmail(raw);
    expect(mail.from?.address).toBe('lena@example.org');
    expect(mail.from?.name).toBe('Léna Park');
    expect(mail.subject).toBe('Ré: commande');
    expect(mail.messageId).toBe('CAF+x1@mail.example.org');
    expect(mail.inReplyTo).toBe('msg_1@shop.example');
    expect(mail.references).toEqual(['msg_0@shop.example', 'msg_1@shop.example']);
    expect(mail.text).toContain('Merci !');
    expect(mail.attachments.map((a) => [a.name, a.mime_type, a.size])).toEqual([
      ['photo.jpg', 'image/jpeg', 3],
    ]);
    expect(noiseReason(mail, 'support@shop.example')).toBe('auto_submitted');
    // Only one Content-Type at the top: the composed one, not the original's boundary.
    const head = raw.toString('latin1').split(/\r?\n\r?\n/)[0] ?? '';
    expect(head).not.toContain('boundary="orig"');
    expect(head.match(/^Received:/gm)).toHaveLength(1);
  });

  it('gives a mail without Message-ID a stable one, so a redelivery dedupes', async () => {
    const input = { headers: headerPairs('From: a@example.org\nSubject: hi'), text: 'hello' };
    const first = await composeInboundMail(input);
    const second = await composeInboundMail(input);
    expect(mailDedupeKey(first)).toBe(mailDedupeKey(second));
    expect(mailDedupeKey(first)).toMatch(/^mid:/);
  });

  it('uses the provider verdict for a composed mail instead of failing its broken DKIM signature', async () => {
    const raw = await composeInboundMail({ headers: headerPairs(HEADERS), text: 'x' });
    const verdict = await authenticateMail(raw, 'lena@example.org', {
      providerVerdict: {
        provider: 'sendgrid',
        spf: 'Pass',
        dkim: 'pass',
        dkim_domains: ['example.org'],
        composed: true,
      },
    });
    expect(verdict).toMatchObject({
      source: 'provider',
      provider: 'sendgrid',
      spf: 'pass',
      dkim: 'pass',
      verified: true,
    });
    const unaligned = await authenticateMail(raw, 'lena@example.org', {
      providerVerdict: {
        provider: 'mailgun',
        spf: 'weird',
        dkim: 'pass',
        dkim_domains: ['other.test'],
        composed: true,
      },
    });
    expect(unaligned).toMatchObject({ spf: 'none', verified: false });
  });
});

const sendgridPost = (fields: FormField[]): RawRequest => {
  const { body, contentType } = multipartBody(fields);
  return {
    method: 'POST',
    url: 'https://x.example/',
    headers: new Headers({ 'content-type': contentType }),
    body,
  };
};

describe('SendGrid Parse fields in the charsets it names', () => {
  it('decodes ISO-2022-JP (which iconv-lite lacks) and guesses unknown or ASCII labels', async () => {
    const jis = Buffer.from('\x1b$B$3$s$K$A$O\x1b(B\n', 'latin1'); // こんにちは
    const [posted] = await parseSendgridInbound(
      sendgridPost([
        {
          name: 'headers',
          value:
            'From: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?= <taro@example.jp>\nTo: support@parse.shop.example\nSubject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\nMessage-ID: <jis-1@example.jp>',
        },
        { name: 'text', value: jis },
        { name: 'html', value: Buffer.from('<p>Caf\xe9</p>', 'latin1') },
        {
          name: 'charsets',
          value: '{"to":"UTF-8","from":"UTF-8","subject":"UTF-8","text":"iso-2022-jp","html":"unknown-8bit"}',
        },
      ]),
    );
    const mail = await parseEmail(posted!.raw);
    expect(mail.text).toBe('こんにちは\n');
    expect(mail.html).toContain('<p>Café</p>');
    expect(mail.subject).toBe('こんにちは');
    expect(mail.from).toEqual({ address: 'taro@example.jp', name: 'こんにちは' });
  });

  it('reads 8-bit bytes under us-ascii or no label as windows-1252, UTF-8 when they are UTF-8', () => {
    expect(decodeCharset(Buffer.from('Caf\x80 \x93ok\x94', 'latin1'), 'us-ascii')).toBe('Caf€ “ok”');
    expect(decodeCharset(Buffer.from('Zoë', 'utf8'), undefined)).toBe('Zoë');
    expect(decodeCharset(Buffer.from('Zo\xeb', 'latin1'), 'x-unknown')).toBe('Zoë');
    expect(decodeCharset(Buffer.from('Caf+AOk-'), 'utf-7')).toBe('Café');
  });
});
