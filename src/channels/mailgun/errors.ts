import { DeliveryError } from '../errors.ts';
import { retryAfterMs } from '../sendgrid/errors.ts';

/** Mailgun's error text (`{"message":"…"}`, or plain `Forbidden`), bounded. */
export function mailgunReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message.slice(0, 500);
  } catch {
    // Plain text (401 answers "Forbidden").
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 300) || 'no error body';
}

/**
 * Maps a failed `POST /v3/{domain}/messages`: 429 and 5xx retryable (Retry-After honoured); 401/403 (bad key),
 * 404 (domain not found) and 400 (bad parameters) permanent with Mailgun's message.
 */
export function mailgunSendError(status: number, body: string, headers: Headers, now: number): DeliveryError {
  const reason = mailgunReason(body);
  if (status === 429) {
    return new DeliveryError(`Mailgun rate limit: ${reason}`, {
      code: 'mailgun_rate_limited',
      retryable: true,
      retryAfterMs: retryAfterMs(headers, now),
    });
  }
  if (status >= 500) {
    return new DeliveryError(`Mailgun is unavailable (${status}), will retry: ${reason}`, {
      code: 'mailgun_unavailable',
      retryable: true,
      ...(headers.get('retry-after') ? { retryAfterMs: retryAfterMs(headers, now) } : {}),
    });
  }
  const code =
    status === 401 || status === 403
      ? 'mailgun_unauthorized'
      : status === 404
        ? 'mailgun_domain_not_found'
        : 'mailgun_rejected';
  return new DeliveryError(`Mailgun refused the message (${status}): ${reason}`, { code, retryable: false });
}

/** A network failure reaching Mailgun: retryable, without the request (it carries the key). */
export function mailgunNetworkError(error: unknown): DeliveryError {
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name ?? 'error';
  return new DeliveryError(`Could not reach Mailgun (${cause}), will retry`, {
    code: 'network_error',
    retryable: true,
  });
}
