import { describe, expect, it } from 'vitest';
import { imapConfig } from '../../src/channels/email/imap-config.ts';
import { safeImapError } from '../../src/channels/email/imap-client.ts';
import { backoffDelay, DEFAULT_POLLER_TIMINGS, reconnectDelay } from '../../src/mail/imap-poller.ts';

describe('imap_config', () => {
  it('defaults port 993, implicit TLS and INBOX, and names a bad field', () => {
    expect(imapConfig.parse({ host: 'imap.example.com', username: 'u', password: 'p w' })).toEqual({
      host: 'imap.example.com',
      port: 993,
      secure: true,
      username: 'u',
      password: 'p w',
      mailbox: 'INBOX',
    });
    const bad = imapConfig.safeParse({
      host: 'imap.example.com',
      port: 70_000,
      username: 'u',
      password: 'p',
    });
    expect(bad.error?.issues[0]?.path).toEqual(['port']);
    expect(imapConfig.safeParse({ host: 'x', username: 'u', password: 'p', tls: true }).success).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt from the base, stays within ±50 % below the ceiling, and caps at the maximum', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelay(20, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffDelay(500, 1000, 60_000, () => 0)).toBe(30_000);
    for (let attempt = 0; attempt < 12; attempt++) {
      const delay = backoffDelay(attempt, 1000, 60_000);
      const ceiling = Math.min(60_000, 1000 * 2 ** attempt);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });
});

describe('safeImapError', () => {
  it('says what failed without the password, bounded to one line', () => {
    const auth = Object.assign(new Error('Command failed'), {
      authenticationFailed: true,
      responseText: 'Authentication failed for s3cret-pass.',
    });
    expect(safeImapError(auth, 's3cret-pass')).toBe('authentication failed: Authentication failed for ***.');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:993'), { code: 'ECONNREFUSED' });
    expect(safeImapError(refused)).toBe('connect ECONNREFUSED 127.0.0.1:993');
    const timeout = Object.assign(new Error('Failed to establish connection'), { code: 'CONNECT_TIMEOUT' });
    expect(safeImapError(timeout)).toBe('Failed to establish connection (CONNECT_TIMEOUT)');
    expect(safeImapError(new Error(`line\n${'x'.repeat(1000)}`))).toHaveLength(300);
    // Echoed as the IMAP quoted string LOGIN sent: quote and backslash escaped.
    const quoted = Object.assign(new Error('Command failed'), {
      authenticationFailed: true,
      responseText: 'rejected: 1 LOGIN "u" "pa\\"ss\\\\word"',
    });
    expect(safeImapError(quoted, 'pa"ss\\word')).toBe('authentication failed: rejected: 1 LOGIN "u" "***"');
  });
});

describe('reconnectDelay', () => {
  const timings = {
    ...DEFAULT_POLLER_TIMINGS,
    reconnectBaseMs: 1000,
    reconnectMaxMs: 60_000,
    authRetryMs: 900_000,
  };
  const refused = (code?: string) =>
    Object.assign(new Error('Command failed'), { authenticationFailed: true, serverResponseCode: code });

  it('waits authRetryMs after refused credentials from the first failure, the short backoff otherwise', () => {
    expect(reconnectDelay(refused('AUTHENTICATIONFAILED'), 0, timings, () => 0)).toBe(450_000);
    expect(reconnectDelay(refused(), 0, timings, () => 1)).toBe(900_000);
    // A temporary server problem (RFC 5530 UNAVAILABLE) is not a wrong password.
    expect(reconnectDelay(refused('UNAVAILABLE'), 0, timings, () => 1)).toBe(1000);
    const refusedSocket = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(reconnectDelay(refusedSocket, 2, timings, () => 1)).toBe(4000);
  });
});
