import type { AdapterContext, RawRequest, VerifyResult } from '../types.ts';
import { settingsOf } from './api.ts';
import { formParams } from './parse.ts';
import { type SignatureAlgorithm, signatureMatches, urlVariants } from './signature.ts';

export const SIGNATURE_HEADER = 'x-twilio-signature';
/** Announces shared-key signing: `key=<id>,algorithm=HMAC_SHA256` (providers.md §13). */
export const SIGNATURE_SETTINGS_HEADER = 'x-twilio-webhooks-signature-settings';
export const IDEMPOTENCY_HEADER = 'i-twilio-idempotency-token';

/**
 * Twilio's connection overrides recommended on every URL we hand out (providers.md §13): up to 5 retries on
 * connection failure, read timeout or a 5xx, so a database outage does not lose messages. Fragments are
 * not sent to the server.
 */
export const CONNECTION_OVERRIDES = '#rc=5&rp=ct,rt,5xx';

/**
 * The URL Twilio requested as the public sees it: PUBLIC_URL + the path and query this server received
 * (behind a proxy the request's own host and scheme are not what Twilio signed); the request URL without one.
 */
export function publicRequestUrl(requestUrl: string, publicUrl: string | undefined): string {
  if (!publicUrl) return requestUrl;
  const received = new URL(requestUrl);
  return `${publicUrl.replace(/\/+$/, '')}${received.pathname}${received.search}`;
}

/** `key=<id>,algorithm=HMAC_SHA256` → its parts; undefined when malformed. */
function signatureSettings(header: string): { keyId?: string; algorithm?: string } | undefined {
  const parts: Record<string, string> = {};
  for (const item of header.split(',')) {
    const match = /^\s*([A-Za-z]+)\s*=\s*(\S+?)\s*$/.exec(item);
    if (!match) return undefined;
    parts[(match[1] as string).toLowerCase()] = match[2] as string;
  }
  return {
    ...(parts.key ? { keyId: parts.key } : {}),
    ...(parts.algorithm ? { algorithm: parts.algorithm } : {}),
  };
}

const ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = { HMAC_SHA256: 'sha256', HMAC_SHA1: 'sha1' };

/** The keys and algorithm this request must be signed with; a reason when it cannot be checked. */
async function keysFor(
  request: RawRequest,
  ctx: AdapterContext,
): Promise<{ keys: string[]; algorithm: SignatureAlgorithm } | { reason: string }> {
  const header = request.headers.get(SIGNATURE_SETTINGS_HEADER);
  if (header === null) {
    const keys = [
      await ctx.account.secret('credentials.auth_token'),
      await ctx.account.secret('credentials.secondary_auth_token'),
    ].filter((key): key is string => Boolean(key));
    return keys.length > 0 ? { keys, algorithm: 'sha1' } : { reason: 'no auth token configured' };
  }
  const settings = signatureSettings(header);
  const algorithm = settings?.algorithm ? ALGORITHMS[settings.algorithm.toUpperCase()] : undefined;
  if (!settings || !algorithm) return { reason: 'unsupported signature settings' };
  const expectedId = settingsOf(ctx).webhook_shared_key_id;
  if (expectedId && settings.keyId !== expectedId) return { reason: 'unknown shared key' };
  const shared = await ctx.account.secret('credentials.webhook_shared_key');
  return shared ? { keys: [shared], algorithm } : { reason: 'no webhook shared key configured' };
}

/**
 * Checks X-Twilio-Signature over the public URL (and the variants Twilio signs) plus every POST parameter, with
 * the auth token (primary or secondary, during a rotation) or the announced shared key. Fails closed.
 */
export async function verifyTwilio(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> {
  if (request.method !== 'POST') return { ok: false, reason: 'Twilio posts its webhooks' };
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { ok: false, reason: 'not a form-encoded body' };
  const given = request.headers.get(SIGNATURE_HEADER)?.trim();
  if (!given || given.length > 200) return { ok: false, reason: 'missing X-Twilio-Signature header' };
  const keyed = await keysFor(request, ctx);
  if ('reason' in keyed) return { ok: false, reason: keyed.reason };
  const url = publicRequestUrl(request.url, ctx.publicUrl);
  const urls = urlVariants(url);
  // Should Twilio ever sign the URL as configured, connection-override fragment included.
  const withFragment = urls.map((variant) => `${variant}${CONNECTION_OVERRIDES}`);
  const params = formParams(request.body);
  return signatureMatches(given, [...urls, ...withFragment], params, keyed.keys, keyed.algorithm)
    ? { ok: true }
    : { ok: false, reason: 'wrong signature' };
}
