import type { AdapterContext, AttachmentMeta } from '../types.ts';
import { parsedUrl } from '../whatsapp/cloud-api.ts';
import { limited, MAX_MEDIA_BYTES } from '../whatsapp/media.ts';
import { accountSidOf, DEFAULT_TWILIO_ROOT, twilioApi, twilioRoot } from './api.ts';
import { TwilioApiError } from './errors.ts';

/**
 * Where Twilio's media URLs redirect to: mms.twiliocdn.com (secured media), media.twiliocdn.com (signed
 * S3-backed URLs seen in captures), older public media on S3.
 */
const MEDIA_REDIRECT_HOSTS = new Set([
  'mms.twiliocdn.com',
  'media.twiliocdn.com',
  's3-external-1.amazonaws.com',
]);
const DOWNLOAD_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 3;

/**
 * True for a media URL of this account on Twilio's REST host — exactly the origin of TWILIO_API_ROOT
 * (https://api.twilio.com by default) — and exactly `/2010-04-01/Accounts/{this account}/Messages/{MM…}/Media/{ME…}`.
 * Only such a URL is ever fetched with the account's credentials.
 */
export function isTwilioMediaUrl(ctx: AdapterContext, url: string): boolean {
  const parsed = parsedUrl(url);
  const root = parsedUrl(twilioRoot(ctx));
  const sid = accountSidOf(ctx);
  if (!parsed || !root || !sid || parsed.username || parsed.password) return false;
  const path =
    /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Messages\/[SM]M[0-9a-fA-F]{32}\/Media\/ME[0-9a-fA-F]{32}$/;
  return parsed.origin === root.origin && path.exec(parsed.pathname)?.[1] === sid;
}

/** True for where a Twilio media URL may redirect to; with a test root (TWILIO_API_ROOT), that root's host. */
function isRedirectHost(ctx: AdapterContext, url: URL): boolean {
  if (url.username || url.password) return false;
  if (url.protocol === 'https:' && !url.port && MEDIA_REDIRECT_HOSTS.has(url.hostname)) return true;
  const root = twilioRoot(ctx);
  return root !== DEFAULT_TWILIO_ROOT && url.hostname === new URL(root).hostname;
}

async function get(fetcher: typeof fetch, url: string, headers: Record<string, string>): Promise<Response> {
  try {
    return await fetcher(url, {
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
    });
  } catch {
    throw new TwilioApiError(0, 0, 'network error while downloading media');
  }
}

/**
 * An inbound media file's bytes. The Twilio media URL gets HTTP Basic credentials; its redirect (to Twilio's
 * media CDN) is followed WITHOUT credentials, through the guarded public fetch, and only to Twilio's media
 * hosts. Bounded by `maxBytes`, also when Content-Length lies.
 */
export async function fetchTwilioMedia(
  ctx: AdapterContext,
  attachment: AttachmentMeta,
  maxBytes = MAX_MEDIA_BYTES,
): Promise<{ body: ReadableStream<Uint8Array>; contentType: string; size?: number }> {
  const ref = attachment.ref;
  if (!ref || !isTwilioMediaUrl(ctx, ref)) {
    throw new TwilioApiError(502, 0, 'the media URL is not on a host Twilio owns; refused');
  }
  const api = await twilioApi(ctx);
  let response = await get(ctx.fetch, ref, { ...api.headers });
  let at = new URL(ref);
  for (let hop = 0; hop < MAX_REDIRECTS && response.status >= 300 && response.status < 400; hop++) {
    const location = response.headers.get('location');
    await response.body?.cancel();
    const next = location ? parsedUrl(new URL(location, at).toString()) : undefined;
    if (!next || !isRedirectHost(ctx, next)) {
      throw new TwilioApiError(502, 0, 'media redirect to a host Twilio does not own; refused');
    }
    at = next;
    response = await get(ctx.fetchPublic, next.toString(), {});
  }
  if (response.status === 401) {
    await response.body?.cancel();
    throw new TwilioApiError(401, 20003, 'Twilio refused the credentials for this media');
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new TwilioApiError(response.status, 0, `media download failed (HTTP ${response.status})`);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body.cancel();
    throw new TwilioApiError(413, 0, 'media file is larger than allowed');
  }
  return {
    body: limited(response.body, maxBytes),
    contentType: response.headers.get('content-type') ?? attachment.mime_type ?? 'application/octet-stream',
    ...(Number.isFinite(declared) ? { size: declared } : {}),
  };
}
