import { describe, expect, it } from 'vitest';
import { parseUpdate } from '../../src/channels/telegram/updates.ts';
import {
  attributesOfIdentifier,
  normalizeEmail,
  normalizePhone,
  verifiedAttributesOf,
} from '../../src/contacts/verified-attributes.ts';

describe('verified attributes', () => {
  it('normalizes emails (trimmed, lowercased) and refuses what is not an address', () => {
    expect(normalizeEmail(' Ana.Lima@Customer.Example ')).toBe('ana.lima@customer.example');
    expect(normalizeEmail('not an address')).toBeUndefined();
    expect(normalizeEmail('a@b')).toBeUndefined();
    expect(normalizeEmail(`${'x'.repeat(250)}@example.com`)).toBeUndefined();
    expect(normalizeEmail(undefined)).toBeUndefined();
  });

  it('normalizes phones to E.164 with libphonenumber-js; bare digits are international, national forms are refused', () => {
    expect(normalizePhone('+44 7700 900123')).toBe('+447700900123');
    expect(normalizePhone('79991234567')).toBe('+79991234567');
    expect(normalizePhone('+1 (555) 000-4444')).toBe('+15550004444');
    expect(normalizePhone('(555) 000-4444')).toBeUndefined();
    expect(normalizePhone('+123')).toBeUndefined();
    expect(normalizePhone('1'.repeat(40))).toBeUndefined();
  });

  it('keeps only what the sender carries as verified, normalized', () => {
    expect(verifiedAttributesOf({ email: 'Bob@X.example', phone: '15550001111' })).toEqual({
      email: 'bob@x.example',
      phone: '+15550001111',
    });
    expect(verifiedAttributesOf({})).toEqual({});
  });

  it('reads a verified widget identifier as an email, an international phone, or nothing that links', () => {
    expect(attributesOfIdentifier('User@Email.com')).toEqual({ email: 'user@email.com' });
    expect(attributesOfIdentifier('+15550001111')).toEqual({ phone: '+15550001111' });
    expect(attributesOfIdentifier('15550001111')).toEqual({});
    expect(attributesOfIdentifier('customer-4711')).toEqual({});
  });
});

describe('Telegram: a shared contact verifies a phone only when it is the sender’s own', () => {
  const update = (contact: Record<string, unknown>, extra: object = {}) => ({
    update_id: 1,
    message: {
      message_id: 7,
      from: { id: 42, is_bot: false, first_name: 'Ana' },
      chat: { id: 42, type: 'private' },
      date: 1_700_000_000,
      contact,
      ...extra,
    },
  });
  const senderOf = (contact: Record<string, unknown>, extra: object = {}) => {
    const [event] = parseUpdate(update(contact, extra));
    if (event?.kind !== 'message') throw new Error('expected a message');
    return event.sender;
  };

  it('own contact (user_id = sender): phone in E.164', () => {
    expect(senderOf({ phone_number: '15550001111', first_name: 'Ana', user_id: 42 }).phone).toBe(
      '+15550001111',
    );
  });

  it("someone else's card, or one without user_id, proves nothing", () => {
    expect(senderOf({ phone_number: '15550001111', first_name: 'Bo', user_id: 43 }).phone).toBeUndefined();
    expect(senderOf({ phone_number: '15550001111', first_name: 'Bo' }).phone).toBeUndefined();
  });

  it('a forwarded card naming the sender proves nothing: someone else wrote it', () => {
    const card = { phone_number: '15550001111', first_name: 'Ana', user_id: 42 };
    const forwarded = {
      forward_origin: { type: 'user', sender_user: { id: 43, is_bot: false, first_name: 'Bo' }, date: 1 },
    };
    expect(senderOf(card, forwarded).phone).toBeUndefined();
    // Older payloads carry forward_from/forward_date instead.
    expect(
      senderOf(card, { forward_from: { id: 43, is_bot: false, first_name: 'Bo' }, forward_date: 1 }).phone,
    ).toBeUndefined();
  });
});
