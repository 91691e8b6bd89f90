import type { JobInsert, PgBoss } from 'pg-boss';
import { jobDbFor } from '../queue/job-queue.ts';

/** A statement with its parameters. */
export type Statement = { sql: string; params: unknown[] };

/** The final SELECT pg-boss adds when the queue NOTIFYs (PostgreSQL): it makes the notify CTE run. */
const NOTIFY_TAIL = /SELECT id FROM ins WHERE \(SELECT count\(\*\) FROM notified\) (>= 0|< 0)\s*$/;

/**
 * pg-boss's own statement inserting `jobs` into `queue`, with its parameters, as `boss.insert` would run it (its
 * validation, defaults and NOTIFY stay pg-boss's): captured, not run.
 */
export async function capturedJobInsert<T extends object>(
  boss: PgBoss,
  queue: string,
  jobs: JobInsert<T>[],
): Promise<Statement> {
  let captured: Statement | undefined;
  const capture = jobDbFor(async (sql, params) => {
    captured = { sql, params: params ?? [] };
    return [];
  });
  await boss.insert(queue, jobs, { db: capture } as never);
  if (!captured) throw new Error('pg-boss ran no insert statement');
  return captured;
}

/**
 * A job insert (`capturedJobInsert`) and a statement of ours, given as CTEs (`ctes`, data-modifying, parameters
 * numbered from $1), as ONE statement: one round trip where they were two, atomic as before. Undefined when the
 * insert's shape is not the one understood here; the caller then runs the two.
 */
export function withJobInsert(
  insert: Statement,
  ours: { ctes: string; params: unknown[] },
): Statement | undefined {
  const shift = insert.params.length;
  const ctes = ours.ctes.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + shift}`);
  const params = [...insert.params, ...ours.params];
  const sql = insert.sql.trim();
  if (/^INSERT\s/i.test(sql)) return { sql: `WITH ins AS (${sql}), ${ctes} SELECT 1`, params };
  const tail = NOTIFY_TAIL.exec(sql);
  if (!/^WITH ins AS \(/.test(sql) || !tail) return undefined;
  const body = sql.slice('WITH '.length, tail.index);
  return { sql: `WITH ${body}, ${ctes} SELECT 1 WHERE (SELECT count(*) FROM notified) >= 0`, params };
}
