import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { dbStatements } from '../metrics/metrics.ts';
import { named } from './prepared.ts';
import { type ListenOptions, SharedListener } from './shared-listener.ts';
import * as baseSchema from './schema.ts';
import * as channelSchema from './schema-channels.ts';
import * as conversationSchema from './schema-conversations.ts';
import * as eventSchema from './schema-events.ts';
import * as imapSchema from './schema-imap.ts';
import * as mailSchema from './schema-mail.ts';
import { EmbeddedDurability, type SyncFs } from './embedded-durability.ts';
import { gatePglite, PriorityGate } from './priority-gate.ts';

export type { ListenOptions };

const schema = {
  ...baseSchema,
  ...conversationSchema,
  ...channelSchema,
  ...mailSchema,
  ...imapSchema,
  ...eventSchema,
};

export type Schema = typeof schema;
/** The Drizzle handle shared by both engines. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** Runs one parameterised statement and returns its rows. */
export type SqlRunner = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

/** An open database: Drizzle plus a raw SQL escape hatch and a closer. */
export type Database = {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** Runs one parameterised statement and returns its rows. */
  query: SqlRunner;
  /**
   * Runs one statement ahead of background work (webhook ingest): on PostgreSQL on its own pool of
   * `PRIORITY_POOL_MAX` connections, so it never waits for one a worker holds; on PGlite ahead of the statements
   * queued for the engine (see priority-gate.ts).
   */
  priorityQuery: SqlRunner;
  /** Statements `priorityQuery` can usefully run at once (its pool size; 1 on PGlite). */
  priorityConcurrency: number;
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (query: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * LISTEN on `channel`; resolves once subscribed. The returned function unsubscribes. `onReconnect` runs after
   * the PostgreSQL connection all of this process's LISTENs share (shared-listener.ts) was lost and re-established
   * (notifications in between are lost).
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    options?: ListenOptions,
  ): Promise<() => Promise<void>>;
  /** The embedded engine itself (PGlite only), for libraries with a PGlite adapter. */
  pglite?: PGlite;
  /** PGlite on a data directory with WAL sync on: makes commits durable on disk (see embedded-durability.ts). */
  durability?: EmbeddedDurability;
  /** Connection string (PostgreSQL only), for libraries that open their own pool. */
  url?: string;
  /** PostgreSQL: parameterized statements run as named prepared statements (DATABASE_PREPARED_STATEMENTS). */
  preparedStatements?: boolean;
  /** Runs `fn` while holding a session advisory lock (PostgreSQL); PGlite is single-process so it just runs. */
  withAdvisoryLock<T>(lockId: number, fn: () => Promise<T>): Promise<T>;
  /** The application pool's use (PostgreSQL only), for metrics. */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
};

export type DatabaseOptions =
  | {
      kind: 'postgres';
      url: string;
      poolMax?: number;
      /** Run parameterized statements as named prepared statements (default true; see prepared.ts). */
      preparedStatements?: boolean;
    }
  | {
      kind: 'pglite';
      dataDir?: string /* omitted = in memory */;
      /** fdatasync the WAL before acknowledging (EMBEDDED_WAL_SYNC; default true; needs `dataDir`). */
      walSync?: boolean;
      /** The file syncs to use (tests: a failing one); default the real fdatasync/fsync. */
      syncFs?: SyncFs;
    };

/**
 * A pooled connection held by one caller. pg-pool takes its own error listener off a client while it is checked
 * out, so a server restart would emit 'error' on it with nobody listening and end the process; here the error
 * is noted (the running statement rejects with it anyway) and the client is discarded on release, never reused.
 */
async function checkout(pool: pg.Pool) {
  const client = await pool.connect();
  const session = {
    client,
    broken: undefined as Error | undefined,
    release: () => {
      client.removeListener('error', onError);
      client.release(session.broken ?? false);
    },
  };
  const onError = (error: Error) => {
    session.broken ??= error;
  };
  client.on('error', onError);
  return session;
}

/** Connections of the priority pool (PostgreSQL): two commits in flight hide one round trip's latency. */
const PRIORITY_POOL_MAX = 2;

