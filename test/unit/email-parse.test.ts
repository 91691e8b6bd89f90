import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readInboundMail } from '../../src/channels/email/inbound.ts';
import { extractAttachment } from '../../src/channels/email/attachment.ts';
import { outboundMessageId } from '../../src/channels/email/compose.ts';
import { deliveryReport } from '../../src/channels/email/dsn.ts';
import { mailDedupeKey, normalizeMessageId } from '../../src/channels/email/headers.ts';
import { noiseReason } from '../../src/channels/email/noise.ts';
import { parseEmail } from '../../src/channels/email/parse.ts';
import { replyText } from '../../src/channels/email/reply-text.ts';
import { replySubject, threadSubject } from '../../src/channels/email/subject.ts';
import type { OutboundMessage } from '../../src/channels/types.ts';
import { newId } from '../../src/ids.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/email/${name}`, import.meta.url));
const parsed = (name: string) => parseEmail(fixture(name));
const OWN = 'support@shop.example';

describe('quoted replies: only the new text', () => {
  it.each([
    ['gmail-reply.eml', 'Thanks! Can you send it to my office instead?\n\nAna'],
    ['gmail-mobile-reply.eml', 'Yes please, Friday works.'],
    [
      'outlook-reply.eml',
      'Hallo,\n\ndie Lieferung ist angekommen, vielen Dank für die schnelle Bearbeitung.\n\nGrüße\nJonas Becker',
    ],
    ['outlook-en-reply.eml', 'Please resend the invoice as PDF.'],
    ['apple-reply.eml', 'Perfect, see you then 👍'],
  ])('%s', async (name, expected) => {
    const mail = await parsed(name);
    expect(replyText(mail.text)).toBe(expected);
    // The full text keeps the history.
    expect(mail.text.length).toBeGreaterThan(expected.length + 20);
  });

  it('drops a `-- ` signature and trailing > quotes, keeps inline answers between quotes', () => {
    expect(replyText('Sure.\n\n-- \nJane Doe\nACME Inc.')).toBe('Sure.');
    expect(replyText('> Can you?\nYes.\n> And Friday?\nNo.\n\n> old\n> older')).toBe(
      '> Can you?\nYes.\n> And Friday?\nNo.',
    );
    expect(replyText('-----Original Message-----\nFrom: x')).toBe('-----Original Message-----\nFrom: x');
    expect(replyText('Done!\n\n-----Original Message-----\nFrom: a@b.c\nSent: Monday')).toBe('Done!');
    expect(replyText('Le dim. 29 nov. 2026 à 10:01, Shop <s@shop.example> a écrit :')).not.toBe('');
    expect(replyText('Merci\n\nLe dim. 29 nov. 2026 à 10:01, Shop <s@shop.example> a écrit :\n> x')).toBe(
      'Merci',
    );
    expect(replyText('Danke\n\nAm So., 29. Nov. 2026 um 10:01 Uhr schrieb Shop <s@shop.example>:\n> x')).toBe(
      'Danke',
    );
  });
});

