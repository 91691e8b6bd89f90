import pg from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { RateLimit, type RateLimitFactory } from './rate-limit.ts';

/** Advisory-lock key serialising table creation across processes that start together. */
const CREATE_LOCK = 0x5b_52_4c; // "[RL"

/**
 * rate-limiter-flexible's table shape. We create it ourselves: PostgreSQL's CREATE TABLE IF NOT EXISTS
 * is not safe when two processes run it at once (the loser fails on the row type), and the library only
 * tolerates one of the two errors that race can raise.
 */
async function ensureTable(pool: pg.Pool, table: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [CREATE_LOCK]);
    await client.query(
      `create table if not exists "${table}" (key varchar(255) primary key, points integer not null default 0, expire bigint)`,
    );
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Rate-limit budgets shared by every process through PostgreSQL (RATE_LIMIT_STORE=postgres): one small
 * pool, one table per budget name, created on first use.
 */
export async function postgresRateLimits(
  url: string,
): Promise<{ factory: RateLimitFactory; ready(): Promise<void>; close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'switchboard-rate-limits' });
  pool.on('error', () => {
    // Idle-client errors surface on the next query.
  });
  const ready: Promise<void>[] = [];
  const factory: RateLimitFactory = (name, points, durationSeconds) => {
    if (!/^[a-z0-9_]{1,40}$/.test(name)) throw new Error(`invalid rate-limit budget name: ${name}`);
    const tableName = `rate_limit_${name}`;
    ready.push(ensureTable(pool, tableName));
    const limiter = new RateLimiterPostgres({
      storeClient: pool,
      tableName,
      tableCreated: true,
      keyPrefix: name,
      points,
      duration: durationSeconds,
    });
    return new RateLimit(points, durationSeconds, limiter);
  };
  return {
    factory,
    /** Resolves once every budget made so far has its table. */
    ready: async () => {
      await Promise.all(ready);
    },
    close: async () => {
      await Promise.allSettled(ready);
      await pool.end();
    },
  };
}
