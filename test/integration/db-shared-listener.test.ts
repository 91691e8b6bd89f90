import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { createTestDatabase, testDatabaseKind } from '../helpers/database.ts';
import { eventually } from '../helpers/loopback-peer.ts';

/**
 * PostgreSQL wakes every listening connection of a database for each NOTIFY, whatever its channel: a process's
 * LISTENs share one connection, which comes back (with every channel) after the server drops it.
 */
describe.runIf(testDatabaseKind() === 'postgres')('LISTEN on one shared connection', () => {
  let database: Database;
  let admin: pg.Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await database?.close();
  });

  /** Backends of this database whose latest statement was a LISTEN (the shared connection, idle). */
  const listeners = async () =>
    (
      await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'`,
      )
    ).rows.map((row) => row.pid);

  /** Waits (bounded) until `done` holds. */
  const until = (done: () => boolean | Promise<boolean>) =>
    eventually(async () => ((await done()) ? true : undefined), 20_000);

  it('listens to several channels on one connection, delivers each its own payloads, and recovers both', async () => {
    const got = { a: [] as string[], b: [] as string[] };
    const reconnected = { a: 0, b: 0 };
    const stopA = await database.listen('sb_shared_a', (p) => got.a.push(p), {
      onReconnect: () => reconnected.a++,
    });
    const stopB = await database.listen('sb_shared_b', (p) => got.b.push(p), {
      onReconnect: () => reconnected.b++,
    });
    try {
      const pids = await listeners();
      expect(pids).toHaveLength(1);
      await admin.query(`select pg_notify('sb_shared_a', 'one'), pg_notify('sb_shared_b', 'two')`);
      await until(() => got.a.length > 0 && got.b.length > 0);
      expect(got).toEqual({ a: ['one'], b: ['two'] });

      await admin.query('select pg_terminate_backend($1)', [pids[0]]);
      await until(() => reconnected.a > 0 && reconnected.b > 0);
      expect(reconnected).toEqual({ a: 1, b: 1 });
      const after = await listeners();
      expect(after).toHaveLength(1);
      expect(after[0]).not.toBe(pids[0]);
      await admin.query(`select pg_notify('sb_shared_a', 'three'), pg_notify('sb_shared_b', 'four')`);
      await until(() => got.a.length > 1 && got.b.length > 1);
      expect(got).toEqual({ a: ['one', 'three'], b: ['two', 'four'] });

      // One channel dropped: its notifications stop (the later one on the other channel arrives alone).
      await stopA();
      await admin.query(`select pg_notify('sb_shared_a', 'five')`);
      await admin.query(`select pg_notify('sb_shared_b', 'six')`);
      await until(() => got.b.length > 2);
      expect(got).toEqual({ a: ['one', 'three'], b: ['two', 'four', 'six'] });
    } finally {
      await stopA();
      await stopB();
    }
    // The last subscription gone, the connection is closed.
    await until(async () => (await listeners()).length === 0);
    expect(await listeners()).toEqual([]);
  });
});
