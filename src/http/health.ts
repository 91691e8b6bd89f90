import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Database } from '../db/client.ts';
import { migrationStatus } from '../db/migrate.ts';
import type { AppEnv } from './env.ts';

/** /healthz: the process answers. /readyz: the database answers and every migration is applied. */
export function registerHealth(app: OpenAPIHono<AppEnv>, database: Database): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      const { expected, applied } = await migrationStatus(database);
      if (applied < expected) {
        return c.json({ status: 'not_ready', reason: `migrations applied ${applied} of ${expected}` }, 503);
      }
      return c.json({ status: 'ready', database: database.kind, migrations: applied });
    } catch {
      return c.json({ status: 'not_ready', reason: 'database unreachable' }, 503);
    }
  });
}
