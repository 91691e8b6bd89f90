import { fromPglite, PgBoss } from 'pg-boss';
import { type Database, type SqlRunner, yieldToIo } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { preparePgBossStatements } from '../db/prepared.ts';
import { dbStatements } from '../metrics/metrics.ts';

/** pg-boss's adapter shape for "run this statement on my connection". */
export type JobDb = { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> };

/** Lets pg-boss write its job rows inside one of our transactions. */
export function jobDbFor(query: SqlRunner): JobDb {
  return { executeSql: async (text, values) => ({ rows: await query(text, values) }) };
}

/**
 * Starts pg-boss on the same database: PGlite through its adapter, PostgreSQL through its own small pool.
 * `onJobNotified` receives each new-job NOTIFY (its payload is the queue name) in place of pg-boss's own handling,
 * which wakes every worker of the queue in this process: one job, a fetch per idle worker, all but one empty.
 */
export async function startJobQueue(
  database: Database,
  logger: Logger,
  onJobNotified?: (queue: string) => void,
): Promise<PgBoss> {
  const common = {
    schema: 'pgboss',
    useListenNotify: true,
    schedule: false,
    superviseIntervalSeconds: 5,
    // Heartbeat expiry runs in the monitor pass: a SIGKILLed process's jobs go back to the queue within
    // heartbeatSeconds + this on PostgreSQL (the embedded database requeues them at start-up, recovery.ts).
    monitorIntervalSeconds: database.kind === 'postgres' ? 5 : 30,
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
  if (database.kind === 'postgres') countStatements(boss.getDb() as never);
  if (onJobNotified) routeNotifications(boss.getDb() as never, onJobNotified);
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
  boss.on('warning', (warning) => logger.warn({ warning }, 'job queue warning'));
  await boss.start();
  return boss;
}

/** Counts pg-boss's statements (`switchboard_db_statements_total{pool="queue"}`). */
function countStatements(db: JobDb): void {
  const executeSql = db.executeSql.bind(db);
  const counted = dbStatements.labels('queue');
  db.executeSql = (...args) => {
    counted.inc();
    return executeSql(...args);
  };
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

type ListeningDb = {
  listen?: (
    channel: string,
    onPayload: (payload: string) => void,
    onReconnect?: () => void,
  ) => Promise<unknown>;
};

/** Hands the job NOTIFYs pg-boss listens for to `route`; a reconnect still wakes every worker (missed NOTIFYs). */
function routeNotifications(db: ListeningDb, route: (queue: string) => void): void {
  const listen = db.listen?.bind(db);
  if (!listen) return;
  db.listen = (channel, _onPayload, onReconnect) => listen(channel, route, onReconnect);
}
