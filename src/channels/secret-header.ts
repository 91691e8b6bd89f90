import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdapterContext, RawRequest, VerifyResult } from './types.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares secrets as SHA-256 digests: equal lengths, so timing says nothing about the secret or its length. */
export const sameSecret = (given: string, expected: string): boolean =>
  timingSafeEqual(digest(given), digest(expected));

/**
 * Checks a webhook's secret header against the account's stored secret field in constant time; no stored
 * secret or no header fails closed.
 */
export async function verifySecretHeader(
  request: RawRequest,
  ctx: AdapterContext,
  header: string,
  field = 'webhook_secret',
): Promise<VerifyResult> {
  const expected = await ctx.account.secret(field);
  const given = request.headers.get(header);
  if (!expected) return { ok: false, reason: 'no webhook secret configured' };
  if (given === null) return { ok: false, reason: `missing ${header} header` };
  return sameSecret(given, expected) ? { ok: true } : { ok: false, reason: `wrong ${header}` };
}
