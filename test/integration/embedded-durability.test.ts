import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { EmbeddedDurability, nodeSyncFs, type SyncFs } from '../../src/db/embedded-durability.ts';
import { migrate } from '../../src/db/migrate.ts';
import { Ingestor } from '../../src/engine/ingest.ts';
import { createQueues } from '../../src/engine/queues.ts';
import { startJobQueue } from '../../src/queue/job-queue.ts';
import { testDatabaseKind } from '../helpers/database.ts';
import { startTestApp } from '../helpers/app.ts';
import { captureLogger } from '../helpers/logs.ts';
import { maintenanceTimed } from '../helpers/maintenance-metric.ts';

/** Records every sync; a datasync waits while `hold` is set, so a test can see who waits for it. */
class RecordingFs implements SyncFs {
  datasyncs: string[] = [];
  fsyncs: string[] = [];
  hold: Promise<void> | undefined;
  /** Datasyncs that reached the hold. */
  held = 0;
  async datasync(file: string) {
    if (this.hold) this.held++;
    await this.hold;
    await nodeSyncFs.datasync(file); // the file must exist: a wrong name fails here
    this.datasyncs.push(path.basename(file));
  }
  async fsync(file: string) {
    await nodeSyncFs.fsync(file);
    this.fsyncs.push(file);
  }
}

let dir: string;
let database: Database;
let files: RecordingFs;
let durability: EmbeddedDurability;
let boss: PgBoss;

const walFile = async () =>
  (await database.query<{ name: string }>(`select pg_walfile_name(pg_current_wal_flush_lsn()) as name`))[0]
    ?.name;

