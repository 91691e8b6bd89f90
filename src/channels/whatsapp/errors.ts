import { DeliveryError } from '../errors.ts';

/**
 * A Cloud API failure (Meta's Graph API or 360dialog): HTTP status plus Meta's `error.code`, title and details
 * (providers.md §3.3). code 0 with status 0 = no answer at all. Messages never carry a URL or a credential.
 */
export class CloudApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly details: string;
  /** Retry-After header, in seconds, when the provider sent one. */
  readonly retryAfter?: number;

  constructor(status: number, code: number, details: string, retryAfter?: number) {
    super(`WhatsApp API error ${code ? `(#${code}) ` : ''}${details}`.trim());
    this.name = 'CloudApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

/** Throughput, pair, WABA and app call-rate limits and Meta's "temporarily unavailable": back off and retry. */
const RATE_LIMITS: Readonly<Record<number, { code: string; minDelayMs: number }>> = {
  130429: { code: 'rate_limited', minDelayMs: 1_000 },
  // About one message per 6 s per user pair.
  131056: { code: 'pair_rate_limited', minDelayMs: 6_000 },
  80007: { code: 'rate_limited', minDelayMs: 60_000 },
  4: { code: 'rate_limited', minDelayMs: 60_000 },
  2: { code: 'provider_unavailable', minDelayMs: 5_000 },
  131000: { code: 'provider_error', minDelayMs: 5_000 },
};

/** Errors no retry can fix, by Meta code. */
const PERMANENT: Readonly<Record<number, string>> = {
  131047: 'outside_window',
  131026: 'undeliverable',
  131051: 'unsupported_message_type',
  100: 'invalid_parameter',
  131062: 'user_id_not_supported',
  131008: 'missing_parameter',
  131009: 'invalid_parameter',
  131030: 'recipient_not_allowed',
  132000: 'template_parameter_mismatch',
  132001: 'template_not_found',
};

/** True when Meta's code (or a 401) says the access token or API key is wrong or expired. */
export const isAuthError = (error: CloudApiError): boolean =>
  error.status === 401 || error.code === 190 || (error.code === 0 && error.status === 401);

/** Maps a Cloud API failure onto the engine's typed delivery error; the adapter never retries on its own. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (!(error instanceof CloudApiError)) {
    return new DeliveryError('WhatsApp send failed unexpectedly', { code: 'network_error', retryable: true });
  }
  const { status, code, message } = error;
  if (status === 0) return new DeliveryError(message, { code: 'network_error', retryable: true });
  const limit = RATE_LIMITS[code];
  if (limit) {
    const retryAfterMs = Math.max(limit.minDelayMs, (error.retryAfter ?? 0) * 1000);
    return new DeliveryError(message, { code: limit.code, retryable: true, retryAfterMs });
  }
  if (isAuthError(error)) {
    return new DeliveryError('WhatsApp refused the access token or API key', {
      code: 'unauthorized',
      retryable: false,
    });
  }
  const permanent = PERMANENT[code];
  if (permanent) return new DeliveryError(message, { code: permanent, retryable: false });
  if (status >= 500 || status === 429) {
    return new DeliveryError(message, {
      code: `http_${status}`,
      retryable: true,
      ...(error.retryAfter ? { retryAfterMs: error.retryAfter * 1000 } : {}),
    });
  }
  return new DeliveryError(message, { code: code ? `whatsapp_${code}` : `http_${status}`, retryable: false });
}
