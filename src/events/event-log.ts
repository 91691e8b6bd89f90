import type { SqlRunner } from '../db/client.ts';
import type { AgentEventView } from './event-types.ts';

export type { AgentEventView } from './event-types.ts';

export type EventRow = {
  id: string | number;
  type: string;
  agent_id: string;
  conversation_id: string | null;
  message_id: string | null;
  contact_id: string | null;
  data: Record<string, unknown> | null;
  created_at: Date | string;
  /** True when the event committed long enough ago that a hole before it can no longer fill (see readAfter). */
  settled?: boolean;
};

export const EVENT_COLUMNS = 'id, type, agent_id, conversation_id, message_id, contact_id, data, created_at';

export function eventView(row: EventRow): AgentEventView {
  return {
    id: String(row.id),
    type: row.type,
    agent_id: row.agent_id,
    conversation_id: row.conversation_id,
    message_id: row.message_id,
    contact_id: row.contact_id,
    data: row.data ?? {},
    created_at: new Date(row.created_at).toISOString(),
  };
}

/**
 * Event ids come from one sequence but transactions commit in any order, so on PostgreSQL id 11 can be visible
 * while id 10's transaction is still running. A reader that moved past 10 would miss it, so a reader stops at a
 * hole until the event after it is older than this (then the hole is a rolled-back transaction, never filled).
 * An event's created_at is when its id was taken (publishEvents), and the hole's id was taken before it.
 */
export const HOLE_WAIT_MS = 5000;

/** An agent's events after `afterId` in id order, each flagged `settled` (see HOLE_WAIT_MS). */
export async function readAfter(
  query: SqlRunner,
  agentId: string,
  afterId: number,
  limit: number,
): Promise<EventRow[]> {
  return query<EventRow>(
    `select ${EVENT_COLUMNS}, created_at < now() - make_interval(secs => $4) as settled
     from agent_events where agent_id = $1 and id > $2 order by id limit $3`,
    [agentId, afterId, limit, HOLE_WAIT_MS / 1000],
  );
}

/**
 * The events a reader at `cursor` may hand out now: the rows up to the first hole in the id sequence whose next
 * event is not settled yet (`waiting` is then true: read again after a while). Other agents' events sit between
 * an agent's ids too, so `holes(from, to)` checks the whole table: an id with no row of any agent is an open
 * transaction or a rollback. `ordered` (PGlite: one transaction at a time) skips the check.
 */
export async function deliverable(
  rows: EventRow[],
  cursor: number,
  holes: (from: number, to: number) => Promise<boolean>,
  ordered: boolean,
): Promise<{ rows: EventRow[]; waiting: boolean }> {
  if (ordered) return { rows, waiting: false };
  const out: EventRow[] = [];
  let last = cursor;
  for (const row of rows) {
    const id = Number(row.id);
    if (id > last + 1 && !row.settled && (await holes(last + 1, id - 1))) return { rows: out, waiting: true };
    out.push(row);
    last = id;
  }
  return { rows: out, waiting: false };
}

/** True when some id in [from, to] has no row in agent_events (of any agent): a transaction may still fill it. */
export async function hasHole(query: SqlRunner, from: number, to: number): Promise<boolean> {
  const rows = await query<{ n: number }>(
    'select count(*)::int as n from agent_events where id between $1 and $2',
    [from, to],
  );
  return (rows[0]?.n ?? 0) < to - from + 1;
}

/** The newest event id of the whole log (0 when empty): where a reader without Last-Event-ID starts. */
export async function latestEventId(query: SqlRunner): Promise<number> {
  const rows = await query<{ id: string | number | null }>('select max(id) as id from agent_events');
  return Number(rows[0]?.id ?? 0);
}

/** The oldest retained event id (null when empty). */
export async function oldestEventId(query: SqlRunner): Promise<number | null> {
  const rows = await query<{ id: string | number | null }>('select min(id) as id from agent_events');
  const id = rows[0]?.id;
  return id === null || id === undefined ? null : Number(id);
}
