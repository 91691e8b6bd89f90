import { describe, expect, it } from 'vitest';
import { captureLogger } from '../helpers/logs.ts';
import { REDACTED, redactText, redactValue } from '../../src/redact.ts';

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
});
