import { describe, expect, it } from 'vitest';
import type { InboundMessageEvent, InboundStatusEvent } from '../../src/channels/types.ts';
import { formParams, parseTwilio } from '../../src/channels/twilio/parse.ts';

/** Twilio's WhatsApp webhook parameters (providers.md §5.2, §5.3, §13) → events; parse is pure and total. */

const SID = `SM${'a'.repeat(32)}`;
const trusted = (url: string) => url.startsWith('https://api.twilio.com/2010-04-01/Accounts/AC');
const parse = (fields: Record<string, string>, token?: string) =>
  parseTwilio(formParams(new TextEncoder().encode(new URLSearchParams(fields).toString())), {
    trusted,
    idempotencyToken: token ?? null,
  });
const message = (fields: Record<string, string>) => parse(fields)[0] as InboundMessageEvent;
const base = {
  MessageSid: SID,
  From: 'whatsapp:+4915112345678',
  To: 'whatsapp:+14155238886',
  WaId: '4915112345678',
  ProfileName: 'Lena',
  SmsStatus: 'received',
  NumMedia: '0',
};
const MEDIA = 'https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages/MM1/Media/ME1';

describe('parseTwilio messages', () => {
  it('text: sender keyed on WaId, replies to +E164, profile name, metadata', () => {
    const event = message({ ...base, Body: 'Hallo, wie geht’s? 👋' });
    expect(event).toMatchObject({
      kind: 'message',
      eventId: SID,
      providerMessageId: SID,
      text: 'Hallo, wie geht’s? 👋',
      sender: {
        platformUserId: '4915112345678',
        chatId: '+4915112345678',
        displayName: 'Lena',
        phone: '+4915112345678',
      },
      metadata: { wa_id: '4915112345678', phone_number: '+4915112345678', profile_name: 'Lena' },
    });
  });

  it('media on Twilio’s host: attachments by type with the URL as reference, caption as text', () => {
    const event = message({
      ...base,
      Body: 'damaged box',
      NumMedia: '3',
      MediaUrl0: MEDIA,
      MediaContentType0: 'image/jpeg',
      MediaUrl1: `${MEDIA}2`,
      MediaContentType1: 'audio/ogg',
      MediaUrl2: `${MEDIA}3`,
      MediaContentType2: 'application/pdf',
    });
    expect(event.text).toBe('damaged box');
    expect(event.attachments).toEqual([
      { type: 'image', ref: MEDIA, mime_type: 'image/jpeg' },
      { type: 'voice', ref: `${MEDIA}2`, mime_type: 'audio/ogg' },
      { type: 'document', ref: `${MEDIA}3`, mime_type: 'application/pdf' },
    ]);
    expect(message({ ...base, NumMedia: '1', MediaUrl0: MEDIA, MediaContentType0: 'video/mp4' }).text).toBe(
      '[video]',
    );
  });

  it('media anywhere else is recorded as text, never as a fetchable attachment', () => {
    const event = message({
      ...base,
      NumMedia: '1',
      MediaUrl0: 'https://evil.example/steal',
      MediaContentType0: 'image/png',
    });
    expect(event.attachments).toBeUndefined();
    expect(event.text).toBe('[media not fetched: https://evil.example/steal]');
    expect(event.metadata).toMatchObject({ untrusted_media: ['https://evil.example/steal'] });
  });

  it('location, button reply, quoted reply, forwarded and click-to-WhatsApp referral', () => {
    expect(
      message({ ...base, MessageType: 'location', Latitude: '52.52', Longitude: '13.405', Label: 'Gate' }),
    ).toMatchObject({
      text: '[location: Gate 52.52, 13.405]',
      attachments: [{ type: 'location', extra: { latitude: 52.52, longitude: 13.405, name: 'Gate' } }],
    });
    expect(message({ ...base, Body: 'Yes', ButtonText: 'Yes', ButtonPayload: 'yes_1' })).toMatchObject({
      text: 'yes_1',
      metadata: { button_payload: 'yes_1' },
    });
    expect(message({ ...base, Body: 'Yes', ButtonText: 'Yes' }).text).toBe('Yes');
    expect(message({ ...base, Body: 'Blue', ListId: 'color_blue', ListTitle: 'Blue' })).toMatchObject({
      text: 'color_blue',
      metadata: { button_payload: 'color_blue' },
    });
    const extras = message({
      ...base,
      Body: 'this one',
      OriginalRepliedMessageSid: `SM${'b'.repeat(32)}`,
      Forwarded: 'true',
      ReferralSourceUrl: 'https://fb.me/ad',
      ReferralCtwaClid: 'clid1',
      ReferralHeadline: 'Sale',
    });
    expect(extras.metadata).toMatchObject({
      reply_to: `SM${'b'.repeat(32)}`,
      forwarded: true,
      referral: { source_url: 'https://fb.me/ad', ctwa_clid: 'clid1', headline: 'Sale' },
    });
  });

  it('missing fields never crash: no sid, no sender, no body, bad NumMedia', () => {
    expect(parse({ From: 'whatsapp:+4915112345678', Body: 'x' })).toEqual([]);
    expect(parse({ MessageSid: SID, Body: 'x' })).toEqual([]);
    expect(message({ MessageSid: SID, From: 'whatsapp:+4915112345678' })).toMatchObject({
      text: '[empty message]',
      sender: { platformUserId: '4915112345678', chatId: '+4915112345678' },
    });
    expect(message({ ...base, Body: 'x', NumMedia: 'lots' }).attachments).toBeUndefined();
    expect(message({ ...base, Body: 'x', NumMedia: '99999' }).attachments).toBeUndefined();
    expect(parse({})).toEqual([]);
    // No sid but Twilio's idempotency token: that is the key.
    expect(parse({ From: 'whatsapp:+4915112345678', Body: 'x' }, 'tok-1')[0]?.eventId).toBe(
      'idempotency:tok-1',
    );
  });

  it('an inbound body that also says MessageStatus=received is a message, not a dropped status', () => {
    expect(message({ ...base, Body: 'hola', MessageStatus: 'received' })).toMatchObject({
      kind: 'message',
      text: 'hola',
      sender: { platformUserId: '4915112345678' },
    });
    const noSmsStatus: Record<string, string> = { ...base };
    delete noSmsStatus.SmsStatus;
    expect(message({ ...noSmsStatus, Body: 'hola', MessageStatus: 'received' }).text).toBe('hola');
  });

  it('media is read from MediaUrlN even when NumMedia is missing or understated', () => {
    const noCount: Record<string, string> = { ...base };
    delete noCount.NumMedia;
    expect(message({ ...noCount, MediaUrl0: MEDIA, MediaContentType0: 'image/jpeg' })).toMatchObject({
      text: '[photo]',
      attachments: [{ type: 'image', ref: MEDIA, mime_type: 'image/jpeg' }],
    });
    const understated = message({ ...base, NumMedia: '1', MediaUrl0: MEDIA, MediaUrl1: `${MEDIA}2` });
    expect(understated.attachments?.map((a) => a.ref)).toEqual([MEDIA, `${MEDIA}2`]);
  });

  it('a body with only SmsSid keeps it as the provider message id', () => {
    const event = parseTwilio(
      formParams(
        new TextEncoder().encode(`SmsSid=${SID}&SmsStatus=received&From=whatsapp%3A%2B4915112345678&Body=x`),
      ),
      { trusted },
    )[0] as InboundMessageEvent;
    expect(event).toMatchObject({ eventId: SID, providerMessageId: SID, text: 'x' });
  });

  it('a location with unusable coordinates is not a location at 0/null', () => {
    for (const [Latitude, Longitude] of [
      ['abc', '13.4'],
      ['52.5', ' '],
      ['91', '13.4'],
      ['52.5', 'Infinity'],
    ] as const) {
      const event = message({ ...base, MessageType: 'location', Latitude, Longitude, Body: 'here' });
      expect(event.attachments, `${Latitude},${Longitude}`).toBeUndefined();
      expect(event.text).toBe('here');
    }
    expect(
      message({ ...base, MessageType: 'location', Latitude: '-33.8688', Longitude: '151.2093' }).attachments,
    ).toEqual([{ type: 'location', extra: { latitude: -33.8688, longitude: 151.2093 } }]);
  });

  it('a body of no known shape from our own sender number is never a message to answer', () => {
    const ours = { MessageSid: SID, From: 'whatsapp:+14155238886', To: 'whatsapp:+4915112345678' };
    const options = { trusted, ownNumber: '+14155238886' };
    const bytes = (fields: Record<string, string>) =>
      formParams(new TextEncoder().encode(new URLSearchParams(fields).toString()));
    expect(parseTwilio(bytes({ ...ours, StructuredMessage: 'false' }), options)).toEqual([]);
    expect(parseTwilio(bytes({ ...base, Body: 'hi' }), options)).toHaveLength(1);
  });

  it('odd charsets: raw UTF-8, invalid percent sequences and + as space', () => {
    const bytes = new TextEncoder().encode(
      `MessageSid=${SID}&From=whatsapp%3A%2B4915112345678&Body=%E4%BD%A0%E5%A5%BD+%F0%9F%98%80+caf%C3%A9+%FF%FE`,
    );
    const [event] = parseTwilio(formParams(bytes), { trusted }) as InboundMessageEvent[];
    expect(event?.text).toBe('你好 😀 café \uFFFD\uFFFD');
    const raw = new TextEncoder().encode(`MessageSid=${SID}&From=whatsapp:%2B15551234567&Body=Straße ünd 𝄞`);
    expect((parseTwilio(formParams(raw), { trusted })[0] as InboundMessageEvent).text).toBe('Straße ünd 𝄞');
  });
});

