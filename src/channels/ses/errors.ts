import { DeliveryError } from '../errors.ts';

/** What the SDK's errors carry (service errors: name = SES error type, $fault, $metadata, $response). */
type SdkError = Error & {
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
};

/** Throttling has no Retry-After from SES (providers.md §8.1): wait at least this long before the retry. */
export const DEFAULT_THROTTLE_DELAY_MS = 2_000;

/** Errors meaning the credentials or the signature are wrong: retrying cannot help. */
const AUTH_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'MissingAuthenticationTokenException',
  'CredentialsProviderError',
]);

/** Errors about the sender or this message: permanent, with SES's reason. */
const REJECTED = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
  'BadRequestException',
  'NotFoundException',
  'LimitExceededException',
]);

/** SES's reason without anything that looks like a credential (SES may echo the access key id). */
export function sesReason(error: unknown, secrets: (string | undefined)[] = []): string {
  let reason = String((error as Error)?.message ?? 'SES error')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
  for (const secret of secrets) if (secret) reason = reason.split(secret).join('[redacted]');
  return reason.replace(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '[access key]');
}

function retryAfterMs(error: SdkError): number {
  const header = error.$response?.headers?.['retry-after'];
  const seconds = header ? Number(header) : Number.NaN;
  return Number.isFinite(seconds) && seconds > 0
    ? Math.min(seconds * 1000, 3_600_000)
    : DEFAULT_THROTTLE_DELAY_MS;
}

/**
 * Maps an SDK failure: throttling (TooManyRequestsException, 429) → retryable after Retry-After or a default;
 * 5xx and network errors → retryable; credentials or signature refused → permanent `ses_auth_failed`; a refused
 * message or sender (MessageRejected, unverified MAIL FROM, suspended or paused sending…) → permanent with SES's
 * reason; a recipient on the suppression list is a hard bounce: the address is blocked.
 */
export function sesDeliveryError(error: unknown, secrets: (string | undefined)[] = []): DeliveryError {
  const failure = error as SdkError;
  const type = failure.name ?? '';
  const status = failure.$metadata?.httpStatusCode;
  const reason = sesReason(error, secrets);
  if (type === 'TooManyRequestsException' || status === 429 || type === 'ThrottlingException') {
    return new DeliveryError(`SES throttled the request, will retry: ${reason}`, {
      code: 'ses_throttled',
      retryable: true,
      retryAfterMs: retryAfterMs(failure),
      cause: error,
    });
  }
  if (AUTH_ERRORS.has(type) || status === 401 || status === 403) {
    return new DeliveryError(`SES refused the credentials: ${reason}`, {
      code: 'ses_auth_failed',
      retryable: false,
      cause: error,
    });
  }
  if (REJECTED.has(type)) {
    const suppressed = /suppress/i.test(reason);
    return new DeliveryError(`SES rejected the message (${type}): ${reason}`, {
      code: suppressed ? 'ses_suppressed' : `ses_${type.replace(/Exception$/, '').toLowerCase()}`,
      retryable: false,
      blocked: suppressed,
      cause: error,
    });
  }
  if (failure.$fault === 'client' && status !== undefined && status < 500) {
    return new DeliveryError(`SES refused the request (${type || status}): ${reason}`, {
      code: 'ses_rejected',
      retryable: false,
      cause: error,
    });
  }
  return new DeliveryError(`SES delivery failed, will retry: ${reason}`, {
    code: status !== undefined ? 'ses_unavailable' : 'network_error',
    retryable: true,
    cause: error,
  });
}
