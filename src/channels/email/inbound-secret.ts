import { createHash, timingSafeEqual } from 'node:crypto';
import { INBOUND_SECRET_FIELD } from '../email-sender.ts';
import type { AdapterContext, RawRequest, VerifyResult } from '../types.ts';

/** The header alternative to Basic auth, for senders that cannot put credentials in the URL. */
export const INBOUND_SECRET_HEADER = 'x-inbound-secret';
/** The Basic auth user name (the password is the channel's inbound secret). */
export const INBOUND_USER = 'inbound';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The secret a request presents: the X-Inbound-Secret header, else Basic auth `inbound:<secret>`. */
function presentedSecret(headers: Headers): string | undefined {
  const header = headers.get(INBOUND_SECRET_HEADER);
  if (header) return header;
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(headers.get('authorization') ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1 || decoded.slice(0, colon) !== INBOUND_USER) return undefined;
  return decoded.slice(colon + 1);
}

/**
 * Checks the raw MIME route's credentials against the channel's generated inbound secret, in constant
 * time (equal-length digests); no configured secret or no credentials fails closed.
 */
export async function verifyInboundSecret(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> {
  const expected = await ctx.account.secret(INBOUND_SECRET_FIELD);
  if (!expected) return { ok: false, reason: 'no inbound secret configured' };
  const given = presentedSecret(request.headers);
  if (given === undefined) return { ok: false, reason: 'missing inbound credentials' };
  return timingSafeEqual(digest(given), digest(expected))
    ? { ok: true }
    : { ok: false, reason: 'wrong inbound secret' };
}
