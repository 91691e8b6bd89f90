import { DeliveryError } from '../errors.ts';

/**
 * A Twilio REST failure: HTTP status plus Twilio's error `code` and `message` (providers.md §5.1); status 0 =
 * no answer at all. Messages never carry a URL or a credential.
 */
export class TwilioApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly details: string;
  /** Retry-After header, in seconds, when Twilio sent one. */
  readonly retryAfter?: number;

  constructor(status: number, code: number, details: string, retryAfter?: number) {
    super(`Twilio error ${code ? `${code}: ` : ''}${details}`.trim());
    this.name = 'TwilioApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

/** Twilio's "outside the 24-hour window: use a template" code (the Cloud API's 131047). */
export const OUTSIDE_WINDOW_CODE = 63016;

/** Throttling: back off and retry (at least this long). */
const RATE_LIMITS: Readonly<Record<number, { code: string; minDelayMs: number }>> = {
  20429: { code: 'rate_limited', minDelayMs: 1_000 },
  // WhatsApp channel rate / messaging limit; account-wide 2000 msg/s.
  63018: { code: 'rate_limited', minDelayMs: 5_000 },
  63017: { code: 'rate_limited', minDelayMs: 1_000 },
};

/** Errors no retry can fix, by Twilio code. */
const PERMANENT: Readonly<Record<number, string>> = {
  [OUTSIDE_WINDOW_CODE]: 'outside_window',
  21211: 'invalid_recipient',
  21614: 'invalid_recipient',
  63003: 'invalid_recipient',
  63007: 'sender_not_configured',
  21602: 'missing_parameter',
  21604: 'missing_parameter',
  21617: 'body_too_long',
  63021: 'invalid_content',
  63013: 'policy_violation',
};

/** True when Twilio refused the Account SID / auth token (20003, or a bare 401). */
export const isAuthError = (error: TwilioApiError): boolean => error.code === 20003 || error.status === 401;

/** Maps a Twilio failure onto the engine's typed delivery error; the adapter never retries on its own. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (!(error instanceof TwilioApiError)) {
    return new DeliveryError('Twilio send failed unexpectedly', { code: 'network_error', retryable: true });
  }
  const { status, code, message } = error;
  if (status === 0) return new DeliveryError(message, { code: 'network_error', retryable: true });
  const limit =
    RATE_LIMITS[code] ?? (status === 429 ? { code: 'rate_limited', minDelayMs: 1_000 } : undefined);
  if (limit) {
    const retryAfterMs = Math.max(limit.minDelayMs, (error.retryAfter ?? 0) * 1000);
    return new DeliveryError(message, { code: limit.code, retryable: true, retryAfterMs });
  }
  if (isAuthError(error)) {
    return new DeliveryError('Twilio refused the Account SID or auth token', {
      code: 'unauthorized',
      retryable: false,
    });
  }
  // The recipient opted out (STOP): stop sending to them.
  if (code === 21610) {
    return new DeliveryError(message, { code: 'recipient_unsubscribed', retryable: false, blocked: true });
  }
  const permanent = PERMANENT[code];
  if (permanent) return new DeliveryError(message, { code: permanent, retryable: false });
  if (status >= 500) {
    return new DeliveryError(message, {
      code: `http_${status}`,
      retryable: true,
      ...(error.retryAfter ? { retryAfterMs: error.retryAfter * 1000 } : {}),
    });
  }
  return new DeliveryError(message, { code: code ? `twilio_${code}` : `http_${status}`, retryable: false });
}