// A data directory of its own (the shared test databases live in memory); PGlite only.
describe.runIf(testDatabaseKind() === 'pglite')('embedded durability', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-durability-'));
    database = await openDatabase({ kind: 'pglite', dataDir: dir, walSync: false });
    await migrate(database);
    files = new RecordingFs();
    durability = new EmbeddedDurability(dir, database.priorityQuery, files);
    await durability.start();
    database.durability = durability;
    boss = await startJobQueue(database, captureLogger('warn').logger);
    await createQueues(boss, false);
    await database.query(`insert into organizations (id, name) values ('org_d', 'd')`);
    await database.query(`insert into projects (id, organization_id, name) values ('proj_d', 'org_d', 'p')`);
    await database.query(
      `insert into agents (id, organization_id, project_id, name, llm_settings)
       values ('agent_d', 'org_d', 'proj_d', 'a', '{}')`,
    );
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false, close: true } as never);
    await database?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('syncs the cluster at start, then the WAL segment a commit was written to, once', async () => {
    expect(files.fsyncs.some((file) => file.endsWith(`${path.sep}PG_VERSION`))).toBe(true);
    files.datasyncs = [];
    await database.query(`create table if not exists durability_probe (n int)`);
    await database.query(`insert into durability_probe values (1)`);
    const timed = await maintenanceTimed('wal_sync');
    await durability.syncWal();
    expect(files.datasyncs).toEqual([await walFile()]);
    await durability.syncWal();
    expect(files.datasyncs).toHaveLength(1);
    // Timed once: the second call had nothing to sync.
    expect(await maintenanceTimed('wal_sync')).toBe(timed + 1);
  });

  it('syncs every segment written since the last sync when the WAL moved on by several', async () => {
    await database.query(`create table if not exists durability_bulk (t text)`);
    await durability.syncWal();
    const before = await walFile();
    files.datasyncs = [];
    // ~40 MB of incompressible rows: at least two 16 MB segments.
    await database.query(
      `insert into durability_bulk
       select (select string_agg(md5(g::text || i::text), '') from generate_series(1, 32) i)
       from generate_series(1, 40000) g`,
    );
    await durability.syncWal();
    const after = await walFile();
    expect(files.datasyncs[0]).toBe(before);
    expect(files.datasyncs.at(-1)).toBe(after);
    expect(files.datasyncs.length).toBeGreaterThanOrEqual(3);
    // Consecutive segment numbers, each once.
    const numbers = files.datasyncs.map((name) => Number.parseInt(name.slice(16), 16));
    numbers.forEach((n, i) => i > 0 && expect(n).toBe((numbers[i - 1] ?? 0) + 1));
    expect(files.fsyncs.at(-1)).toBe(path.join(dir, 'pg_wal'));
  });

  it('answers an ingest only after its WAL is synced; calls during a sync share the next one', async () => {
    const ingestor = new Ingestor(database, boss);
    let release!: () => void;
    files.hold = new Promise((resolve) => {
      release = resolve;
    });
    files.datasyncs = [];
    await database.query(`insert into durability_probe values (2)`);
    const first = durability.syncWal();
    await new Promise((resolve) => setTimeout(resolve, 20));
    let acknowledged = false;
    const ingest = ingestor
      .ingest({ agentId: 'agent_d', channel: 'loopback' }, [
        { kind: 'message', eventId: 'e1', sender: { platformUserId: 'u', chatId: 'u' }, text: 'hi' },
      ])
      .then((result) => {
        acknowledged = true;
        return result;
      });
    const third = durability.syncWal();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acknowledged).toBe(false);
    release();
    files.hold = undefined;
    expect(await ingest).toEqual({ accepted: 1, duplicates: 0 });
    await Promise.all([first, third]);
    // The held sync, then one more for everything written while it ran.
    expect(files.datasyncs).toHaveLength(2);
  });

  it('answers an API write only after its WAL is synced, and a read without waiting for a sync', async () => {
    const app = await startTestApp({}, undefined, { database });
    try {
      let release!: () => void;
      files.held = 0;
      files.hold = new Promise((resolve) => {
        release = resolve;
      });
      await database.query(`create table if not exists durability_probe (n int)`);
      await database.query(`insert into durability_probe values (3)`);
      let answered = false;
      const write = app
        .call('POST', '/api/v1/auth/register', {
          body: { email: 'durable@example.com', password: 'a-long-enough-password', name: 'D' },
        })
        .then((response) => {
          answered = true;
          return response;
        });
      // Wait until the write's sync is held (registration hashes a password first).
      const deadline = Date.now() + 20_000;
      while (files.held === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(files.held).toBe(1);
      // A read is not held by the pending sync; the write is.
      expect((await app.call('GET', '/healthz')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(answered).toBe(false);
      release();
      files.hold = undefined;
      expect((await write).status).toBe(201);
    } finally {
      await app.close();
    }
  });
});

describe.runIf(testDatabaseKind() === 'pglite')('embedded durability: whole-cluster sync', () => {
  it('skips a file the engine removed after it was listed, and still fails on any other error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-sync-files-'));
    try {
      fs.mkdirSync(path.join(dir, 'base'));
      for (const name of ['a', 'gone', 'c']) fs.writeFileSync(path.join(dir, 'base', name), name);
      const synced: string[] = [];
      const removing: SyncFs = {
        datasync: async () => {},
        fsync: async (file) => {
          // As if the engine dropped the file between the listing and its sync.
          if (file.endsWith('gone')) fs.rmSync(file);
          await nodeSyncFs.fsync(file);
          synced.push(path.relative(dir, file));
        },
      };
      const noQuery = async () => [];
      await new EmbeddedDurability(dir, noQuery, removing).syncFiles();
      expect(synced.sort()).toEqual(['', 'base', 'base/a', 'base/c']);
      const broken: SyncFs = {
        datasync: async () => {},
        fsync: async () => {
          throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
        },
      };
      await expect(new EmbeddedDurability(dir, noQuery, broken).syncFiles()).rejects.toThrow('EIO');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(testDatabaseKind() === 'pglite')('embedded durability at start', () => {
  it('refuses to start on a data directory it cannot sync, naming the setting that turns syncing off', async () => {
    const unsyncable = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-unsyncable-'));
    const failing: SyncFs = {
      datasync: async () => {},
      fsync: async () => {
        throw Object.assign(new Error('EINVAL: invalid argument, fsync'), { code: 'EINVAL' });
      },
    };
    try {
      await expect(openDatabase({ kind: 'pglite', dataDir: unsyncable, syncFs: failing })).rejects.toThrow(
        /EINVAL.*set EMBEDDED_WAL_SYNC=false/,
      );
      // Nothing half-open is left behind: the directory opens again.
      await (await openDatabase({ kind: 'pglite', dataDir: unsyncable, walSync: false })).close();
    } finally {
      fs.rmSync(unsyncable, { recursive: true, force: true });
    }
  });
});
