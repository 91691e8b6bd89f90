import type { PgBoss } from 'pg-boss';
import type { InboundEvent } from '../channels/types.ts';
import type { Database, SqlRunner } from '../db/client.ts';
import { newId } from '../ids.ts';
import { scrubUnstorable, truncateText } from '../text-safety.ts';
import { jobDbFor } from '../queue/job-queue.ts';
import { GroupCommit } from './group-commit.ts';
import { type EventRow, runIngestStatement, singleStatementIngest } from './ingest-statement.ts';
import { QUEUES, streamKey } from './queues.ts';
import { statusStream } from './statuses.ts';

/** Which channel account the events arrived on. */
export type IngestTarget = { agentId: string; channel: string };
export type IngestResult = { accepted: number; duplicates: number };

/** Most events committed in one transaction. */
const MAX_BATCH_EVENTS = 500;

type Pending = { target: IngestTarget; events: InboundEvent[] };

/**
 * The stream an event is ordered within: its sender, or one of the account's status streams. Statuses need
 * no order (the rank check in SQL never moves a message back), so they are spread over a few streams by
 * message id and processed in parallel.
 */
function streamOf(event: InboundEvent): string {
  if (event.kind === 'message') return `user:${event.sender.platformUserId}`;
  if (event.kind === 'contact') return `user:${event.platformUserId}`;
  if (event.kind === 'identity_changed') return `user:${event.sender.platformUserId}`;
  if (event.kind === 'echo') return `user:${event.recipient.platformUserId}`;
  return statusStream(event.messageId ?? event.providerMessageId);
}

/**
 * Durable ingest: records inbound events and enqueues their processing in ONE transaction, and
 * resolves only after the commit. Callers that arrive while a commit is in flight share the next
 * one (group commit), so throughput grows with concurrency instead of queueing on the database.
 */
export class Ingestor {
  private readonly database: Database;
  private readonly boss: PgBoss;
  private readonly maxTextChars: number;
  private readonly group: GroupCommit<Pending, IngestResult>;
  /** The one-statement commit (see ingest-statement.ts), built on first use; null = use a transaction. */
  private statement?: Promise<string | null>;

  /**
   * `onQueued` runs after a commit that enqueued work (wakes a local worker); message text longer than
   * `maxTextChars` is cut with a visible marker.
   */
  constructor(database: Database, boss: PgBoss, onQueued: () => void = () => {}, maxTextChars = Infinity) {
    this.database = database;
    this.boss = boss;
    this.maxTextChars = maxTextChars;
    this.group = new GroupCommit({
      commit: (batch) => this.commit(batch),
      sizeOf: (item) => item.events.length,
      keysOf: (item) =>
        item.events.map((event) => streamKey(item.target.agentId, item.target.channel, streamOf(event))),
      maxBatch: MAX_BATCH_EVENTS,
      concurrency: database.priorityConcurrency,
      onCommitted: (results) => {
        if (results.some((result) => result.accepted > 0)) onQueued();
      },
    });
  }

  /**
   * Resolves once every event is committed (new) or found already recorded (duplicate). Provider data is repaired
   * first (NUL and unpaired surrogates become U+FFFD) and message text bounded, so the event can be stored.
   */
  ingest(target: IngestTarget, received: InboundEvent[]): Promise<IngestResult> {
    if (received.length === 0) return Promise.resolve({ accepted: 0, duplicates: 0 });
    const events = received.map((event) => storableEvent(event, this.maxTextChars));
    return this.group.submit({ target, events });
  }

  /** Stores the batch; on the embedded database the WAL is on disk before anyone is told it is stored. */
  private async commit(batch: Pending[]): Promise<IngestResult[]> {
    const results = await this.store(batch);
    await this.database.durability?.syncWal();
    return results;
  }

  private async store(batch: Pending[]): Promise<IngestResult[]> {
    this.statement ??= singleStatementIngest(this.boss, QUEUES.inbound).then(
      (sql) => sql ?? null,
      () => null,
    );
    const statement = await this.statement;
    if (!statement) return this.commitInTransaction(batch);
    const rows: EventRow[] = [];
    for (const item of batch) {
      for (const event of item.events) {
        rows.push({
          id: newId('evt'),
          agent_id: item.target.agentId,
          channel: item.target.channel,
          provider_event_id: event.eventId,
          stream: streamOf(event),
          payload: event,
        });
      }
    }
    const inserted = await runIngestStatement(this.database.priorityQuery, statement, rows);
    return countNew(
      batch,
      new Set(inserted.map((row) => eventKey(row.agent_id, row.channel, row.provider_event_id))),
    );
  }

  /** The same commit as a transaction of two statements (pg-boss's insert in a shape not understood). */
  private commitInTransaction(batch: Pending[]): Promise<IngestResult[]> {
    return this.database.transaction(async (query) => {
      const inserted = await insertEvents(query, batch);
      const streams = new Map<string, { agentId: string; channel: string; stream: string }>();
      for (const item of batch) {
        for (const event of item.events) {
          if (!inserted.has(eventKey(item.target.agentId, item.target.channel, event.eventId))) continue;
          const stream = streamOf(event);
          streams.set(streamKey(item.target.agentId, item.target.channel, stream), {
            ...item.target,
            stream,
          });
        }
      }
      if (streams.size > 0) {
        const jobs = [...streams].map(([key, data]) => ({ data, singletonKey: key }));
        await this.boss.insert(QUEUES.inbound, jobs, { db: jobDbFor(query) } as never);
      }
      return countNew(batch, inserted);
    });
  }
}

/** Per submitted item: how many of its events were new (in `inserted`) and how many were already recorded. */
function countNew(batch: Pending[], inserted: Set<string>): IngestResult[] {
  return batch.map((item) => {
    let accepted = 0;
    for (const event of item.events) {
      // Deleting counts an event id repeated within one batch once.
      if (inserted.delete(eventKey(item.target.agentId, item.target.channel, event.eventId))) accepted++;
    }
    return { accepted, duplicates: item.events.length - accepted };
  });
}

function storableEvent(event: InboundEvent, maxTextChars: number): InboundEvent {
  const clean = scrubUnstorable(event);
  return clean.kind === 'message' ? { ...clean, text: truncateText(clean.text, maxTextChars) } : clean;
}

function eventKey(agentId: string, channel: string, eventId: string): string {
  return `${agentId}|${channel}|${eventId}`;
}

/** One multi-row insert; returns the keys that were new (duplicates hit the unique index and are skipped). */
async function insertEvents(query: SqlRunner, batch: Pending[]): Promise<Set<string>> {
  const params: unknown[] = [];
  const rows: string[] = [];
  for (const item of batch) {
    for (const event of item.events) {
      const base = params.length;
      params.push(
        newId('evt'),
        item.target.agentId,
        item.target.channel,
        event.eventId,
        streamOf(event),
        JSON.stringify(event),
      );
      rows.push(
        `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}::jsonb)`,
      );
    }
  }
  const inserted = await query<{ agent_id: string; channel: string; provider_event_id: string }>(
    `insert into inbound_events (id, agent_id, channel, provider_event_id, stream, payload)
     values ${rows.join(', ')}
     on conflict (agent_id, channel, provider_event_id) do nothing
     returning agent_id, channel, provider_event_id`,
    params,
  );
  return new Set(inserted.map((row) => eventKey(row.agent_id, row.channel, row.provider_event_id)));
}
