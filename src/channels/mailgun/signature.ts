import { createHmac } from 'node:crypto';
import { secretsEqual } from '../../auth/constant-time.ts';
import type { AdapterContext, VerifyResult } from '../types.ts';

export const SIGNING_KEY_FIELD = 'mailgun_config.webhook_signing_key';
/** Mailgun's timestamp must be this close to our clock (either way). */
export const MAX_SKEW_MS = 15 * 60_000;
/** A token is remembered longer than any timestamp is accepted, so a replay is always caught. */
const TOKEN_TTL_MS = 2 * MAX_SKEW_MS + 60_000;

export type MailgunSignature = { timestamp?: unknown; token?: unknown; signature?: unknown };

/** hex(HMAC-SHA256(webhook signing key, timestamp + token)): Mailgun's webhook and route signature. */
export const mailgunSignature = (key: string, timestamp: string, token: string) =>
  createHmac('sha256', key)
    .update(timestamp + token)
    .digest('hex');

/**
 * Checks a Mailgun signature (routes and event webhooks alike): the HMAC in constant time, the timestamp within
 * 15 minutes, then the token claimed once in the database (a second use, from any process, is a replay; a
 * delivery we could not store releases its token, see `release`).
 * No signing key configured, or no replay store, fails closed.
 */
export async function verifyMailgunSignature(
  given: MailgunSignature,
  ctx: AdapterContext,
): Promise<VerifyResult> {
  const key = await ctx.account.secret(SIGNING_KEY_FIELD);
  if (!key) return { ok: false, reason: 'no webhook signing key configured' };
  const { timestamp, token, signature } = given;
  if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'no timestamp' };
  if (typeof token !== 'string' || token.length < 10 || token.length > 200)
    return { ok: false, reason: 'no token' };
  if (typeof signature !== 'string') return { ok: false, reason: 'no signature' };
  if (!secretsEqual(signature.toLowerCase(), mailgunSignature(key, timestamp, token))) {
    return { ok: false, reason: 'bad signature' };
  }
  if (Math.abs(ctx.now() - Number(timestamp) * 1000) > MAX_SKEW_MS)
    return { ok: false, reason: 'stale timestamp' };
  if (!ctx.claimOnce) return { ok: false, reason: 'no replay store' };
  const claim = `token:${token}`;
  if (!(await ctx.claimOnce(claim, TOKEN_TTL_MS))) return { ok: false, reason: 'token replayed' };
  // Mailgun retries a post we answer 5xx with the same signature: storing failed, so the token is given back.
  return { ok: true, release: async () => ctx.releaseClaim?.(claim) };
}
