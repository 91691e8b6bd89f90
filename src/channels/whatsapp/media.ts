import type { AdapterContext, AttachmentMeta } from '../types.ts';
import { type CloudApi, callCloudApi } from './cloud-api.ts';
import { CloudApiError } from './errors.ts';

/** Largest media file passed through (Cloud API documents go up to 100 MB). */
export const MAX_MEDIA_BYTES = 100 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 60_000;

type MediaInfo = { url?: string; mime_type?: string; file_size?: string | number };

/** Passes bytes through until `max`, then fails the stream (a lying or missing Content-Length is no escape). */
export function limited(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(new CloudApiError(413, 0, 'media file is larger than allowed'));
        else controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * An inbound media file's bytes: `GET /{media id}` resolves the short-lived download URL, which is fetched with
 * the credential only when `api.downloadUrl` accepts its host (Meta's lookaside host, or 360dialog's own after
 * the host swap). Redirects are refused, so the credential cannot be carried elsewhere. Bounded by `maxBytes`.
 */
export async function fetchCloudMedia(
  ctx: AdapterContext,
  api: CloudApi,
  attachment: AttachmentMeta,
  maxBytes = MAX_MEDIA_BYTES,
): Promise<{ body: ReadableStream<Uint8Array>; contentType: string; size?: number }> {
  if (!attachment.ref) throw new CloudApiError(404, 0, 'the attachment has no media id');
  const info = await callCloudApi<MediaInfo>(ctx, api, 'GET', api.mediaUrl(attachment.ref));
  const target = info.url ? api.downloadUrl(info.url) : undefined;
  if (!target) throw new CloudApiError(502, 0, 'the media URL is not on a host the provider owns; refused');
  let response: Response;
  try {
    response = await ctx.fetch(target, {
      headers: api.headers,
      redirect: 'error',
      signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
    });
  } catch {
    throw new CloudApiError(0, 0, 'network error while downloading media');
  }
  if (!response.ok || !response.body) {
    throw new CloudApiError(response.status, 0, `media download failed (HTTP ${response.status})`);
  }
  const declared = Number(response.headers.get('content-length') ?? info.file_size ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body.cancel();
    throw new CloudApiError(413, 0, 'media file is larger than allowed');
  }
  return {
    body: limited(response.body, maxBytes),
    contentType:
      response.headers.get('content-type') ??
      info.mime_type ??
      attachment.mime_type ??
      'application/octet-stream',
    ...(Number.isFinite(declared) ? { size: declared } : {}),
  };
}
