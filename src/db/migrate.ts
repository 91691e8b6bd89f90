import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { Database } from './client.ts';

export const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');
/** Arbitrary constant naming Switchboard's migration advisory lock. */
const MIGRATION_LOCK_ID = 7_264_011;

/** Applies pending migrations; on PostgreSQL, concurrent starters queue behind an advisory lock. */
export async function migrate(database: Database): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (database.kind === 'pglite') {
    await migratePglite(database.db as never, config);
    return;
  }
  await database.withAdvisoryLock(MIGRATION_LOCK_ID, () => migrateNodePg(database.db as never, config));
}

let shipped: number | undefined;

/** Number of migrations shipped (read from disk once) vs applied; ready only when they match. */
export async function migrationStatus(database: Database): Promise<{ expected: number; applied: number }> {
  shipped ??= readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
  const expected = shipped;
  const rows = await database.query<{ n: number }>(
    'select count(*)::int as n from drizzle.__drizzle_migrations',
  );
  return { expected, applied: rows[0]?.n ?? 0 };
}
