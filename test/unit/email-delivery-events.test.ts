import { describe, expect, it } from 'vitest';
import { eventTime } from '../../src/channels/email/delivery-event.ts';
import { parseMailgunEvents } from '../../src/channels/mailgun/events.ts';
import { parseSendgridEvents } from '../../src/channels/sendgrid/events.ts';

const OUR_ID = 'msg_01jdz3k4m5n6p7q8r9s0t1v2w3';
const request = (body: unknown) => ({
  method: 'POST',
  url: 'https://switchboard.example/api/v1/channels/webhooks/email/agent_x/events',
  headers: new Headers({ 'content-type': 'application/json' }),
  body: new TextEncoder().encode(`${JSON.stringify(body)}\r\n`),
});

/** A SendGrid event as the Event Webhook posts it (custom_args as top-level keys). */
const sendgrid = (fields: Record<string, unknown>) => ({
  email: 'ana.lima@customer.example',
  timestamp: 1767225700,
  'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
  sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
  category: ['support'],
  switchboard_message_id: OUR_ID,
  ...fields,
});

describe('SendGrid Event Webhook', () => {
  it('blocks the address only for drops naming a suppression list, not for "Invalid SMTPAPI header"', () => {
    const events = parseSendgridEvents(
      request([
        sendgrid({ event: 'dropped', sg_event_id: 'drop-hdr', reason: 'Invalid SMTPAPI header' }),
        sendgrid({ event: 'dropped', sg_event_id: 'drop-spam', reason: 'Spam Content' }),
        sendgrid({ event: 'dropped', sg_event_id: 'drop-inv', reason: 'Invalid' }),
        sendgrid({ event: 'dropped', sg_event_id: 'drop-bnc', reason: 'Bounced Address' }),
      ]),
    );
    expect(events.map((e) => [e.eventId, e.kind === 'status' ? e.status : 'block'])).toEqual([
      ['sendgrid:drop-hdr', 'failed'],
      ['sendgrid:drop-spam', 'failed'],
      ['sendgrid:drop-inv', 'blocked'],
      ['sendgrid:drop-inv:block', 'block'],
      ['sendgrid:drop-bnc', 'blocked'],
      ['sendgrid:drop-bnc:block', 'block'],
    ]);
  });

  it('a suppression-group unsubscribe does not block the address (our mail is sent in no group)', () => {
    const events = parseSendgridEvents(
      request([
        sendgrid({ event: 'group_unsubscribe', sg_event_id: 'gu-1', asm_group_id: 42 }),
        sendgrid({ event: 'group_resubscribe', sg_event_id: 'gr-1', asm_group_id: 42 }),
        sendgrid({ event: 'unsubscribe', sg_event_id: 'un-1' }),
      ]),
    );
    expect(events).toEqual([
      {
        kind: 'contact',
        eventId: 'sendgrid:un-1:block',
        platformUserId: 'ana.lima@customer.example',
        blocked: true,
      },
    ]);
  });

  it('one event with an impossible timestamp neither throws nor costs the batch its other events', () => {
    const events = parseSendgridEvents(
      request([
        sendgrid({ event: 'delivered', sg_event_id: 'odd', timestamp: 1e300 }),
        sendgrid({ event: 'delivered', sg_event_id: 'neg', timestamp: -1e12 }),
        sendgrid({ event: 'delivered', sg_event_id: 'ok', response: '250 2.0.0 OK' }),
      ]),
    );
    expect(events).toEqual([
      expect.not.objectContaining({ at: expect.anything() }),
      expect.not.objectContaining({ at: expect.anything() }),
      expect.objectContaining({
        eventId: 'sendgrid:ok',
        status: 'delivered',
        at: '2026-01-01T00:01:40.000Z',
      }),
    ]);
    expect(events[0]).toMatchObject({ eventId: 'sendgrid:odd', status: 'delivered', messageId: OUR_ID });
  });
});

/** A Mailgun event webhook body (signature checked elsewhere). */
const mailgun = (data: Record<string, unknown>) => ({
  signature: {
    timestamp: '1767225700',
    token: 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn',
    signature: '0',
  },
  'event-data': {
    id: 'Qn5bH0cKTSqnBTfrg9rsLw',
    timestamp: 1767225700.123,
    'log-level': 'error',
    recipient: 'ana.lima@customer.example',
    'recipient-domain': 'customer.example',
    message: { headers: { 'message-id': '20260101100000.1.ABCDEF@mg.shop.example' }, size: 2048 },
    'user-variables': { switchboard_message_id: OUR_ID },
    ...data,
  },
});

describe('Mailgun event webhooks', () => {
  it('fails the message without blocking the address when Mailgun gives up after 8 hours ("old")', () => {
    const tooOld = { code: 602, message: 'Too old', description: '', 'attempt-no': 8, 'session-seconds': 0 };
    for (const severity of ['temporary', 'permanent']) {
      const events = parseMailgunEvents(
        request(mailgun({ event: 'failed', severity, reason: 'old', 'delivery-status': tooOld })),
      );
      expect(events).toEqual([
        {
          kind: 'status',
          eventId: 'mailgun:Qn5bH0cKTSqnBTfrg9rsLw',
          providerMessageId: '20260101100000.1.ABCDEF@mg.shop.example',
          messageId: OUR_ID,
          status: 'failed',
          at: '2026-01-01T00:01:40.123Z',
          error: { code: '602', message: 'Too old' },
        },
      ]);
    }
  });

  it('a hard bounce still fails the message and blocks the address; a retried failure records nothing', () => {
    const bounce = { code: 550, message: '5.1.1 No such user', description: '', 'attempt-no': 1 };
    const hard = parseMailgunEvents(
      request(
        mailgun({ event: 'failed', severity: 'permanent', reason: 'bounce', 'delivery-status': bounce }),
      ),
    );
    expect(hard.map((e) => (e.kind === 'status' ? e.status : e.kind))).toEqual(['blocked', 'contact']);
    const soft = parseMailgunEvents(
      request(
        mailgun({
          event: 'failed',
          severity: 'temporary',
          reason: 'generic',
          'delivery-status': { code: 451, message: 'try again later', 'attempt-no': 2 },
        }),
      ),
    );
    expect(soft).toEqual([]);
  });

  it('an unreadable timestamp leaves the time out instead of throwing', () => {
    const events = parseMailgunEvents(request(mailgun({ event: 'delivered', timestamp: 1e20 })));
    expect(events).toEqual([expect.objectContaining({ status: 'delivered' })]);
    expect(events[0]).not.toHaveProperty('at');
  });
});

describe('eventTime', () => {
  it('reads unix seconds and ISO strings, and nothing outside 1970–2100', () => {
    expect(eventTime(1767225700)).toBe('2026-01-01T00:01:40.000Z');
    expect(eventTime('2026-11-29T10:00:02.000Z')).toBe('2026-11-29T10:00:02.000Z');
    for (const odd of [1e300, -5, 4_200_000_000, 'yesterday', '', null, undefined, '1767225700']) {
      expect(eventTime(odd)).toBeUndefined();
    }
  });
});
