import { describe, expect, it } from 'vitest';
import { markdownToEmailHtml } from '../../src/channels/email/html.ts';
import { parseEmail } from '../../src/channels/email/parse.ts';
import { composeReply } from '../../src/channels/email/compose.ts';
import { DeliveryError } from '../../src/channels/errors.ts';
import type { OutboundMessage } from '../../src/channels/types.ts';
import { replySubject } from '../../src/channels/email/subject.ts';

describe('reply HTML', () => {
  it('keeps no style of its own on any tag: CSS cannot load remote content (a tracking pixel)', () => {
    const html = markdownToEmailHtml(
      [
        'Hi <strong style="background:url(https://t.example/s.gif)">x</strong>',
        '<em style="background-image:url(https://t.example/e.gif)">y</em>',
        '<h4 style="list-style:url(https://t.example/h.gif)">z</h4>',
        '<p style="background:url(https://t.example/p.gif)">p</p>',
      ].join(' '),
    );
    expect(html).not.toMatch(/url\(|t\.example/);
    // Our own inline styles stay.
    expect(html).toContain('<p style="margin:0 0 12px 0">');
    expect(html).toContain('<strong>x</strong>');
    expect(html).toContain('<em>y</em>');
  });
});

describe('reply subject', () => {
  it("strips the reply and forward prefixes localised clients write, so the thread never grows 'Re: RES:'", () => {
    const cases: [string, string][] = [
      ['RES: Pedido 42', 'Re: Pedido 42'], // Outlook pt-BR
      ['ENC: RES: Pedido 42', 'Re: Pedido 42'],
      ['RV: Pedido 42', 'Re: Pedido 42'], // Outlook es (forward)
      ['VB: Order 42', 'Re: Order 42'], // Outlook sv (forward)
      ['VL: Order 42', 'Re: Order 42'], // Outlook fi (forward)
      ['YNT: Sipariş 42', 'Re: Sipariş 42'], // Outlook tr
      ['答复: 订单 42', 'Re: 订单 42'], // Outlook zh-CN
      ['回复：订单 42', 'Re: 订单 42'], // full-width colon
      ['转发: 订单 42', 'Re: 订单 42'],
      ['回覆: 訂單 42', 'Re: 訂單 42'], // zh-TW
      ['Re：注文 42', 'Re: 注文 42'],
      ['회신: 주문 42', 'Re: 주문 42'], // ko
      ['ΑΠ: Παραγγελία 42', 'Re: Παραγγελία 42'], // el
      ['Re: RES: Re: RES: Pedido 42', 'Re: Pedido 42'],
    ];
    for (const [subject, reply] of cases) expect(replySubject(subject), subject).toBe(reply);
    // A subject that merely starts with a word is left alone.
    expect(replySubject('Research: results')).toBe('Re: Research: results');
    expect(replySubject('Resumo do pedido')).toBe('Re: Resumo do pedido');
  });
});

const outbound = (chatId: string): OutboundMessage => ({
  messageId: 'msg_01jd0000000000000000000001',
  idempotencyKey: 'msg_01jd0000000000000000000001',
  conversationId: 'conv_x',
  recipient: { platformUserId: chatId, chatId },
  text: 'Hello',
  channelMetadata: { email: { subject: 'Order', last_message_id: 'b@x.example' } },
});

describe('reply recipient', () => {
  it('is one plain address: a sender address nodemailer would read as several is refused, permanently', async () => {
    // mailparser keeps `From: x <victim@bank.example;attacker@evil.example>` as one address; nodemailer
    // reads the `;` as a list separator and would send the reply to both.
    for (const address of [
      'victim@bank.example;attacker@evil.example',
      'victim@bank.example,attacker@evil.example',
      'a\\,b@evil.example',
      'x@evil.example (victim@bank.example)',
      '"victim@bank.example,attacker"@evil.example',
    ]) {
      let error: unknown;
      try {
        composeReply(outbound(address), { from_email: 'support@shop.example' });
      } catch (caught) {
        error = caught;
      }
      expect(error, address).toBeInstanceOf(DeliveryError);
      expect(error, address).toMatchObject({ code: 'invalid_recipient', retryable: false });
    }
    for (const address of [
      'ana.lima@customer.example',
      "o'brien+tag@sub.customer.example",
      'jörg@müller.example',
    ]) {
      expect(composeReply(outbound(address), { from_email: 'support@shop.example' }).to).toBe(address);
    }
  });
});

describe('reply References', () => {
  it('keeps the thread root when a long thread is cut to 30 ids (RFC 5537 §3.4.4), the parent last', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `m${i}@customer.example`);
    const message = {
      ...outbound('ana.lima@customer.example'),
      channelMetadata: {
        email: { subject: 'Order', last_message_id: 'parent@customer.example', references: ids },
      },
    };
    const refs = composeReply(message, { from_email: 'support@shop.example' }).references as string[];
    expect(refs).toHaveLength(30);
    expect(refs[0]).toBe('<m0@customer.example>');
    expect(refs.slice(1, -1)).toEqual(ids.slice(-28).map((id) => `<${id}>`));
    expect(refs.at(-1)).toBe('<parent@customer.example>');
    // Read from an inbound mail: its References keep their root too.
    const raw = Buffer.from(
      [
        'From: Ana <ana.lima@customer.example>',
        'To: support@shop.example',
        'Subject: Re: Order',
        'Message-ID: <new@customer.example>',
        `References: ${ids.map((id) => `<${id}>`).join('\r\n ')}`,
        '',
        'Hi',
        '',
      ].join('\r\n'),
    );
    const parsed = await parseEmail(raw);
    expect(parsed.references).toHaveLength(30);
    expect(parsed.references[0]).toBe('m0@customer.example');
    expect(parsed.references.at(-1)).toBe('m39@customer.example');
  });
});
