import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { sameSecret } from '../secret-header.ts';
import type { AdapterContext, RawRequest, VerifyResult } from '../types.ts';

export const SIGNATURE_HEADER = 'x-hub-signature-256';
/** Longest hub.challenge echoed back (Meta sends a short number). */
const MAX_CHALLENGE = 256;

/** `sha256=` + lowercase hex HMAC-SHA256 of the raw bytes with the app secret (providers.md §3.4). */
export function signBody(body: Uint8Array, appSecret: string): string {
  return `sha256=${createHmac('sha256', createSecretKey(Buffer.from(appSecret)))
    .update(body)
    .digest('hex')}`;
}

/** Checks X-Hub-Signature-256 over the exact bytes, in constant time; no secret or no header fails closed. */
export function signatureMatches(
  request: RawRequest,
  appSecret: string | KeyObject | undefined,
): VerifyResult {
  if (!appSecret) return { ok: false, reason: 'no app secret configured' };
  const given = request.headers.get(SIGNATURE_HEADER);
  if (given === null) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
  const match = /^sha256=([0-9a-f]{64})$/i.exec(given.trim());
  if (!match) return { ok: false, reason: 'malformed X-Hub-Signature-256 header' };
  const key = typeof appSecret === 'string' ? createSecretKey(Buffer.from(appSecret)) : appSecret;
  const expected = createHmac('sha256', key).update(request.body).digest();
  return timingSafeEqual(Buffer.from((match[1] as string).toLowerCase(), 'hex'), expected)
    ? { ok: true }
    : { ok: false, reason: 'wrong signature' };
}

/**
 * Meta's subscription handshake: `hub.mode=subscribe` with the configured verify token → 200 with the raw
 * `hub.challenge`; anything else → 403 (providers.md §3.4). Tokens are compared as digests in constant time.
 */
export function answerHandshake(url: string, verifyTokens: (string | undefined)[]): VerifyResult {
  const params = new URL(url).searchParams;
  const given = params.get('hub.verify_token');
  const challenge = params.get('hub.challenge') ?? '';
  const known = verifyTokens.filter((token): token is string => Boolean(token));
  const matches = given !== null && known.some((token) => sameSecret(given, token));
  if (params.get('hub.mode') === 'subscribe' && matches && challenge && challenge.length <= MAX_CHALLENGE) {
    return { ok: 'handshake', status: 200, body: challenge };
  }
  return { ok: 'handshake', status: 403, body: 'Forbidden' };
}

/** GET → the handshake; POST → the signature with `credentials.app_secret`. */
export async function verifyMeta(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> {
  if (request.method === 'GET')
    return answerHandshake(request.url, [await ctx.account.secret('verify_token')]);
  const field = 'credentials.app_secret';
  const key = ctx.account.hmacKey ? await ctx.account.hmacKey(field) : await ctx.account.secret(field);
  return signatureMatches(request, key);
}
