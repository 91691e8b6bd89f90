import { z } from 'zod';

/** Shared field validators for provider settings; messages say what a valid value looks like. */

/** ITU-T E.164: `+`, country code not starting with 0, at most 15 digits (providers.md §1). */
export const e164 = z
  .string()
  .regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 phone number: + then up to 15 digits, e.g. +14155551234');

export const hexColor = z
  .string()
  .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'must be a hex color such as #0084ff');

export const hostname = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
    'must be a host name such as smtp.example.com',
  );

export const port = z
  .number()
  .int()
  .min(1, 'must be a port from 1 to 65535')
  .max(65535, 'must be a port from 1 to 65535');

/** A secret or identifier as pasted from a provider console: no whitespace, bounded. */
export const token = (min = 1, max = 512) =>
  z
    .string()
    .min(min, `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .regex(/^\S+$/, 'must not contain spaces');

export const digits = (what: string) => z.string().regex(/^\d{1,30}$/, `must be a numeric ${what}`);

export const emailAddress = z.email('must be an email address');

/** A name shown in a header (a sender's display name): one line, no control characters. */
export const displayName = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^\P{Cc}*$/u, 'must be one line without control characters');

/** An http(s) origin without path, as browsers send in Origin: `https://shop.example.com[:port]`. */
export const origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}, 'must be an origin such as https://shop.example.com (scheme, host, optional port; no path)');
