import { describe, expect, it } from 'vitest';
import { authenticateMail } from '../../src/channels/email/authenticate.ts';
import { composeInboundMail, headerPairs } from '../../src/channels/email/compose-inbound.ts';
import { mailDedupeKey } from '../../src/channels/email/headers.ts';
import { noiseReason } from '../../src/channels/email/noise.ts';
import { deliveryReport } from '../../src/channels/email/dsn.ts';
import { decodeCharset } from '../../src/channels/email/form-data.ts';
import { parseEmail } from '../../src/channels/email/parse.ts';
import { parseMailgunInbound } from '../../src/channels/mailgun/inbound.ts';
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

describe('Mailgun route forwards', () => {
  // The original bytes: an 8bit windows-1252 body (0x97 is the em dash), as a Latin-1 mail client sends it.
  const mime = Buffer.concat([
    Buffer.from(
      'From: Ana <ana@customer.example>\r\nSubject: Commande\r\nMessage-ID: <mg-raw-1@customer.example>\r\n' +
        'Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
    ),
    Buffer.from('O\xf9 est ma commande \x97 merci\r\n', 'latin1'),
  ]);
  const percent = (bytes: Buffer) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  const post = (body: Buffer, contentType: string): RawRequest => ({
    method: 'POST',
    url: 'https://x.example/mime',
    headers: new Headers({ 'content-type': contentType }),
    body,
  });

  it.each([
    ['urlencoded', 'application/x-www-form-urlencoded; charset=utf-8'],
    ['multipart', ''],
  ])('keeps the bytes of body-mime (%s), so an 8bit legacy charset survives', async (kind, type) => {
    const fields = 'recipient=support%40mg.shop.example&sender=ana%40customer.example&body-mime=';
    const request =
      kind === 'urlencoded'
        ? post(Buffer.from(fields + percent(mime)), type)
        : (() => {
            const form = multipartBody([
              { name: 'recipient', value: 'support@mg.shop.example' },
              { name: 'body-mime', value: mime },
            ]);
            return post(form.body, form.contentType);
          })();
    const [posted] = await parseMailgunInbound(request);
    expect(posted?.raw.equals(mime)).toBe(true);
    expect((await parseEmail(posted!.raw)).text).toBe('Où est ma commande — merci\n');
  });

  it('still reads the parsed fields as the UTF-8 Mailgun converts them to', async () => {
    const body = new URLSearchParams({
      recipient: 'support@mg.shop.example',
      from: 'Zoë <zoe@customer.example>',
      subject: 'Ça va',
      'body-plain': 'Привет, 注文は？',
      'message-headers': JSON.stringify([
        ['From', 'Zoë <zoe@customer.example>'],
        ['Message-Id', '<mg-parsed-1@customer.example>'],
        ['Content-Type', ['multipart/alternative', { boundary: 'b1' }]],
      ]),
    });
    const [posted] = await parseMailgunInbound(
      post(Buffer.from(body.toString()), 'application/x-www-form-urlencoded; charset=utf-8'),
    );
    const mail = await parseEmail(posted!.raw);
    expect([mail.text.trim(), mail.subject, mail.from?.name]).toEqual(['Привет, 注文は？', 'Ça va', 'Zoë']);
  });
});

describe('a delivery report posted as parsed fields', () => {
  // An Exchange NDR: the sender is no MAILER-DAEMON, no null Return-Path, no Auto-Submitted; only the report says it.
  const from = 'Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.example>';
  const status = Buffer.from(
    'Reporting-MTA: dns;AM0PR01.contoso.example\r\n\r\nFinal-Recipient: rfc822;bob@contoso.example\r\n' +
      'Action: failed\r\nStatus: 5.1.10\r\nDiagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound\r\n',
  );
  const original = Buffer.from(
    'From: support@shop.example\r\nTo: bob@contoso.example\r\nMessage-ID: <msg_01original@shop.example>\r\nSubject: Re: Order\r\n',
  );
  const expectBounce = async (raw: Buffer) => {
    const mail = await parseEmail(raw);
    expect(noiseReason(mail, 'support@shop.example')).toBe('bounce');
    expect(deliveryReport(mail)).toMatchObject({
      originalMessageId: 'msg_01original@shop.example',
      status: '5.1.10',
    });
  };

  it('SendGrid Parse: stays a multipart/report, so it is no message and fails our mail', async () => {
    const [posted] = await parseSendgridInbound(
      sendgridPost([
        {
          name: 'headers',
          value: `From: ${from}\nTo: support@shop.example\nSubject: Undeliverable: Re: Order\nMessage-ID: <ndr-1@contoso.example>\nContent-Type: multipart/report; report-type=delivery-status;\n\tboundary="ndr"`,
        },
        { name: 'text', value: "Your message to bob@contoso.example couldn't be delivered." },
        { name: 'attachments', value: '2' },
        {
          name: 'attachment-info',
          value:
            '{"attachment1":{"type":"message/delivery-status"},"attachment2":{"type":"text/rfc822-headers"}}',
        },
        {
          name: 'attachment1',
          value: status,
          filename: 'details.txt',
          contentType: 'message/delivery-status',
        },
        { name: 'attachment2', value: original, filename: 'headers.txt', contentType: 'text/rfc822-headers' },
      ]),
    );
    await expectBounce(posted!.raw);
  });

  it('Mailgun route: its structured Content-Type ([type, params]) is read', async () => {
    const { body, contentType } = multipartBody([
      { name: 'recipient', value: 'support@mg.shop.example' },
      { name: 'from', value: from },
      { name: 'body-plain', value: "Your message to bob@contoso.example couldn't be delivered." },
      {
        name: 'message-headers',
        value: JSON.stringify([
          ['From', from],
          ['Message-Id', '<ndr-2@contoso.example>'],
          ['Content-Type', ['multipart/report', { 'report-type': 'delivery-status', boundary: 'ndr' }]],
        ]),
      },
      { name: 'attachment-count', value: '2' },
      {
        name: 'attachment-1',
        value: status,
        filename: 'details.txt',
        contentType: 'message/delivery-status',
      },
      { name: 'attachment-2', value: original, filename: 'headers.txt', contentType: 'text/rfc822-headers' },
    ]);
    const [posted] = await parseMailgunInbound({
      method: 'POST',
      url: 'https://x.example/',
      headers: new Headers({ 'content-type': contentType }),
      body,
    });
    await expectBounce(posted!.raw);
  });
});
