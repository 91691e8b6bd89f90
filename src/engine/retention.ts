import type { Database } from '../db/client.ts';

/** Rows one pruning statement deletes, and statements one housekeeping pass runs at most. */
export const PRUNE_BATCH = 1000;
export const PRUNE_BATCHES_PER_PASS = 20;

/** Rows of `table` matching `where` ($1 is the cutoff), deleted oldest first by `orderBy`. */
export type PruneSpec = { table: string; where: string; orderBy: string };

/**
 * One batch of `pruneInBatches` ($1 cutoff, $2 batch size). The ids go to the delete as an array, so it finds
 * them by primary key: as `id in (select …)`, a plan made on an empty table hash-joined them against a scan of
 * the whole table.
 */
export const pruneBatchSql = (spec: PruneSpec) =>
  `with gone as (
     delete from ${spec.table} where id = any(array(
       select id from ${spec.table} where ${spec.where} order by ${spec.orderBy} limit $2))
     returning 1)
   select count(*)::int as n from gone`;

/**
 * Deletes the rows of `table` matching `where` ($1 is the cutoff) oldest first by `orderBy`, in bounded batches
 * (each an index range scan when an index serves `where`/`orderBy`), at most one pass. Returns how many went.
 */
export async function pruneInBatches(database: Database, spec: PruneSpec, cutoff: Date): Promise<number> {
  let pruned = 0;
  for (let pass = 0; pass < PRUNE_BATCHES_PER_PASS; pass++) {
    const rows = await database.query<{ n: number }>(pruneBatchSql(spec), [cutoff, PRUNE_BATCH]);
    const n = rows[0]?.n ?? 0;
    pruned += n;
    if (n < PRUNE_BATCH) break;
  }
  return pruned;
}

export const PROCESSED_EVENTS_RETENTION: PruneSpec = {
  table: 'inbound_events',
  where: 'processed and processed_at < $1',
  orderBy: 'processed_at',
};
export const PROCESSED_MAIL_RETENTION: PruneSpec = {
  table: 'raw_mails',
  where: "status <> 'pending' and processed_at < $1",
  orderBy: 'processed_at',
};

/**
 * Deletes processed inbound events older than `retentionMs`, in bounded batches (the partial index on
 * processed_at makes each one an index range scan). An event is also the dedupe key of its provider delivery:
 * a redelivery arriving after its event was pruned would be taken as new, so the retention must outlast every
 * provider's retry window (Meta retries for up to 7 days). Returns how many rows went.
 */
export function pruneProcessedEvents(database: Database, retentionMs: number, now: Date): Promise<number> {
  return pruneInBatches(database, PROCESSED_EVENTS_RETENTION, new Date(now.getTime() - retentionMs));
}

/**
 * Deletes processed raw mail (any status but pending) older than `retentionMs`, in the same bounded batches.
 * A raw mail is the dedupe key of its delivery and holds the attachments its messages point to (`rawmail:`
 * refs): after it goes, a redelivery would be taken as new and those attachments are no longer served, so it
 * shares the inbound events' retention (at least 8 days). Returns how many rows went.
 */
export function pruneProcessedMail(database: Database, retentionMs: number, now: Date): Promise<number> {
  return pruneInBatches(database, PROCESSED_MAIL_RETENTION, new Date(now.getTime() - retentionMs));
}