describe('quoted replies: shapes the first rules missed', () => {
  const outlookBlock = (labels: [string, string, string, string]) =>
    `My new words.\n\n${labels[0]}: Shop <support@shop.example>\n${labels[1]}: 28.11.2026 16:00\n` +
    `${labels[2]}: Luis <luis@x.example>\n${labels[3]}: Order\n\nOld quoted text.`;

  it.each([
    ['pt', ['De', 'Enviado', 'Para', 'Assunto']],
    ['ru', ['От', 'Отправлено', 'Кому', 'Тема']],
    ['ja', ['差出人', '送信日時', '宛先', '件名']],
    ['zh', ['发件人', '发送时间', '收件人', '主题']],
    ['zh-Hant', ['寄件者', '寄件日期', '收件者', '主旨']],
    ['pl', ['Od', 'Wysłano', 'Do', 'Temat']],
    ['sv', ['Från', 'Skickat', 'Till', 'Ämne']],
  ] as const)('cuts a %s Outlook header block', (_, labels) => {
    expect(replyText(outlookBlock([...labels]))).toBe('My new words.');
    expect(replyText(outlookBlock([...labels]).replace(/: /g, '： '))).toBe('My new words.');
  });

  it.each([
    ['it', 'Il giorno sab 28 nov 2026 alle ore 16:00 Shop <support@shop.example> ha scritto:'],
    ['ja', '2026年11月28日(土) 16:00 Shop Support <support@shop.example>:'],
    ['ru', 'сб, 28 нояб. 2026 г. в 16:00, Shop Support <support@shop.example>:'],
    ['ru Thunderbird', '28.11.2026 16:00, Shop Support пишет:'],
    ['zh', 'Shop Support <support@shop.example> 于2026年11月28日周六 16:00写道：'],
  ])('cuts a %s attribution above the quote', (_, attribution) => {
    expect(replyText(`Thanks, Friday is fine.\n\n${attribution}\n\n> When should we ship?\n> Shop`)).toBe(
      'Thanks, Friday is fine.',
    );
  });

  it('keeps a line ending in an address and a colon when no quote follows it', () => {
    expect(replyText('Please write to our office <office@x.example>:\nMain Street 1')).toBe(
      'Please write to our office <office@x.example>:\nMain Street 1',
    );
  });

  it('an HTML-only Outlook reply loses the <hr> and the divRplyFwdMsg block', async () => {
    const mail = await parsed('outlook-html-reply.eml');
    expect(mail.text).toContain('Betreff: Order');
    expect(replyText(mail.text)).toBe('Passt, danke.');
  });

  // The old rescan per quoted line took 14 s on 40,000 lines; the one-pass scan takes milliseconds (no timing
  // asserted here: a quadratic scan would run into the test timeout).
  it('reads a mail of 100,000 quoted lines ending in an unquoted one', () => {
    expect(replyText(`${'>\n'.repeat(100_000)}tail`)).toBe(`${'>\n'.repeat(100_000)}tail`.trim());
  });
});

describe('charsets and encoded words', () => {
  it('reads an 8bit iso-8859-1 body and a Q-encoded subject and sender name', async () => {
    const mail = await parsed('iso-8859-1.eml');
    expect(mail.subject).toBe('Problème de livraison à Montréal');
    expect(mail.from).toEqual({ address: 'andre@exemple.example', name: 'André François' });
    expect(mail.text.trim()).toBe("Bonjour, ma commande n'est pas arrivée à Montréal. Où est-elle ?");
  });

  it('reads windows-1252 (0x80-0x9F are €, curly quotes, dashes) in body and B-encoded subject', async () => {
    const mail = await parsed('windows-1252.eml');
    expect(mail.subject).toBe('Price “quote” – €50');
    expect(mail.text.trim()).toBe('Is the “premium” plan still €50 – or more?');
  });

  it('turns an HTML-only mail into text', async () => {
    const mail = await parsed('html-only.eml');
    expect(mail.subject).toBe('주문 문의 (order)');
    expect(mail.text).toContain('Hello,\n\nI need two more units.');
    expect(mail.text).not.toContain('<b>');
  });
});

describe('attachments', () => {
  it('lists name, type, size and content-id, and extracts the bytes by index', async () => {
    const mail = await parsed('attachments.eml');
    expect(mail.text.trim()).toBe('The box arrived damaged, see the photo and my receipt.');
    expect(mail.attachments).toEqual([
      expect.objectContaining({ index: 0, type: 'image', mime_type: 'image/png', name: 'photo.png' }),
      expect.objectContaining({
        index: 1,
        type: 'document',
        mime_type: 'application/pdf',
        name: 'Quittung März.pdf',
      }),
    ]);
    expect(mail.attachments[0]?.contentId).toBe('<photo1@customer.example>');
    const pdf = await extractAttachment(fixture('attachments.eml'), 1);
    expect(pdf.contentType).toBe('application/pdf');
    expect(pdf.filename).toBe('Quittung März.pdf');
    expect(pdf.content.toString('latin1')).toContain('%PDF-1.4');
    expect(pdf.content.byteLength).toBe(mail.attachments[1]?.size);
    await expect(extractAttachment(fixture('attachments.eml'), 2)).rejects.toThrow(RangeError);
  });
});

