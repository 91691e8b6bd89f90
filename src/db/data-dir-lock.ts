import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Raised when another live Switchboard process holds the data directory. */
export class DataDirLockedError extends Error {}

type LockRecord = { pid: number; host: string; startedAt: string; procStart?: string };

/** The kernel's start time of a process (Linux), so a recycled pid is not mistaken for the owner. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); fields after the ")" that closes the command name.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(record: LockRecord): boolean {
  if (record.host !== os.hostname()) return true; // Cannot check another host: treat as held.
  try {
    process.kill(record.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const now = processStartTime(record.pid);
  return record.procStart === undefined || now === undefined || now === record.procStart;
}

function readRecord(file: string): LockRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockRecord;
  } catch {
    return undefined; // Empty or torn file: a writer died mid-write.
  }
}

/**
 * Takes an exclusive lock on `dataDir` (a `switchboard.lock` file holding our pid). A second live process fails
 * with a clear message; a lock left by a process that no longer exists is taken over.
 * Returns a release function (idempotent).
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'switchboard.lock');
  const record: LockRecord = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    procStart: processStartTime(process.pid),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify(record));
      fs.closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (readRecord(file)?.pid === process.pid) fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readRecord(file);
    if (holder && isAlive(holder)) {
      throw new DataDirLockedError(
        `DATA_DIR ${dataDir} is in use by another Switchboard process (pid ${holder.pid} on ${holder.host}, ` +
          `started ${holder.startedAt}). The embedded database allows one process at a time: stop that ` +
          'process, use another DATA_DIR, or set DATABASE_URL to share a PostgreSQL database.',
      );
    }
    // Stale lock: its owner is gone. Move it aside atomically, and put it back if a racer's fresh lock was moved.
    const aside = `${file}.stale-${process.pid}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue;
    }
    const moved = readRecord(aside);
    if (moved && holder && (moved.pid !== holder.pid || moved.startedAt !== holder.startedAt)) {
      try {
        fs.linkSync(aside, file);
      } catch {
        // Someone else locked meanwhile; the next attempt reports them.
      }
    }
    fs.rmSync(aside, { force: true });
  }
  throw new DataDirLockedError(
    `Could not take the lock on DATA_DIR ${dataDir}; another process keeps racing for it.`,
  );
}
