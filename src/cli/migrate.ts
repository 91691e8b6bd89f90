import { ConfigError, loadConfig } from '../config.ts';
import { migrate, migrationStatus } from '../db/migrate.ts';
import { openConfiguredDatabase } from '../server.ts';

/** `npm run migrate`: apply pending migrations to the configured database and exit. */
try {
  const config = loadConfig();
  const { database, release } = await openConfiguredDatabase(config);
  try {
    await migrate(database);
    const { applied } = await migrationStatus(database);
    process.stdout.write(`Migrations up to date on ${database.kind} (${applied} applied).\n`);
  } finally {
    await database.close();
    release();
  }
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).stack}\n`);
  process.exit(1);
}