describe('loop and noise safety', () => {
  it.each([
    ['out-of-office.eml', 'auto_submitted'],
    ['list-mail.eml', 'list'],
    ['gmail-reply.eml', undefined],
    ['outlook-reply.eml', undefined],
  ])('%s → %s', async (name, reason) => {
    expect(noiseReason(await parsed(name), OWN)).toBe(reason);
  });

  it('recognises each header and sender rule on its own', async () => {
    const base = await parsed('gmail-reply.eml');
    const withHeader = (name: string, value: string) => ({
      ...base,
      headers: new Map([...base.headers, [name, value]]),
    });
    expect(noiseReason(withHeader('auto-submitted', 'no'), OWN)).toBeUndefined();
    const withSubject = (subject: string) => ({ ...base, subject });
    for (const subject of [
      'Automatic reply: Order #42',
      'Out of Office: Order #42',
      'Automatische Antwort: Order #42',
      'Réponse automatique : Order #42',
      'Respuesta automática: Order #42',
      'Resposta automática: Order #42',
      'Risposta automatica: Order #42',
      'Automatisch antwoord: Order #42',
      'Автоматический ответ: Order #42',
      '自動応答: Order #42',
      '自动回复: Order #42',
    ]) {
      expect(noiseReason(withSubject(subject), OWN), subject).toBe('auto_reply');
    }
    expect(noiseReason(withSubject('Re: Automatic reply: Order #42'), OWN)).toBeUndefined();
    expect(noiseReason(withHeader('auto-submitted', 'auto-generated'), OWN)).toBe('auto_submitted');
    expect(noiseReason(withHeader('x-autoreply', 'yes'), OWN)).toBe('auto_reply');
    expect(noiseReason(withHeader('precedence', 'bulk'), OWN)).toBe('bulk');
    expect(noiseReason(withHeader('precedence', 'junk'), OWN)).toBe('bulk');
    expect(noiseReason(withHeader('list-unsubscribe', '<mailto:u@x.example>'), OWN)).toBe('list');
    expect(noiseReason({ ...base, returnPath: '' }, OWN)).toBe('bounce');
    expect(noiseReason({ ...base, from: { address: 'MAILER-DAEMON@x.example' } }, OWN)).toBe('bounce');
    expect(noiseReason({ ...base, from: { address: 'Support@Shop.example' } }, OWN)).toBe('own_address');
    // Our own reply come back under another From (a forwarder re-sent it): its Message-ID is one we made.
    const ours = outboundMessageId({ idempotencyKey: newId('msg') } as OutboundMessage, OWN);
    expect(noiseReason({ ...base, messageId: ours }, OWN)).toBe('own_address');
    expect(noiseReason({ ...base, messageId: ours.toUpperCase() }, OWN)).toBe('own_address');
    // Another id on our domain, or our id's shape on another domain: a person's mail.
    expect(noiseReason({ ...base, messageId: 'CAF1234xyz@shop.example' }, OWN)).toBeUndefined();
    expect(
      noiseReason({ ...base, messageId: ours.replace('@shop.example', '@other.example') }, OWN),
    ).toBeUndefined();
    expect(noiseReason({ ...base, from: { address: 'no-reply@bank.example' } }, OWN)).toBe('noreply_sender');
  });
});

