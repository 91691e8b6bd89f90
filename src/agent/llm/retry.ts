import { isBlockedDestination } from '../../net/outbound-guard.ts';
import { APICallError, RetryError } from 'ai';
import { LlmError } from './errors.ts';
import { parseRetryAfter } from '../../net/retry-after.ts';

export type BackoffOptions = { baseDelayMs: number; maxDelayMs: number };

/** Exponential backoff with jitter: a random delay between half and all of min(max, base * 2^attempt). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random) {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * How long to wait before retry number `attempt + 1` after `error`: the provider's retry-after when it sent one,
 * capped at maxDelayMs, else exponential backoff with jitter.
 */
export function retryDelay(
  error: LlmError,
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, options.maxDelayMs);
  return backoffDelay(attempt, options, random);
}

function describeStatus(status: number): { code: LlmError['code']; text: string; retryable: boolean } {
  if (status < 400) {
    // A 2xx whose body broke off (e.g. a stream cut midway): transient, like a network error.
    return { code: 'llm_unavailable', text: 'response interrupted', retryable: true };
  }
  if (status === 429) return { code: 'llm_rate_limited', text: 'rate limited', retryable: true };
  if (status >= 500) return { code: 'llm_unavailable', text: 'provider error', retryable: true };
  if (status === 408) return { code: 'llm_timeout', text: 'provider timed out', retryable: true };
  if (status === 401 || status === 403) {
    return { code: 'llm_auth', text: 'authentication failed (check the LLM key)', retryable: false };
  }
  if (status === 404)
    return { code: 'llm_bad_request', text: 'model or endpoint not found', retryable: false };
  return { code: 'llm_bad_request', text: 'request rejected', retryable: false };
}

/** The headers of an APICallError, with lower-cased names. */
function headersOf(err: APICallError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(err.responseHeaders ?? {})) out[k.toLowerCase()] = v;
  return out;
}

export type AttemptContext = {
  /** The per-attempt timeout fired. */
  timedOut: boolean;
  /** The caller's signal fired (not retried, no fallback). */
  aborted: boolean;
  timeoutMs: number;
};

/**
 * Turns whatever an attempt threw into an LlmError. Only the HTTP status, a retry-after value and our own words
 * survive: provider messages and bodies are dropped because they can quote the request or part of a key.
 */
export function classifyError(err: unknown, ctx: AttemptContext): LlmError {
  if (err instanceof LlmError) return err;
  if (ctx.aborted) return new LlmError('llm_aborted', 'request cancelled', { retryable: false });
  if (ctx.timedOut) {
    return new LlmError('llm_timeout', `timed out after ${ctx.timeoutMs} ms`, { retryable: true });
  }
  const inner = RetryError.isInstance(err) ? err.lastError : err;
  if (isBlockedDestination(inner)) {
    // The same words whether or not anything listens there: members must not map the internal network.
    return new LlmError(
      'llm_not_configured',
      'the LLM base URL points to a private or reserved network address, which is not allowed ' +
        '(OUTBOUND_ALLOW_PRIVATE=true allows it)',
      { retryable: false },
    );
  }
  if (APICallError.isInstance(inner)) {
    if (inner.statusCode === undefined) {
      return new LlmError('llm_unavailable', 'network error (could not reach the provider)', {
        retryable: true,
      });
    }
    const d = describeStatus(inner.statusCode);
    const headers = headersOf(inner);
    const afterMs = headers['retry-after-ms'];
    const retryAfterMs =
      afterMs !== undefined && /^\d+(\.\d+)?$/.test(afterMs.trim())
        ? Math.ceil(Number(afterMs))
        : parseRetryAfter(headers['retry-after']);
    return new LlmError(d.code, `${d.text} (HTTP ${inner.statusCode})`, {
      retryable: d.retryable,
      status: inner.statusCode,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (inner instanceof TypeError) {
    // fetch() rejects with a TypeError when the connection fails.
    return new LlmError('llm_unavailable', 'network error (could not reach the provider)', {
      retryable: true,
    });
  }
  const name = inner instanceof Error ? inner.name : 'unknown error';
  return new LlmError('llm_bad_response', `unusable response from the provider (${name})`, {
    retryable: false,
  });
}

/** Waits `ms`, or rejects early when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new LlmError('llm_aborted', 'request cancelled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new LlmError('llm_aborted', 'request cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