/** Opens PostgreSQL (pooled) or embedded PGlite. PGlite callers must hold the data-dir lock first. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolMax ?? 10 });
    const prepare = options.preparedStatements ?? true;
    const counted = dbStatements.labels('app');
    const statement = (text: string, params?: unknown[]) => {
      counted.inc();
      return prepare ? named(text, params) : { text, ...(params ? { values: params } : {}) };
    };
    const priorityPool = new pg.Pool({ connectionString: options.url, max: PRIORITY_POOL_MAX });
    const listener = new SharedListener(options.url);
    for (const each of [pool, priorityPool]) {
      each.on('error', () => {
        // Idle-client errors (server restart) are surfaced by the next query; keep the process alive.
      });
    }
    return {
      kind: 'postgres',
      url: options.url,
      preparedStatements: prepare,
      db: drizzlePg(pool, { schema }) as unknown as Db,
      query: async (text, params) => (await pool.query(statement(text, params))).rows,
      priorityQuery: async (text, params) => (await priorityPool.query(statement(text, params))).rows,
      priorityConcurrency: PRIORITY_POOL_MAX,
      transaction: async (fn) => {
        const session = await checkout(pool);
        try {
          counted.inc();
          await session.client.query('begin');
          // One connection: statements a caller starts together (Promise.all) still go one at a time.
          const result = await fn(
            oneAtATime(async (text, params) => (await session.client.query(statement(text, params))).rows),
          );
          counted.inc();
          await session.client.query('commit');
          return result;
        } catch (error) {
          // A rollback that cannot get through means the connection is gone: discard it.
          counted.inc();
          await session.client.query('rollback').catch((lost: Error) => (session.broken ??= lost));
          throw error;
        } finally {
          session.release();
        }
      },
      listen: (channel, onPayload, listenOptions) => listener.listen(channel, onPayload, listenOptions),
      withAdvisoryLock: async (lockId, fn) => {
        const session = await checkout(pool);
        try {
          await session.client.query('select pg_advisory_lock($1)', [lockId]);
          try {
            return await fn();
          } finally {
            await session.client.query('select pg_advisory_unlock($1)', [lockId]);
          }
        } finally {
          session.release();
        }
      },
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      close: async () => {
        await Promise.all([pool.end(), priorityPool.end()]);
      },
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
  const gate = new PriorityGate();
  const urgentQuery = gatePglite(client, gate);
  const ungated: SqlRunner = async (text, params) => (await urgentQuery(text, params)).rows as never;
  const priorityQuery: SqlRunner = (text, params) => gate.urgently(() => ungated(text, params));
  const durability =
    options.dataDir && (options.walSync ?? true)
      ? // Past the gate without opening a burst: its one short read must not hold the workers back for 5 ms.
        new EmbeddedDurability(options.dataDir, ungated, options.syncFs)
      : undefined;
  await durability?.start().catch(async (error: unknown) => {
    await client.close();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Cannot sync the embedded database's files under ${options.dataDir} (${reason}); on a filesystem without ` +
        'fsync set EMBEDDED_WAL_SYNC=false (a process crash is still survived, a power loss is not)',
    );
  });
  return {
    kind: 'pglite',
    pglite: client,
    ...(durability ? { durability } : {}),
    db: drizzlePglite(client, { schema }) as unknown as Db,
    query: async (text, params) => {
      await yieldToIo();
      return (await client.query(text, params)).rows as never;
    },
    priorityQuery,
    priorityConcurrency: 1,
    transaction: async (fn) => {
      await yieldToIo();
      return client.transaction((tx) =>
        fn(async (text, params) => {
          await yieldToIo();
          return (await tx.query(text, params)).rows as never;
        }),
      );
    },
    listen: async (channel, onPayload) => {
      const unlisten = await client.listen(channel, onPayload);
      return async () => unlisten();
    },
    withAdvisoryLock: (_lockId, fn) => fn(),
    close: () => client.close(),
  };
}

/**
 * A runner whose statements start only after the previous one settled, in call order. node-postgres queues
 * concurrent queries on one client itself, but that is deprecated and goes away in pg 9.
 */
export function oneAtATime(run: SqlRunner): SqlRunner {
  let tail: Promise<unknown> = Promise.resolve();
  return (text, params) => {
    const next = tail.then(() => run(text, params));
    tail = next.catch(() => {});
    return next as never;
  };
}

/**
 * PGlite runs each statement synchronously and resolves it as a microtask, so a chain of statements
 * never lets the event loop read sockets: measured, webhook acks waited 250–600 ms behind worker
 * queries. Yielding to the I/O phase before each statement keeps requests flowing.
 */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
