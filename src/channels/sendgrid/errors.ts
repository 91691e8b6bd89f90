import { DeliveryError } from '../errors.ts';

/** Wait when SendGrid says "slow down" without saying how long. */
const DEFAULT_RETRY_MS = 30_000;

/** SendGrid's error text (`{"errors":[{"message","field"}]}`), bounded; never echoes the request. */
export function sendgridReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { message?: unknown; field?: unknown }[] };
    const reasons = (parsed.errors ?? [])
      .slice(0, 5)
      .map((e) => [typeof e.field === 'string' ? `${e.field}: ` : '', String(e.message ?? '')].join(''))
      .filter((text) => text.trim().length > 0);
    if (reasons.length > 0) return reasons.join('; ').slice(0, 500);
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 300) || 'no error body';
}

/** How long to wait: Retry-After (seconds or date), else X-RateLimit-Reset (epoch seconds), else a default. */
export function retryAfterMs(headers: Headers, now: number): number {
  const after = headers.get('retry-after');
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.max(1000, reset * 1000 - now);
  return DEFAULT_RETRY_MS;
}

/**
 * Maps a failed `POST /v3/mail/send`: 429 and 5xx are retryable (with the provider's wait); 401 (bad key),
 * 403 (sender identity not verified, or a block), 400 and 413 are permanent with SendGrid's reason.
 */
export function sendgridSendError(
  status: number,
  body: string,
  headers: Headers,
  now: number,
): DeliveryError {
  const reason = sendgridReason(body);
  if (status === 429) {
    return new DeliveryError(`SendGrid rate limit: ${reason}`, {
      code: 'sendgrid_rate_limited',
      retryable: true,
      retryAfterMs: retryAfterMs(headers, now),
    });
  }
  if (status >= 500) {
    return new DeliveryError(`SendGrid is unavailable (${status}), will retry: ${reason}`, {
      code: 'sendgrid_unavailable',
      retryable: true,
      ...(headers.get('retry-after') ? { retryAfterMs: retryAfterMs(headers, now) } : {}),
    });
  }
  const code =
    status === 401
      ? 'sendgrid_unauthorized'
      : status === 403
        ? 'sendgrid_forbidden'
        : status === 413
          ? 'sendgrid_too_large'
          : 'sendgrid_rejected';
  return new DeliveryError(`SendGrid refused the message (${status}): ${reason}`, { code, retryable: false });
}

/** A network failure reaching SendGrid: retryable, without the request (it carries the key). */
export function sendgridNetworkError(error: unknown): DeliveryError {
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name ?? 'error';
  return new DeliveryError(`Could not reach SendGrid (${cause}), will retry`, {
    code: 'network_error',
    retryable: true,
  });
}
