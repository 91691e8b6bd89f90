import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/client.ts';
import { conversationDueNow } from './queues.ts';

/** Most conversations one release brings forward. */
const RELEASE_LIMIT = 1000;
/** At most one release per channel account per this interval in one process (every released send is a retry). */
const RELEASE_INTERVAL_MS = 250;

/**
 * After a provider fault (429, 5xx, network) each conversation backs off on its own: 1, 2, 4, 8 s… so sends would
 * resume only when each backoff ends, long after the provider is back. A retried send that succeeds proves the
 * provider is back: this brings the account's other backed-off messages and their delivery jobs forward to now.
 * Order is kept (each conversation's job still sends its own messages in order), and the attempt counts stay.
 */
export class DeliveryRelease {
  private readonly database: Database;
  private readonly boss: PgBoss;
  private readonly wake: () => void;
  private readonly last = new Map<string, number>();

  constructor(database: Database, boss: PgBoss, wake: () => void) {
    this.database = database;
    this.boss = boss;
    this.wake = wake;
  }

  /** Called after a retried send on this account succeeded; `conversationId` is the one that just sent. */
  async recovered(agentId: string, channel: string, conversationId: string, now: Date): Promise<void> {
    const key = `${agentId}|${channel}`;
    const at = Date.now();
    if (at - (this.last.get(key) ?? 0) < RELEASE_INTERVAL_MS) return;
    this.last.set(key, at);
    if (this.last.size > RELEASE_LIMIT) this.last.clear();
    const rows = await this.database.query<{ conversation_id: string }>(
      `update messages set next_attempt_at = $4
       where id in (select id from messages
                    where direction = 'outbound' and status = 'queued' and agent_id = $1 and channel = $2
                      and next_attempt_at > $4 and conversation_id <> $3
                    limit ${RELEASE_LIMIT})
       returning conversation_id`,
      [agentId, channel, conversationId, now],
    );
    const conversations = [...new Set(rows.map((row) => row.conversation_id))];
    // Each conversation's deferred job comes due now (or is created, if it was lost); its key keeps it single.
    for (const id of conversations) await conversationDueNow(this.boss, id);
    if (conversations.length > 0) this.wake();
  }
}
