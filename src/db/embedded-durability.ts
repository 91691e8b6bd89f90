import fs from 'node:fs/promises';
import path from 'node:path';
import { timedMaintenance } from '../metrics/metrics.ts';
import type { SqlRunner } from './client.ts';

/** File operations, injectable so tests can see (and hold) the syncs. */
export type SyncFs = {
  /** fdatasync(2) of the file at `file` (a WAL segment: synced again and again, so its handle may stay open). */
  datasync(file: string): Promise<void>;
  /** fsync(2) of a file or directory. */
  fsync(file: string): Promise<void>;
};

/** How many WAL segment handles stay open (the current one, and the one before while a sync spans both). */
const OPEN_SEGMENTS = 2;
const segmentHandles = new Map<string, Promise<fs.FileHandle>>();

/** A segment's open handle (opening costs two trips to the thread pool per sync otherwise). */
function segmentHandle(file: string): Promise<fs.FileHandle> {
  let handle = segmentHandles.get(file);
  if (!handle) {
    handle = fs.open(file, 'r');
    handle.catch(() => segmentHandles.delete(file));
    segmentHandles.set(file, handle);
    for (const [name, old] of segmentHandles) {
      if (segmentHandles.size <= OPEN_SEGMENTS) break;
      segmentHandles.delete(name);
      void old.then((opened) => opened.close()).catch(() => {});
    }
  }
  return handle;
}

export const nodeSyncFs: SyncFs = {
  datasync: async (file) => (await segmentHandle(file)).datasync(),
  fsync: (file) => withHandle(file, (handle) => handle.sync()),
};

async function withHandle(file: string, run: (handle: fs.FileHandle) => Promise<void>): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await run(handle);
  } finally {
    await handle.close();
  }
}

/**
 * Durability for the embedded database. PGlite runs PostgreSQL with `fsync = off` and its file layer answers sync
 * calls without syncing, but it does write every commit's WAL to the files under `DATA_DIR` before the commit
 * returns. `syncWal` makes those writes durable: an fdatasync of every WAL segment written since the last sync
 * (and of `pg_wal` itself when a segment was started, so a new or recycled segment's name survives too).
 * Concurrent calls share one sync; a call made while one runs gets the next, which covers its writes.
 * `syncFiles` fsyncs every file and directory of the cluster: run after a checkpoint, whose data page writes
 * PostgreSQL did not sync either.
 */
export class EmbeddedDurability {
  private readonly dataDir: string;
  private readonly query: SqlRunner;
  private readonly files: SyncFs;
  /** The WAL's timeline and segment size: fixed while the cluster runs, read once by `start`. */
  private layout?: { timeline: string; segmentBytes: bigint };
  /** The WAL position synced so far, and its segment number (from `start`). */
  private syncedLsn = 0n;
  private syncedSegment = 0n;
  private running?: Promise<void>;
  private queued?: Promise<void>;

  constructor(dataDir: string, query: SqlRunner, files: SyncFs = nodeSyncFs) {
    this.dataDir = dataDir;
    this.query = query;
    this.files = files;
  }

  /**
   * Syncs the whole cluster once (what earlier runs wrote), reads the WAL's layout and starts counting from the
   * current WAL position. Call before `syncWal`.
   */
  async start(): Promise<void> {
    await this.syncFiles();
    const [row] = await this.query<{ timeline: string; segment_bytes: string }>(
      `select substr(pg_walfile_name(pg_current_wal_flush_lsn()), 1, 8) as timeline,
              current_setting('wal_segment_size') as segment_bytes`,
    );
    if (!row) throw new Error('the embedded database did not report its WAL layout');
    this.layout = { timeline: row.timeline, segmentBytes: segmentSize(row.segment_bytes) };
    const position = await this.position(this.layout.segmentBytes);
    this.syncedLsn = position.lsn;
    this.syncedSegment = position.lastSegment;
  }

  syncWal(): Promise<void> {
    if (!this.running) {
      this.running = this.runWalSync().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // Writes made after the running sync read its position are not covered by it: wait for the next one.
    this.queued ??= this.running
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        return this.syncWal();
      });
    return this.queued;
  }

  /** How far WAL was written, and the segment holding its last byte. */
  private async position(segmentBytes: bigint) {
    const [row] = await this.query<{ lsn: string }>(`select pg_current_wal_flush_lsn()::text as lsn`);
    const lsn = parseLsn(row?.lsn ?? '0/0');
    return { lsn, lastSegment: (lsn - 1n) / segmentBytes };
  }

  private async runWalSync(): Promise<void> {
    if (!this.layout) throw new Error('EmbeddedDurability.start() was not called');
    const { timeline, segmentBytes } = this.layout;
    const { lsn, lastSegment } = await this.position(segmentBytes);
    if (lsn <= this.syncedLsn) return;
    const walDir = path.join(this.dataDir, 'pg_wal');
    await timedMaintenance('wal_sync', async () => {
      // From the segment the last sync ended in (it may have been written since) to the current one.
      for (let segment = this.syncedSegment; segment <= lastSegment; segment++) {
        await this.files.datasync(path.join(walDir, segmentName(timeline, segment, segmentBytes)));
      }
      if (lastSegment !== this.syncedSegment) await this.files.fsync(walDir);
    });
    this.syncedLsn = lsn;
    this.syncedSegment = lastSegment;
  }

  /**
   * fsyncs every file and directory under the data directory (after a checkpoint). The engine keeps running
   * meanwhile: a file or directory it removed since it was listed has nothing left to sync and is skipped.
   */
  syncFiles(): Promise<void> {
    return timedMaintenance('cluster_sync', () => this.walkAndSync());
  }

  private async walkAndSync(): Promise<void> {
    const walk = async (dir: string): Promise<void> => {
      const entries = await unlessGone(fs.readdir(dir, { withFileTypes: true }));
      for (const entry of entries ?? []) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile()) await unlessGone(this.files.fsync(full));
      }
      if (entries) await unlessGone(this.files.fsync(dir));
    };
    await walk(this.dataDir);
  }
}

/** The result of `operation`, or undefined when its file no longer exists (ENOENT). */
async function unlessGone<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** `X/Y` (two hex halves) as a byte position. */
function parseLsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** `wal_segment_size` as PostgreSQL shows it (`16MB`, or bytes) in bytes. */
function segmentSize(setting: string): bigint {
  const match = /^(\d+)\s*(kB|MB|GB)?$/.exec(setting.trim());
  if (!match) throw new Error(`unexpected wal_segment_size: ${setting}`);
  const unit = { kB: 1024n, MB: 1024n ** 2n, GB: 1024n ** 3n }[match[2] ?? ''] ?? 1n;
  return BigInt(match[1] as string) * unit;
}

/** The WAL file name of segment number `segment` (PostgreSQL's XLogFileName). */
function segmentName(timeline: string, segment: bigint, segmentBytes: bigint): string {
  const perId = 0x1_0000_0000n / segmentBytes;
  const hex = (value: bigint) => value.toString(16).toUpperCase().padStart(8, '0');
  return `${timeline}${hex(segment / perId)}${hex(segment % perId)}`;
}
