import { isId } from '../../ids.ts';

/**
 * The name under which our outbound message id travels with a provider send (SendGrid `custom_args`, Mailgun
 * `v:` variables) and comes back in its delivery events, so statuses are matched by our id, never by guess.
 */
export const OUR_MESSAGE_ID_VARIABLE = 'switchboard_message_id';

/** Our message id from an echoed value, when it has the shape of one; anything else is ignored. */
export function ourMessageId(value: unknown): string | undefined {
  return typeof value === 'string' && isId('msg', value) ? value : undefined;
}

/** An address as the email channel keys contacts: lowercased, trimmed; undefined when it is not an address. */
export function contactAddress(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const address = value.trim().toLowerCase();
  return /^[^\s@]{1,64}@[^\s@]{1,255}$/.test(address) ? address : undefined;
}
