import { type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './client.ts';

export type PageRequest = { page: number; limit: number };
export type Page<T> = { data: T[]; pagination: PageRequest & { total: number } };

/** Runs a page query and its total count together. `fetch` receives the SQL limit and offset. */
export async function paginate<Row, T>(
  db: Db,
  request: PageRequest,
  count: { table: PgTable; where: SQL | undefined },
  fetch: (limit: number, offset: number) => Promise<Row[]>,
  view: (row: Row) => T,
): Promise<Page<T>> {
  const [rows, [total]] = await Promise.all([
    fetch(request.limit, (request.page - 1) * request.limit),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(count.table)
      .where(count.where),
  ]);
  return { data: rows.map(view), pagination: { ...request, total: total?.n ?? 0 } };
}
