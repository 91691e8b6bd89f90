import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import * as schema from './schema.ts';

export type Schema = typeof schema;
/** The Drizzle handle shared by both engines. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** An open database: Drizzle plus a raw SQL escape hatch and a closer. */
export type Database = {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** Runs one parameterised statement and returns its rows. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` while holding a session advisory lock (PostgreSQL); PGlite is single-process so it just runs. */
  withAdvisoryLock<T>(lockId: number, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; poolMax?: number }
  | { kind: 'pglite'; dataDir?: string /* omitted = in memory */ };

/** Opens PostgreSQL (pooled) or embedded PGlite. PGlite callers must hold the data-dir lock first. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolMax ?? 10 });
    pool.on('error', () => {
      // Idle-client errors (server restart) are surfaced by the next query; keep the process alive.
    });
    return {
      kind: 'postgres',
      db: drizzlePg(pool, { schema }) as unknown as Db,
      query: async (text, params) => (await pool.query(text, params)).rows,
      withAdvisoryLock: async (lockId, fn) => {
        const session = await pool.connect();
        try {
          await session.query('select pg_advisory_lock($1)', [lockId]);
          try {
            return await fn();
          } finally {
            await session.query('select pg_advisory_unlock($1)', [lockId]);
          }
        } finally {
          session.release();
        }
      },
      close: () => pool.end(),
    };
  }
  let client: PGlite;
  if (options.dataDir) {
    fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    // PGlite writes its files world-readable under a permissive umask; a private directory keeps them private.
    fs.chmodSync(options.dataDir, 0o700);
    client = await PGlite.create(options.dataDir);
  } else {
    client = await PGlite.create();
  }
  return {
    kind: 'pglite',
    db: drizzlePglite(client, { schema }) as unknown as Db,
    query: async (text, params) => (await client.query(text, params)).rows as never,
    withAdvisoryLock: (_lockId, fn) => fn(),
    close: () => client.close(),
  };
}
