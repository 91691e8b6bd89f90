import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import { LlmError } from '../../src/agent/llm/errors.ts';
import { backoffDelay, classifyError, retryDelay } from '../../src/agent/llm/retry.ts';
import { parseRetryAfter } from '../../src/net/retry-after.ts';

const ctx = { timedOut: false, aborted: false, timeoutMs: 1000 };
const apiError = (statusCode: number | undefined, headers: Record<string, string> = {}) =>
  new APICallError({
    message: 'Incorrect API key provided: sk-secret-value',
    url: 'https://api.example.com/v1/chat/completions',
    requestBodyValues: {},
    ...(statusCode !== undefined ? { statusCode } : {}),
    responseHeaders: headers,
    responseBody: '{"error":{"message":"sk-secret-value"}}',
  });

describe('retry-after parsing', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('1')).toBe(1000);
    expect(parseRetryAfter(' 2.5 ')).toBe(2500);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('-5')).toBeUndefined();
  });
});

describe('backoff', () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 1000 };
  it('grows exponentially with jitter between half and all of the ceiling, capped', () => {
    expect(backoffDelay(0, opts, () => 0)).toBe(50);
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(2, opts, () => 0)).toBe(200);
    expect(backoffDelay(2, opts, () => 1)).toBe(400);
    expect(backoffDelay(10, opts, () => 1)).toBe(1000);
    expect(backoffDelay(1000, opts, () => 1)).toBe(1000);
  });
  it('uses retry-after when given, capped at maxDelayMs', () => {
    const err = (ms: number) => new LlmError('llm_rate_limited', 'x', { retryable: true, retryAfterMs: ms });
    expect(retryDelay(err(700), 0, opts, () => 0)).toBe(700);
    expect(retryDelay(err(60_000), 0, opts, () => 0)).toBe(1000);
    expect(retryDelay(new LlmError('llm_unavailable', 'x'), 1, opts, () => 1)).toBe(200);
  });
});

describe('error classification', () => {
  it('maps statuses to codes and retryability, reading retry-after', () => {
    const rate = classifyError(apiError(429, { 'retry-after': '3' }), ctx);
    expect(rate).toMatchObject({
      code: 'llm_rate_limited',
      retryable: true,
      retryAfterMs: 3000,
      status: 429,
    });
    expect(classifyError(apiError(429, { 'retry-after-ms': '250' }), ctx).retryAfterMs).toBe(250);
    expect(classifyError(apiError(503), ctx)).toMatchObject({ code: 'llm_unavailable', retryable: true });
    expect(classifyError(apiError(401), ctx)).toMatchObject({ code: 'llm_auth', retryable: false });
    expect(classifyError(apiError(403), ctx)).toMatchObject({ code: 'llm_auth', retryable: false });
    expect(classifyError(apiError(400), ctx)).toMatchObject({ code: 'llm_bad_request', retryable: false });
    expect(classifyError(apiError(undefined), ctx)).toMatchObject({
      code: 'llm_unavailable',
      retryable: true,
    });
    expect(classifyError(new TypeError('fetch failed'), ctx)).toMatchObject({ code: 'llm_unavailable' });
  });
  it('never carries the provider message or body', () => {
    for (const status of [400, 401, 429, 500]) {
      const err = classifyError(apiError(status), ctx);
      expect(err.message).not.toContain('sk-secret');
      expect(err.message).not.toContain('Incorrect');
      expect(err.message).toContain(`HTTP ${status}`);
    }
  });
  it('prefers the caller abort, then the timeout', () => {
    expect(classifyError(new Error('x'), { ...ctx, aborted: true, timedOut: true }).code).toBe('llm_aborted');
    expect(classifyError(new Error('x'), { ...ctx, timedOut: true })).toMatchObject({
      code: 'llm_timeout',
      retryable: true,
    });
  });
});
