import { describe, expect, it } from 'vitest';
import { captureLogger } from '../helpers/logs.ts';
import {
  MAY_HOLD_CREDENTIAL,
  REDACTED,
  redactText,
  redactValue,
  TEXT_PATTERN_LIST,
} from '../../src/redact.ts';

const BOT_TOKEN = '123456789:ABCdefGHIjklMNOpqrsTUVwxyz0123456789';

describe('redaction', () => {
  it('removes bot tokens from Telegram URLs', () => {
    const out = redactText(`POST https://api.telegram.org/bot${BOT_TOKEN}/sendMessage failed`);
    expect(out).not.toContain(BOT_TOKEN);
    expect(out).toContain('/sendMessage');
  });

  it('removes bearer credentials, URL passwords, secret query parameters and our own tokens', () => {
    const text = redactText(
      'Authorization: Bearer abc.def.ghi postgres://user:hunter2@db/x https://x/y?api_key=K123&ok=1 sb_pat_abcDEF123',
    );
    expect(text).not.toMatch(/abc\.def\.ghi|hunter2|K123|sb_pat_abcDEF123/);
    expect(text).toContain('ok=1');
  });

  it('redacts secret-named fields at any depth but keeps look-alikes such as token_usage', () => {
    const out = redactValue({
      headers: { authorization: 'Basic xyz' },
      credentials: { account_sid: 'AC1', auth_token: 't0k' },
      telegram: { bot_token: BOT_TOKEN, webhook_secret: 's3cr3t' },
      password: 'pw',
      apiKey: 'k',
      token_usage: { input: 3, output: 4 },
      max_tokens: 100,
    }) as any;
    expect(out.headers.authorization).toBe(REDACTED);
    expect(out.credentials).toBe(REDACTED);
    expect(out.telegram.bot_token).toBe(REDACTED);
    expect(out.telegram.webhook_secret).toBe(REDACTED);
    expect(out.password).toBe(REDACTED);
    expect(out.apiKey).toBe(REDACTED);
    expect(out.token_usage).toEqual({ input: 3, output: 4 });
    expect(out.max_tokens).toBe(100);
  });

  it('bounds depth so cyclic-looking deep objects cannot hang the logger', () => {
    let deep: any = { v: 1 };
    for (let i = 0; i < 50; i++) deep = { child: deep };
    expect(JSON.stringify(redactValue(deep))).toContain('[Truncated]');
  });

  it('applies to everything the logger writes: messages, fields and errors', () => {
    const { logger, lines } = captureLogger('info');
    logger.info(
      { url: `https://api.telegram.org/bot${BOT_TOKEN}/getMe`, password: 'pw1' },
      `calling bot${BOT_TOKEN}`,
    );
    logger.error({ err: new Error(`request to /bot${BOT_TOKEN}/x failed`) }, 'boom');
    const all = lines.join('\n');
    expect(lines).toHaveLength(2);
    expect(all).not.toContain(BOT_TOKEN);
    expect(all).not.toContain('pw1');
    expect(all).toContain('getMe');
  });

  it('flat log lines without credentials pass through; one credential anywhere still gets redacted', () => {
    const line = {
      request_id: 'r1',
      method: 'GET',
      path: '/api/v1/organizations/org_1',
      status: 200,
      ms: 1.5,
    };
    expect(redactValue(line)).toEqual(line);
    expect(redactValue({ ...line, path: `/x/sb_pat_abc123` })).toEqual({ ...line, path: `/x/${REDACTED}` });
    expect(redactValue({ ...line, api_key: 'k' })).toEqual({ ...line, api_key: REDACTED });
    expect(redactValue({ ...line, nested: { password: 'pw' } })).toEqual({
      ...line,
      nested: { password: REDACTED },
    });
  });
});

/** Examples each credential pattern must find (each pattern is checked to match at least one). */
const PATTERN_EXAMPLES = [
  `https://api.telegram.org/bot${BOT_TOKEN}/getMe`,
  `token ${BOT_TOKEN} leaked`,
  'Authorization: Bearer abc.def',
  'authorization: basic dXNlcjpwYXNz',
  'BEARER\tx',
  'postgres://user:hunter2@db/x',
  'redis://a:b@h',
  'https://x/y?api_key=K123&ok=1',
  'u?SIG=1',
  '&access_token=abc',
  'sb_pat_abcDEF123 and sb_org_Z9',
];

/** Deterministic pseudo-random strings built from the pieces the patterns look for. */
function* fuzzStrings(count: number): Generator<string> {
  // prettier-ignore
  const pieces = [
    'bot', '12345', '9876543210', ':', 'bot12345:', '12345:', '_', '-', 'A', 'abcdefghijklmnopqrstuvwxyz0123',
    'Bearer', 'bAsIc', ' ', '\t', 'https', '://', 'user', '@', 'pw', '/', '?', '&', '=', 'token', 'api_key',
    'SIG', '?token=', '&SIG=', 'sb_', 'sb_pat_', 'sb_org', 'pat', 'org', '.', 'x', '~', '+', 'é', '\n',
  ];
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < count; i++) {
    let text = '';
    const n = 1 + Math.floor(next() * 12);
    for (let j = 0; j < n; j++) text += pieces[Math.floor(next() * pieces.length)];
    yield text;
  }
}

describe('the redaction pre-test', () => {
  it('passes every match of every credential pattern, in the examples', () => {
    for (const pattern of TEXT_PATTERN_LIST) {
      const matches = PATTERN_EXAMPLES.flatMap((text) => [...text.matchAll(pattern)].map((m) => m[0]));
      expect(matches.length, `no example for ${pattern}`).toBeGreaterThan(0);
      for (const match of matches)
        expect(MAY_HOLD_CREDENTIAL.test(match), `${pattern} on ${match}`).toBe(true);
    }
  });

  it('passes every match of every credential pattern, in 20,000 generated strings', () => {
    const hits = new Map<RegExp, number>();
    for (const text of fuzzStrings(20_000)) {
      for (const pattern of TEXT_PATTERN_LIST) {
        for (const m of text.matchAll(pattern)) {
          hits.set(pattern, (hits.get(pattern) ?? 0) + 1);
          if (!MAY_HOLD_CREDENTIAL.test(m[0])) expect.fail(`${pattern} matched ${JSON.stringify(m[0])}`);
        }
      }
    }
    // Every pattern was exercised, so the check above could have failed for each.
    for (const pattern of TEXT_PATTERN_LIST)
      expect(hits.get(pattern) ?? 0, String(pattern)).toBeGreaterThan(10);
  });

  it('lets ordinary log text through unchanged without running the patterns', () => {
    expect(MAY_HOLD_CREDENTIAL.test('request')).toBe(false);
    expect(MAY_HOLD_CREDENTIAL.test('/api/v1/organizations/org_01J')).toBe(false);
    expect(redactText('/api/v1/organizations/org_01J')).toBe('/api/v1/organizations/org_01J');
  });
});
