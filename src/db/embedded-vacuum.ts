import { timedMaintenance } from '../metrics/metrics.ts';
import type { Database } from './client.ts';

/** Schemas whose tables Switchboard writes: its own, pg-boss's and the migration journal. */
const SCHEMAS = ['public', 'pgboss', 'drizzle'];

type Table = { schema: string; name: string };

/**
 * The embedded database runs PostgreSQL in single-user mode: no autovacuum worker ever starts (and its
 * statistics counters stay at zero). Without VACUUM, space of deleted or updated rows is never reused — a table
 * pruned by retention (inbound events, completed jobs) grows by its whole churn, forever — and without ANALYZE
 * the planner never learns a table's size or value distribution. This does what autovacuum would: on each call,
 * `VACUUM (ANALYZE)` of the next table in turn, one table per call so the one connection is held briefly
 * (webhook commits wait behind at most one table). Partitioned tables are vacuumed through their parent.
 */
export class EmbeddedVacuum {
  private readonly database: Database;
  private tables: Table[] = [];
  private next = 0;

  constructor(database: Database) {
    this.database = database;
  }

  /** Vacuums and analyzes the next table; returns it (undefined when there is none). */
  async vacuumNext(): Promise<Table | undefined> {
    // The list is re-read each cycle, so tables created later (migrations, new pg-boss queues) join in.
    if (this.next >= this.tables.length) {
      this.tables = await this.listTables();
      this.next = 0;
    }
    const table = this.tables[this.next++];
    if (!table) return undefined;
    await timedMaintenance('vacuum', () =>
      this.database.query(`vacuum (analyze) ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`),
    );
    return table;
  }

  private listTables(): Promise<Table[]> {
    return this.database.query<Table>(
      `select n.nspname as schema, c.relname as name from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any($1)
       order by n.nspname, c.relname`,
      [SCHEMAS],
    );
  }
}

/** A name as a quoted SQL identifier. */
function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
