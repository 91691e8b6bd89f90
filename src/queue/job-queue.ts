import { fromPglite, PgBoss } from 'pg-boss';
import { type Database, type SqlRunner, yieldToIo } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { preparePgBossStatements } from '../db/prepared.ts';

/** pg-boss's adapter shape for "run this statement on my connection". */
export type JobDb = { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> };

/** Lets pg-boss write its job rows inside one of our transactions. */
export function jobDbFor(query: SqlRunner): JobDb {
  return { executeSql: async (text, values) => ({ rows: await query(text, values) }) };
}

/** Starts pg-boss on the same database: PGlite through its adapter, PostgreSQL through its own small pool. */
export async function startJobQueue(database: Database, logger: Logger): Promise<PgBoss> {
  const common = {
    schema: 'pgboss',
    useListenNotify: true,
    schedule: false,
    superviseIntervalSeconds: 5,
    monitorIntervalSeconds: 30,
    registerInstance: database.kind === 'postgres',
  };
  const boss =
    database.kind === 'pglite'
      ? new PgBoss({ ...common, db: yieldingPglite(database), backend: 'pglite' })
      : new PgBoss({
          ...common,
          connectionString: database.url,
          max: 4,
          application_name: 'switchboard-queue',
        });
  // pg-boss's statements are a small fixed set, run thousands of times a second under load: prepare them.
  if (database.preparedStatements) preparePgBossStatements(boss.getDb() as never);
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
  boss.on('warning', (warning) => logger.warn({ warning }, 'job queue warning'));
  await boss.start();
  return boss;
}

/** pg-boss's PGlite adapter, yielding to I/O before each statement like our own queries do. */
function yieldingPglite(database: Database) {
  const db = fromPglite(database.pglite as never);
  const executeSql = db.executeSql.bind(db);
  db.executeSql = async (text, values) => {
    await yieldToIo();
    return executeSql(text, values);
  };
  return db;
}
