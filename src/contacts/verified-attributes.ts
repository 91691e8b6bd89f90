import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** Attributes a provider or a check vouched for: the only keys contact linking ever uses. */
export type VerifiedAttributes = { email?: string; phone?: string };

/** Longest email address kept (RFC 5321 path limit). */
const EMAIL_MAX = 254;

/** A verified email address in the form linking compares: trimmed, lowercased; undefined when not an address. */
export function normalizeEmail(value: string | undefined): string | undefined {
  const email = value?.trim().toLowerCase();
  if (!email || email.length > EMAIL_MAX) return undefined;
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : undefined;
}

/**
 * A verified phone number as E.164 (`+` and digits), parsed by libphonenumber-js from an international form
 * (a leading `+` is added to bare digits, as Telegram and WhatsApp send them); undefined when it cannot be a number.
 */
export function normalizePhone(value: string | undefined): string | undefined {
  const raw = value?.trim();
  if (!raw || raw.length > 32) return undefined;
  const international = /^\d/.test(raw) ? `+${raw}` : raw;
  if (!international.startsWith('+')) return undefined;
  const parsed = parsePhoneNumberFromString(international);
  return parsed?.isPossible() ? parsed.number : undefined;
}

/** The verified attributes a sender carries, normalized; empty when none. */
export function verifiedAttributesOf(sender: { email?: string; phone?: string }): VerifiedAttributes {
  const email = normalizeEmail(sender.email);
  const phone = normalizePhone(sender.phone);
  return { ...(email ? { email } : {}), ...(phone ? { phone } : {}) };
}

/**
 * A verified widget identifier as attributes: an email address, or an international phone number (`+…`);
 * any other identifier (an opaque user id) verifies nothing that links.
 */
export function attributesOfIdentifier(identifier: string): VerifiedAttributes {
  const email = normalizeEmail(identifier);
  if (email) return { email };
  const phone = identifier.trim().startsWith('+') ? normalizePhone(identifier) : undefined;
  return phone ? { phone } : {};
}
