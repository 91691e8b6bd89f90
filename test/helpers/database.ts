import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { type Database, openDatabase, type SqlRunner } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PGlite data dir: each test database starts from a copy of it instead of initdb. */
    pgliteTemplate: string;
  }
}

/**
 * A new data dir (removed by the caller) whose embedded database is the run's migrated template, so a spawned server
 * skips initdb and the migrations (~6 s of CPU); it still bootstraps its first run (no `bootstrap` row). A project
 * without the template setup gets an empty dir.
 */
export function migratedDataDir(prefix = 'sb-data-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const template = inject('pgliteTemplate');
  if (template) fs.cpSync(template, path.join(dir, 'pgdata'), { recursive: true });
  return dir;
}

/** Which engine this test project runs on: set per vitest project (see vitest.config.ts). */
export function testDatabaseKind(): 'pglite' | 'postgres' {
  return process.env.SWITCHBOARD_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
}

function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A clean, migrated database for one test file: PGlite in a copy of the run's template data dir (removed on close;
 * in memory, migrated afresh, without the template), or a fresh PostgreSQL database created on the
 * TEST_DATABASE_URL server and dropped on close.
 */
export async function createTestDatabase(): Promise<Database & { url?: string }> {
  if (testDatabaseKind() === 'pglite') {
    if (inject('pgliteTemplate')) {
      const dir = migratedDataDir('sb-pglite-');
      const database = await openDatabase({
        kind: 'pglite',
        dataDir: path.join(dir, 'pgdata'),
        walSync: false,
      });
      return {
        ...database,
        close: async () => {
          await database.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    const database = await openDatabase({ kind: 'pglite' });
    await migrate(database);
    return database;
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is required for the postgres test project');
  const scratch = await scratchDatabase(adminUrl, 'sb_test');
  const { url } = scratch;
  const database = await openDatabase({ kind: 'postgres', url, poolMax: 5 });
  await migrate(database);
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      await scratch.drop();
    },
  };
}

/** A fresh, empty PostgreSQL database on the server of `adminUrl` (`<prefix>_<random>`), and its dropper. */
export async function scratchDatabase(
  adminUrl: string,
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const run = async (sql: string) => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  };
  await run(`create database ${name}`);
  return {
    url: withDatabaseName(adminUrl, name),
    drop: () => run(`drop database if exists ${name} with (force)`),
  };
}

/** Records the text of every statement run through the runners it wraps, in order. */
export function statementRecorder(): { statements: string[]; wrap: (query: SqlRunner) => SqlRunner } {
  const statements: string[] = [];
  return {
    statements,
    wrap: (query) => (text, params) => {
      statements.push(text);
      return query(text, params);
    },
  };
}
