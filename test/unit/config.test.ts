import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('gives working defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.DATA_DIR).toBe(path.resolve('./data'));
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.BODY_LIMIT_BYTES).toBe(1024 * 1024);
    expect(config.ALLOW_REGISTRATION).toBe(true);
    expect(config.SESSION_TTL).toBe(7 * 86400);
  });

  it('parses values', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      PUBLIC_URL: 'https://sb.example.com/',
      ALLOW_REGISTRATION: 'false',
      SESSION_TTL: '12h',
      LOG_LEVEL: 'debug',
    });
    expect(config.PORT).toBe(8080);
    expect(config.PUBLIC_URL).toBe('https://sb.example.com');
    expect(config.ALLOW_REGISTRATION).toBe(false);
    expect(config.SESSION_TTL).toBe(12 * 3600);
    expect(config.LOG_LEVEL).toBe('debug');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://x@y/z'],
    ['PUBLIC_URL', 'not a url'],
    ['ALLOW_REGISTRATION', 'maybe'],
    ['BODY_LIMIT_BYTES', '-5'],
    ['JWT_SECRET', 'short'],
    ['SESSION_TTL', 'forever'],
    ['BOOTSTRAP_EMAIL', 'nobody'],
  ])('fails fast naming %s when it is %j', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: is required/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: ' ' }).PORT).toBe(3000);
  });
});

describe('.env.example', () => {
  it('documents every variable the server reads, each with a comment, and nothing else', async () => {
    const { CONFIG_KEYS } = await import('../../src/config.ts');
    const fs = await import('node:fs');
    const lines = fs
      .readFileSync(path.resolve(import.meta.dirname, '../../.env.example'), 'utf8')
      .split('\n');
    const documented: string[] = [];
    lines.forEach((line, i) => {
      const m = /^([A-Z0-9_]+)=/.exec(line);
      if (!m) return;
      documented.push(m[1] as string);
      expect(lines[i - 1]?.startsWith('# '), `${m[1]} needs a comment line above it`).toBe(true);
    });
    expect(documented.sort()).toEqual([...CONFIG_KEYS].sort());
    // The example itself must be a valid configuration.
    const env = Object.fromEntries(
      lines.filter((l) => /^[A-Z]/.test(l)).map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    expect(() => loadConfig(env)).not.toThrow();
  });
});
