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
 * pg-boss's job insert statement (`insertSql`) among CTEs of ours, as ONE statement ending in `select`: `before`
 * and `after` are CTE lists placed around pg-boss's (`ins`, and `notified` where the queue NOTIFYs). Undefined
 * when the insert's shape is not the one understood here; the caller then runs it on its own.
 */
export function composeWithJobInsert(
  insertSql: string,
  parts: { before?: string; after?: string; select: string },
): string | undefined {
  const sql = insertSql.trim();
  const lead = parts.before ? `${parts.before}, ` : '';
  const trail = parts.after ? `, ${parts.after}` : '';
  if (/^INSERT\s/i.test(sql)) return `WITH ${lead}ins AS (${sql})${trail} ${parts.select}`;
  const tail = NOTIFY_TAIL.exec(sql);
  if (!/^WITH ins AS \(/.test(sql) || !tail) return undefined;
  const body = sql.slice('WITH '.length, tail.index);
  // The NOTIFY's CTE is a plain SELECT: it runs only when referenced.
  return `WITH ${lead}${body}${trail} ${parts.select} WHERE (SELECT count(*) FROM notified) >= 0`;
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
  const sql = composeWithJobInsert(insert.sql, { after: ctes, select: 'SELECT 1' });
  return sql === undefined ? undefined : { sql, params: [...insert.params, ...ours.params] };
}
