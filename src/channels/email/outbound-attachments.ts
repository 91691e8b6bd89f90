import { isBlockedDestination } from '../../net/outbound-guard.ts';
import { DeliveryError } from '../errors.ts';
import type { OutboundAttachment } from '../types.ts';

/** Largest single attachment fetched for an outbound mail. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** Largest total of a mail's attachments (providers cap whole messages at 25–40 MB after base64). */
export const MAX_TOTAL_ATTACHMENT_BYTES = 20 * 1024 * 1024;
/** Most attachments per outbound mail. */
export const MAX_ATTACHMENTS = 10;

export type FetchedAttachment = { filename: string; content: Buffer; contentType: string };

const permanent = (code: string, message: string) => new DeliveryError(message, { code, retryable: false });

/** Reads a response body, failing once it passes `limit` bytes (a missing Content-Length is no excuse). */
async function readBounded(response: Response, limit: number, url: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) throw permanent('attachment_too_large', `Attachment ${url} is over ${limit} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw permanent('attachment_too_large', `Attachment ${url} is over ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

const nameFrom = (url: string, index: number) => {
  const last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  return last && /^[^\\/:*?"<>|]{1,200}$/.test(last) ? last : `attachment-${index + 1}`;
};

/**
 * Fetches a reply's attachments through `fetchPublic` (the outbound URL guard: no private or metadata
 * addresses), bounded per file and in total. 4xx and oversize are permanent failures; network errors and
 * 5xx are retryable.
 */
export async function fetchAttachments(
  attachments: readonly OutboundAttachment[],
  fetchPublic: typeof fetch,
): Promise<FetchedAttachment[]> {
  if (attachments.length > MAX_ATTACHMENTS) {
    throw permanent('too_many_attachments', `At most ${MAX_ATTACHMENTS} attachments per email`);
  }
  const fetched: FetchedAttachment[] = [];
  let total = 0;
  for (const [index, attachment] of attachments.entries()) {
    let response: Response;
    try {
      response = await fetchPublic(attachment.url, {
        redirect: 'follow',
        signal: AbortSignal.timeout(30_000),
      });
    } catch (cause) {
      if (isBlockedDestination(cause)) {
        throw permanent('attachment_blocked', `Attachment ${attachment.url} points to a refused destination`);
      }
      throw new DeliveryError(`Attachment ${attachment.url} could not be fetched`, {
        code: 'attachment_unavailable',
        retryable: true,
        cause,
      });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DeliveryError(`Attachment ${attachment.url} answered HTTP ${response.status}`, {
        code: 'attachment_unavailable',
        retryable: response.status >= 500 || response.status === 429,
      });
    }
    const content = await readBounded(
      response,
      Math.min(MAX_ATTACHMENT_BYTES, MAX_TOTAL_ATTACHMENT_BYTES - total),
      attachment.url,
    );
    total += content.byteLength;
    fetched.push({
      filename: attachment.name ?? nameFrom(attachment.url, index),
      content,
      contentType: response.headers.get('content-type')?.split(';')[0]?.trim() || 'application/octet-stream',
    });
  }
  return fetched;
}