describe('parseTwilio status callbacks', () => {
  const status = (fields: Record<string, string>) =>
    parse({ MessageSid: SID, ...fields }) as InboundStatusEvent[];

  it('maps sent, delivered, read (also EventType=READ) and ignores queued/sending/accepted', () => {
    expect(status({ MessageStatus: 'sent' })).toEqual([
      { kind: 'status', eventId: `${SID}:sent`, providerMessageId: SID, status: 'sent' },
    ]);
    expect(status({ MessageStatus: 'delivered' })[0]?.status).toBe('delivered');
    expect(status({ MessageStatus: 'read' })[0]?.status).toBe('read');
    expect(status({ MessageStatus: 'delivered', EventType: 'READ' })[0]).toMatchObject({
      status: 'read',
      eventId: `${SID}:read`,
    });
    for (const state of ['queued', 'sending', 'accepted', 'scheduled', 'bogus']) {
      expect(status({ MessageStatus: state }), state).toEqual([]);
    }
    expect(parse({ MessageStatus: 'sent' })).toEqual([]);
  });

  it('a callback with only SmsStatus (or only EventType) is a status, never a message from our own number', () => {
    const callback = {
      SmsSid: SID,
      AccountSid: `AC${'0'.repeat(32)}`,
      From: 'whatsapp:+14155238886',
      To: 'whatsapp:+4915112345678',
      ApiVersion: '2010-04-01',
    };
    expect(parse({ ...callback, MessageSid: SID, SmsStatus: 'delivered' })).toEqual([
      { kind: 'status', eventId: `${SID}:delivered`, providerMessageId: SID, status: 'delivered' },
    ]);
    expect(parse({ ...callback, SmsStatus: 'undelivered', ErrorCode: '63024' })[0]).toMatchObject({
      kind: 'status',
      providerMessageId: SID,
      status: 'failed',
      error: { code: '63024' },
    });
    expect(parse({ ...callback, SmsStatus: 'queued' })).toEqual([]);
    expect(parse({ ...callback, EventType: 'DELIVERED' })[0]).toMatchObject({ status: 'delivered' });
    expect(parse({ ...callback, EventType: 'UNDELIVERED' })[0]).toMatchObject({ status: 'failed' });
  });

  it('failed and undelivered carry the error code and ChannelStatusMessage; 63016 is outside the window', () => {
    expect(
      status({ MessageStatus: 'failed', ErrorCode: '63016', ChannelStatusMessage: 'window closed' })[0],
    ).toEqual({
      kind: 'status',
      eventId: `${SID}:failed`,
      providerMessageId: SID,
      status: 'failed',
      error: { code: '63016', message: 'window closed' },
      outsideWindow: true,
    });
    expect(status({ MessageStatus: 'undelivered', ErrorCode: '63003' })[0]).toMatchObject({
      status: 'failed',
      error: { code: '63003', message: 'Twilio error 63003' },
    });
    expect(status({ MessageStatus: 'failed' })[0]?.error).toEqual({ code: 'failed', message: 'failed' });
    expect(status({ MessageStatus: 'undelivered', ErrorCode: '30008' })[0]?.outsideWindow).toBeUndefined();
  });
});
