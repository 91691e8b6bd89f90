import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { EngineOptions } from './engine.ts';
import { QUEUES, streamKey } from './queues.ts';
import { publishEvents } from '../events/publish.ts';

/** Most triggers re-created per reconciliation pass, per kind. */
const RECONCILE_LIMIT = 1000;
/** Unanswered messages older than this are left alone: their turn failed for good and says so. */
const RETRIGGER_WINDOW_MS = 3_600_000;

/**
 * Embedded database only: this process owns the data directory, so any job still `active` belongs to
 * a process that died. Failing it now sends it to retry at once instead of after its heartbeat lapses.
 */
export async function recoverOrphanedJobs(database: Database, boss: PgBoss, logger: Logger): Promise<void> {
  const rows = await database.query<{ id: string; name: string }>(
    `select id, name from pgboss.job where state = 'active' and name = any($1) limit ${RECONCILE_LIMIT}`,
    [Object.values(QUEUES)],
  );
  for (const row of rows) await boss.fail(row.name, row.id, { reason: 'process restarted' });
  if (rows.length > 0) logger.info({ jobs: rows.length }, 'requeued jobs orphaned by the previous process');
}

/**
 * Re-creates the trigger for any work the tables say is waiting: unprocessed events and raw mails, unanswered
 * messages, queued outbound. The queue's singleton keys make this a no-op when a job already exists.
 */
export async function reconcile(
  database: Database,
  boss: PgBoss,
  options: EngineOptions,
  now: Date,
): Promise<void> {
  const streams = await database.query<{ agent_id: string; channel: string; stream: string }>(
    `select distinct agent_id, channel, stream from inbound_events where not processed limit ${RECONCILE_LIMIT}`,
  );
  await insertJobs(
    boss,
    QUEUES.inbound,
    streams.map((s) => ({
      data: { agentId: s.agent_id, channel: s.channel, stream: s.stream },
      singletonKey: streamKey(s.agent_id, s.channel, s.stream),
    })),
  );
  const mails = await database.query<{ id: string }>(
    `select id from raw_mails where status = 'pending' limit ${RECONCILE_LIMIT}`,
  );
  await insertJobs(
    boss,
    QUEUES.mail,
    mails.map((m) => ({ data: { rawMailId: m.id }, singletonKey: m.id })),
  );
  const turns = await database.query<{ conversation_id: string }>(
    `select distinct conversation_id from messages
     where direction = 'inbound' and answered_at is null and created_at < $1 and created_at > $2
       and (recipient ->> 'inline') is null
     limit ${RECONCILE_LIMIT}`,
    [new Date(now.getTime() - options.defaultDebounceMs), new Date(now.getTime() - RETRIGGER_WINDOW_MS)],
  );
  // One queue for both: a conversation's turn trigger (due now) absorbs its deferred delivery trigger.
  await insertJobs(
    boss,
    QUEUES.conversation,
    turns.map((t) => ({ data: { conversationId: t.conversation_id }, singletonKey: t.conversation_id })),
  );
  const deliveries = await database.query<{ conversation_id: string; next_at: Date | null }>(
    `select conversation_id, min(next_attempt_at) as next_at from messages
     where direction = 'outbound' and status = 'queued' group by conversation_id limit ${RECONCILE_LIMIT}`,
  );
  await insertJobs(
    boss,
    QUEUES.conversation,
    deliveries.map((d) => ({
      data: { conversationId: d.conversation_id },
      singletonKey: d.conversation_id,
      ...(d.next_at ? { startAfter: new Date(d.next_at) } : {}),
    })),
  );
}

/** One statement per queue; singleton keys turn jobs that already exist into no-ops. */
async function insertJobs(
  boss: PgBoss,
  queue: string,
  jobs: { data: object; singletonKey: string; startAfter?: Date }[],
): Promise<void> {
  if (jobs.length > 0) await boss.insert(queue, jobs);
}

/** Closes a bounded batch of the conversations whose last activity is before $2 (every process, each minute). */
export const CLOSE_IDLE_SQL = `update conversations set status = 'closed', closed_at = $1, updated_at = $1
  where id in (select id from conversations where status = 'active' and last_activity_at < $2
               limit ${RECONCILE_LIMIT})
  returning id, agent_id, contact_id`;

/** Closes conversations idle longer than the inactivity period (bounded per pass). */
export async function closeIdleConversations(
  database: Database,
  options: EngineOptions,
  now: Date,
): Promise<void> {
  await database.transaction(async (query) => {
    const closed = await query<{ id: string; agent_id: string; contact_id: string | null }>(CLOSE_IDLE_SQL, [
      now,
      new Date(now.getTime() - options.inactivityMs),
    ]);
    await publishEvents(
      query,
      closed.map((row) => ({
        agentId: row.agent_id,
        type: 'conversation.closed' as const,
        conversationId: row.id,
        ...(row.contact_id ? { contactId: row.contact_id } : {}),
        data: { reason: 'inactive' },
      })),
    );
  });
}
