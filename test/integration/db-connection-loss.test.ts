import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { createTestDatabase, testDatabaseKind } from '../helpers/database.ts';

/**
 * A PostgreSQL restart terminates every connection, including ones checked out of the pool and idle between
 * two statements of a transaction. Such a client emits 'error' with no pool listener attached; unheard, that
 * ends the process (found by `npm run chaos`). PGlite has no server to lose, so this is PostgreSQL only.
 */
describe.runIf(testDatabaseKind() === 'postgres')(
  'a connection the server terminates mid-transaction',
  () => {
    let database: Database & { url?: string };
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(() => database?.close());

    async function terminate(pid: number) {
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await admin.end();
    }

    it('rejects that transaction, keeps the process alive, and the pool serves the next one', async () => {
      let reportPid = (_pid: number) => {};
      const pid = new Promise<number>((resolve) => (reportPid = resolve));
      let proceed = () => {};
      const gate = new Promise<void>((resolve) => (proceed = resolve));
      const transaction = database.transaction(async (query) => {
        const [row] = await query<{ pid: number }>('select pg_backend_pid() as pid');
        reportPid(row!.pid);
        await gate; // Idle between statements, as a transaction is while our code runs.
        await query('select 1');
      });
      const outcome = transaction.then(
        () => 'committed',
        () => 'rejected',
      );
      await terminate(await pid);
      // Let the server's termination message reach the idle client before the transaction goes on.
      await new Promise((resolve) => setTimeout(resolve, 200));
      proceed();
      expect(await outcome).toBe('rejected');
      const [after] = await database.transaction((query) => query<{ one: number }>('select 1 as one'));
      expect(after).toEqual({ one: 1 });
    });

    it('survives the same inside withAdvisoryLock', async () => {
      let reportPid = (_pid: number) => {};
      const pid = new Promise<number>((resolve) => (reportPid = resolve));
      let proceed = () => {};
      const gate = new Promise<void>((resolve) => (proceed = resolve));
      const locked = database.withAdvisoryLock(4242, async () => {
        const [row] = await database.query<{ pid: number }>(
          `select pid from pg_locks where locktype = 'advisory' and objid = 4242 and granted`,
        );
        reportPid(row!.pid);
        await gate;
      });
      const outcome = locked.then(
        () => 'done',
        () => 'rejected',
      );
      await terminate(await pid);
      await new Promise((resolve) => setTimeout(resolve, 200));
      proceed();
      // The unlock cannot reach the dead connection, but the server released the lock with it.
      expect(await outcome).toBe('rejected');
      await expect(database.withAdvisoryLock(4242, async () => 'again')).resolves.toBe('again');
    });
  },
);
