import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const LOGGER = path.resolve(import.meta.dirname, '../../src/logger.ts');

/** Runs `body` in a fresh node process with `logger` = createLogger('info') on stdout; returns its stdout lines. */
function runLogging(body: string): Promise<{ lines: string[]; code: number | null }> {
  const script = `import { createLogger, flushLogger } from ${JSON.stringify(LOGGER)};
const logger = createLogger('info');
${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ lines: out.split('\n').filter((l) => l !== ''), code }));
  });
}

describe('stdout logger', () => {
  it('writes every line whole and in order while writes are in flight, multi-byte text included', async () => {
    const { lines, code } = await runLogging(`
for (let i = 0; i < 5000; i++) logger.info({ i, text: 'héllo ✓ 日本 🎉'.repeat(1 + (i % 7)) }, 'line');
await flushLogger(logger);`);
    expect(code).toBe(0);
    expect(lines).toHaveLength(5000);
    lines.forEach((line, i) => {
      const entry = JSON.parse(line) as { i: number; text: string; msg: string };
      expect(entry.i).toBe(i);
      expect(entry.text).toBe('héllo ✓ 日本 🎉'.repeat(1 + (i % 7)));
      expect(entry.msg).toBe('line');
    });
  });

  it('flushes what is pending when the process exits at once', async () => {
    const { lines, code } = await runLogging(`
for (let i = 0; i < 2000; i++) logger.info({ i }, 'pending');
process.exit(3);`);
    expect(code).toBe(3);
    expect(lines.map((line) => (JSON.parse(line) as { i: number }).i)).toEqual([...Array(2000).keys()]);
  });

  it('still redacts credentials on the way out', async () => {
    const { lines } = await runLogging(`
logger.info({ authorization: 'Bearer sb_pat_abcdefghijklmnop' }, 'token sb_pat_abcdefghijklmnop');
await flushLogger(logger);`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('sb_pat_abcdefghijklmnop');
  });
});
