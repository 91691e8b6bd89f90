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

/**
 * Rate limits (throughput, pair, WABA, app and API call rates) and Meta's transient failures (unknown error,
 * service unavailable, generic failure, maintenance): back off and retry, whatever the HTTP status.
 */
const RATE_LIMITS: Readonly<Record<number, { code: string; minDelayMs: number }>> = {
  130429: { code: 'rate_limited', minDelayMs: 1_000 },
  // About one message per 6 s per user pair.
  131056: { code: 'pair_rate_limited', minDelayMs: 6_000 },
  80007: { code: 'rate_limited', minDelayMs: 60_000 },
  4: { code: 'rate_limited', minDelayMs: 60_000 },
  613: { code: 'rate_limited', minDelayMs: 60_000 },
  1: { code: 'provider_error', minDelayMs: 5_000 },
  2: { code: 'provider_unavailable', minDelayMs: 5_000 },
  131000: { code: 'provider_error', minDelayMs: 5_000 },
  131016: { code: 'provider_unavailable', minDelayMs: 5_000 },
  // The number is in maintenance (e.g. a throughput upgrade, about a minute).
  131057: { code: 'provider_unavailable', minDelayMs: 60_000 },
};

/** Errors no retry can fix, by Meta code. */
const PERMANENT: Readonly<Record<number, string>> = {
  131047: 'outside_window',
  131026: 'undeliverable',
  131051: 'unsupported_message_type',
  131052: 'media_download_failed',
  131053: 'media_upload_failed',
  100: 'invalid_parameter',
  131062: 'user_id_not_supported',
  131008: 'missing_parameter',
  131009: 'invalid_parameter',
  131030: 'recipient_not_allowed',
  131031: 'account_locked',
  368: 'account_restricted',
  131048: 'spam_rate_limited',
  131049: 'marketing_limited',
  131050: 'marketing_opted_out',
  133010: 'number_not_registered',
  132000: 'template_parameter_mismatch',
  132001: 'template_not_found',
};

/** Meta's template errors (132000–132016: missing, paused, disabled, bad parameters…): the template must change. */
const isTemplateError = (code: number): boolean => code >= 132000 && code <= 132016;

/** Permission codes (3 capability, 10 permission denied, 200–299 permissions): the token lacks a permission. */
const isPermissionError = (code: number): boolean =>
  code === 3 || code === 10 || (code >= 200 && code <= 299);

/** True when Meta's code (or a 401) says the access token or API key is wrong or expired. */
export const isAuthError = (error: CloudApiError): boolean =>
  error.status === 401 || error.code === 190 || error.code === 102;

/** HTTP statuses worth another attempt when the body names no Meta code (a proxy's page, an empty body). */
const isRetryableStatus = (status: number): boolean => status >= 500 || status === 429 || status === 408;

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
    return new DeliveryError(
      `WhatsApp refused the access token or API key (invalid, expired or revoked)${code ? ` (#${code})` : ''}`,
      { code: 'unauthorized', retryable: false },
    );
  }
  if (isPermissionError(code)) {
    return new DeliveryError(
      `WhatsApp refused the send: the access token lacks a permission for this number (#${code})`,
      { code: 'permission_denied', retryable: false },
    );
  }
  const permanent = PERMANENT[code] ?? (isTemplateError(code) ? 'template_error' : undefined);
  if (permanent) return new DeliveryError(message, { code: permanent, retryable: false });
  if (isRetryableStatus(status)) {
    return new DeliveryError(message, {
      code: `http_${status}`,
      retryable: true,
      ...(error.retryAfter ? { retryAfterMs: error.retryAfter * 1000 } : {}),
    });
  }
  return new DeliveryError(message, { code: code ? `whatsapp_${code}` : `http_${status}`, retryable: false });
}
