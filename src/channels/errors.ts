/** Why a send failed, and whether the queue should try again. Adapters throw it; only the queue retries. */
export class DeliveryError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** The provider said when to come back (Retry-After, retry_after); honoured as a minimum delay. */
  readonly retryAfterMs?: number;
  /** The recipient blocked us: mark the contact and stop sending. */
  readonly blocked: boolean;

  constructor(
    message: string,
    options: { code: string; retryable: boolean; retryAfterMs?: number; blocked?: boolean; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = 'DeliveryError';
    this.code = options.code;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.blocked = options.blocked ?? false;
  }
}
