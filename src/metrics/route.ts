import type { OpenAPIHono } from '@hono/zod-openapi';
import { secretsEqual } from '../auth/constant-time.ts';
import { bearerToken } from '../auth/authenticate.ts';
import type { Database } from '../db/client.ts';
import { QUEUES } from '../engine/queues.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { notFound, unauthorized } from '../http/errors.ts';
import { dbPoolConnections, queueJobs, queueOldestWaitingSeconds, registry } from './metrics.ts';

type QueueRow = { name: string; waiting: number; deferred: number; active: number; oldest: number | null };

/** Reads queue depth and age from pg-boss's table, and the pool's use, into their gauges. */
async function refreshDatabaseGauges(database: Database): Promise<void> {
  const names = Object.values(QUEUES);
  const rows = await database.query<QueueRow>(
    `select name,
       count(*) filter (where state in ('created', 'retry') and start_after <= now())::int as waiting,
       count(*) filter (where state in ('created', 'retry') and start_after > now())::int as deferred,
       count(*) filter (where state = 'active')::int as active,
       extract(epoch from now() - min(start_after) filter (
         where state in ('created', 'retry') and start_after <= now()))::float8 as oldest
     from pgboss.job where name = any($1::text[]) and state in ('created', 'retry', 'active')
     group by name`,
    [names],
  );
  for (const queue of names) {
    const row = rows.find((r) => r.name === queue);
    queueJobs.set({ queue, state: 'waiting' }, row?.waiting ?? 0);
    queueJobs.set({ queue, state: 'deferred' }, row?.deferred ?? 0);
    queueJobs.set({ queue, state: 'active' }, row?.active ?? 0);
    queueOldestWaitingSeconds.set({ queue }, Math.max(0, row?.oldest ?? 0));
  }
  const pool = database.poolStats?.();
  if (pool) for (const [state, value] of Object.entries(pool)) dbPoolConnections.set({ state }, value);
}

/**
 * `GET /metrics` in Prometheus text format, only when METRICS_TOKEN is set, and only with
 * `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time). Without the variable the route is 404.
 */
export function registerMetricsRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.get('/metrics', async (c) => {
    const expected = deps.config.METRICS_TOKEN;
    if (!expected) throw notFound('Route');
    if (!secretsEqual(bearerToken(c.req.header('authorization')), expected)) {
      throw unauthorized('A valid metrics token is required');
    }
    // The queue tables exist once the engine has started; until then only the process metrics are served.
    if (deps.engine) await refreshDatabaseGauges(deps.database);
    return c.body(await registry.metrics(), 200, { 'content-type': registry.contentType });
  });
}
