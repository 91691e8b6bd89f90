/** Failure kinds of an LLM call; `retryable` ones are retried with backoff (429, 5xx, network, timeout). */
export type LlmErrorCode =
  | 'llm_rate_limited'
  | 'llm_unavailable'
  | 'llm_auth'
  | 'llm_timeout'
  | 'llm_bad_request'
  | 'llm_bad_response'
  | 'llm_aborted'
  | 'llm_not_configured';

/**
 * An LLM call that failed. The message is written by us from the status alone: it never carries a key, a
 * request, or the provider's response body (which can echo parts of a key).
 */
export class LlmError extends Error {
  readonly code: LlmErrorCode;
  readonly retryable: boolean;
  /** HTTP status from the provider, when there was one. */
  readonly status?: number;
  /** Milliseconds the provider asked us to wait (retry-after), when it said so. */
  readonly retryAfterMs?: number;

  constructor(
    code: LlmErrorCode,
    message: string,
    options: { retryable?: boolean; status?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'LlmError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}