describe('list headers as mailparser reads them', () => {
  // mailparser gathers List-* under one `list` key; list mail without Precedence was answered.
  it.each([
    ['List-Id', 'Vendor News <news.vendor.example>'],
    ['List-Unsubscribe', '<mailto:unsubscribe@vendor.example>,\r\n <https://vendor.example/u/1>'],
  ])('a mail whose only list marker is %s is list mail', async (name, value) => {
    const raw = Buffer.from(
      [
        'From: Vendor <news@vendor.example>',
        'To: support@shop.example',
        'Subject: November news',
        'Message-ID: <news-1@vendor.example>',
        `${name}: ${value}`,
        '',
        'Our new catalogue is out.',
        '',
      ].join('\r\n'),
    );
    const mail = await parseEmail(raw);
    expect(mail.headers.get(name.toLowerCase())).toContain('vendor.example');
    expect(noiseReason(mail, OWN)).toBe('list');
  });
});

describe('delivery status notifications', () => {
  it('names the original Message-ID, the failed recipient and the 5.x.x status', async () => {
    const raw = fixture('dsn-bounce.eml')
      .toString('utf8')
      .replaceAll('{{ORIGINAL_ID}}', 'msg_01jbounced@shop.example')
      .replaceAll('{{ORIGINAL_LOCAL}}', 'x')
      .replaceAll('{{RECIPIENT}}', 'gone@customer.example');
    const mail = await parseEmail(Buffer.from(raw));
    expect(noiseReason(mail, OWN)).toBe('bounce');
    expect(deliveryReport(mail)).toEqual({
      originalMessageId: 'msg_01jbounced@shop.example',
      status: '5.1.1',
      action: 'failed',
      recipient: 'gone@customer.example',
      diagnostic: '550 5.1.1 <gone@customer.example>: Recipient address rejected: User unknown',
      permanent: true,
    });
    expect(deliveryReport(await parsed('gmail-reply.eml'))).toBeUndefined();
  });
});

describe('threading helpers', () => {
  it('normalizes Message-IDs (domain lowercased, local part kept) and dedupes on them', () => {
    expect(normalizeMessageId(' <CAF=Ab@Mail.Example> ')).toBe('CAF=Ab@mail.example');
    expect(mailDedupeKey(fixture('gmail-reply.eml'))).toBe('mid:CAF=gmail-reply-1@mail.customer.example');
    expect(mailDedupeKey(Buffer.from('Subject: no id\r\n\r\nbody'))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('keeps one Re: prefix whatever the client stacked', () => {
    expect(threadSubject('Re: RE: AW: Fwd: Order #42')).toBe('Order #42');
    expect(replySubject('Re: Re[2]: Order #42')).toBe('Re: Order #42');
    expect(replySubject('Order #42')).toBe('Re: Order #42');
    expect(replySubject('')).toBe('Re: your message');
  });

  it('reads In-Reply-To and References as normalized ids', async () => {
    const mail = await parsed('gmail-reply.eml');
    expect(mail.inReplyTo).toBe('msg_01jexample@shop.example');
    expect(mail.references).toEqual(['CAF=first-42@mail.customer.example', 'msg_01jexample@shop.example']);
  });
  it('keeps every parent an In-Reply-To names, as the thread candidates', async () => {
    const raw = Buffer.from(
      'From: P <p@x.example>\r\nTo: support@shop.example\r\nSubject: Re: x\r\n' +
        'In-Reply-To: <msg_01a@shop.example> <other-1@elsewhere.example>\r\n\r\nYes\r\n',
    );
    expect((await parseEmail(raw)).inReplyToIds).toEqual([
      'msg_01a@shop.example',
      'other-1@elsewhere.example',
    ]);
    const outcome = await readInboundMail(raw, {
      rawMailId: 'rawmail_1',
      settings: { from_email: OWN },
      auth: { resolver: fixtureResolver({}) },
    });
    expect(outcome.events[0]).toMatchObject({
      kind: 'message',
      inReplyTo: ['msg_01a@shop.example', 'other-1@elsewhere.example'],
    });
  });
});
