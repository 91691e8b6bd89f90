import type { Database } from '../db/client.ts';
import { PRUNE_BATCH, PRUNE_BATCHES_PER_PASS } from '../engine/retention.ts';

/**
 * Deletes agent events older than `retentionMs` (their webhook deliveries go with them), oldest first, in bounded
 * batches through the created_at index. Returns how many events went.
 */
export async function pruneAgentEvents(database: Database, retentionMs: number, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionMs);
  let pruned = 0;
  for (let pass = 0; pass < PRUNE_BATCHES_PER_PASS; pass++) {
    const rows = await database.query<{ n: number }>(
      `with gone as (
         delete from agent_events where id in (
           select id from agent_events where created_at < $1 order by created_at limit $2)
         returning 1)
       select count(*)::int as n from gone`,
      [cutoff, PRUNE_BATCH],
    );
    const n = rows[0]?.n ?? 0;
    pruned += n;
    if (n < PRUNE_BATCH) break;
  }
  return pruned;
}
