import type { Database } from '../db/client.ts';
import { type PruneSpec, pruneInBatches } from '../engine/retention.ts';

export const AGENT_EVENTS_RETENTION: PruneSpec = {
  table: 'agent_events',
  where: 'created_at < $1',
  orderBy: 'created_at',
};

/**
 * Deletes agent events older than `retentionMs` (their webhook deliveries go with them), oldest first, in bounded
 * batches through the created_at index. Returns how many events went.
 */
export function pruneAgentEvents(database: Database, retentionMs: number, now: Date): Promise<number> {
  return pruneInBatches(database, AGENT_EVENTS_RETENTION, new Date(now.getTime() - retentionMs));
}
