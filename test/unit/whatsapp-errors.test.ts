import { describe, expect, it } from 'vitest';
import { errorFrom, retryAfterSeconds, safeDetails } from '../../src/channels/whatsapp/cloud-api.ts';
import { CloudApiError, toDeliveryError } from '../../src/channels/whatsapp/errors.ts';

/** Graph API error bodies for our sends (providers.md §3.3, §13) and what the delivery queue is told. */

const graph = (code: number, message: string, details?: string) => ({
  error: {
    message: `(#${code}) ${message}`,
    type: 'OAuthException',
    code,
    ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
    fbtrace_id: 'AbCdEf123',
  },
});
const mapped = (status: number, body: object, retryAfter: string | null = null) =>
  toDeliveryError(errorFrom(status, body, retryAfter));

describe('Cloud API send errors', () => {
  it.each([
    [429, 130429, 'rate_limited'],
    [400, 131056, 'pair_rate_limited'],
    [400, 80007, 'rate_limited'],
    [400, 4, 'rate_limited'],
    [400, 613, 'rate_limited'],
    [500, 131000, 'provider_error'],
    [400, 1, 'provider_error'],
    [503, 2, 'provider_unavailable'],
    [500, 131016, 'provider_unavailable'],
    [400, 131057, 'provider_unavailable'],
  ])('retries HTTP %i with Meta code %i as %s, not before its minimum delay', (status, code, expected) => {
    const error = mapped(status, graph(code, 'Try again later', 'details'));
    expect(error).toMatchObject({ code: expected, retryable: true });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
  });

  it.each([
    [400, 131047, 'outside_window'],
    [400, 131026, 'undeliverable'],
    [400, 131051, 'unsupported_message_type'],
    [400, 131052, 'media_download_failed'],
    [400, 131053, 'media_upload_failed'],
    [400, 100, 'invalid_parameter'],
    [400, 368, 'account_restricted'],
    [400, 131031, 'account_locked'],
    [400, 132000, 'template_parameter_mismatch'],
    [404, 132001, 'template_not_found'],
    [400, 132005, 'template_error'],
    [400, 132015, 'template_error'],
    [400, 132016, 'template_error'],
    // A permanent code wins over a 5xx status.
    [500, 131026, 'undeliverable'],
  ])('fails HTTP %i with Meta code %i at once as %s', (status, code, expected) => {
    expect(mapped(status, graph(code, 'Refused', 'details'))).toMatchObject({
      code: expected,
      retryable: false,
    });
  });

  it('says clearly when the token is refused or lacks a permission, without Meta’s text', () => {
    for (const [status, code] of [
      [401, 190],
      [400, 190],
      [401, 0],
    ] as const) {
      const error = mapped(
        status,
        code ? graph(code, 'Error validating access token', 'Session expired') : {},
      );
      expect(error).toMatchObject({ code: 'unauthorized', retryable: false });
      expect(error.message).toMatch(/access token or API key/);
    }
    for (const code of [10, 200, 294, 3]) {
      const error = mapped(403, graph(code, 'Permission denied'));
      expect(error).toMatchObject({ code: 'permission_denied', retryable: false });
      expect(error.message).toMatch(/lacks a permission/);
    }
  });

  it('reads proxy pages and empty bodies by their status, honouring Retry-After in seconds or as a date', () => {
    expect(mapped(502, {})).toMatchObject({ code: 'http_502', retryable: true });
    expect(mapped(408, {})).toMatchObject({ code: 'http_408', retryable: true });
    expect(mapped(403, {})).toMatchObject({ code: 'http_403', retryable: false });
    expect(mapped(503, {}, '30')).toMatchObject({ retryable: true, retryAfterMs: 30_000 });
    // A rate limit waits for the longer of its minimum and Retry-After.
    expect(mapped(429, graph(130429, 'Rate limit hit'), '90').retryAfterMs).toBe(90_000);
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(retryAfterSeconds('Tue, 01 Dec 2026 10:02:00 GMT', now)).toBe(120);
    expect(retryAfterSeconds('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds('-5', now)).toBeUndefined();
  });

  it('reads 360dialog’s own shapes and a string code', () => {
    expect(
      errorFrom(400, { meta: { developer_message: 'API disabled', http_code: 400 } }, null),
    ).toMatchObject({
      code: 0,
      details: 'API disabled',
    });
    expect(errorFrom(401, { error: 'Invalid api_key' }, null)).toMatchObject({ details: 'Invalid api_key' });
    expect(errorFrom(400, { error: { code: '131026', message: 'Message undeliverable' } }, null).code).toBe(
      131026,
    );
  });

  it('keeps no URL, no credential and no unbounded text in the message', () => {
    const token = 'EAAGm0PX4ZCpsBAKZCZBe2ZAqZC8';
    const error = errorFrom(
      400,
      graph(
        100,
        'Invalid parameter',
        `Could not fetch https://cdn.example.com/f.pdf?sig=abc (Bearer ${token})`,
      ),
      null,
      [`Bearer ${token}`],
    );
    expect(error.message).toBe('WhatsApp API error (#100) Could not fetch [url] (Bearer [redacted])');
    expect(safeDetails('x'.repeat(5_000))).toHaveLength(501);
    expect(new CloudApiError(0, 0, 'network error (ECONNRESET)').message).not.toMatch(/https?:/);
  });
});
