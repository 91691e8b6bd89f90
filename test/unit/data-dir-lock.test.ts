import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../src/db/data-dir-lock.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('data dir lock', () => {
  it('refuses a second holder while the first is alive, then frees on release', () => {
    const dir = tempDir();
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(/in use by another Switchboard process \(pid \d+/);
    release();
    expect(fs.existsSync(path.join(dir, 'switchboard.lock'))).toBe(false);
    lockDataDir(dir)();
  });

  it('takes over a lock left by a process that no longer exists', () => {
    const dir = tempDir();
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(String(child.stdout));
    fs.writeFileSync(
      path.join(dir, 'switchboard.lock'),
      JSON.stringify({ pid: deadPid, host: os.hostname(), startedAt: '2020-01-01T00:00:00Z' }),
    );
    const release = lockDataDir(dir);
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'switchboard.lock'), 'utf8'));
    expect(record.pid).toBe(process.pid);
    release();
  });

  it('treats a torn (empty) lock file as stale', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'switchboard.lock'), '');
    lockDataDir(dir)();
  });

  it('does not mistake a recycled pid for the owner', () => {
    const dir = tempDir();
    // Our own pid, but a different kernel start time: the recorded owner is gone.
    fs.writeFileSync(
      path.join(dir, 'switchboard.lock'),
      JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: 'x', procStart: '1' }),
    );
    lockDataDir(dir)();
  });
});
