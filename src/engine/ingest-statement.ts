import type { PgBoss } from 'pg-boss';
import type { SqlRunner } from '../db/client.ts';
import { capturedJobInsert, composeWithJobInsert } from './job-rider.ts';

/** Where pg-boss's job insert reads its jobs from; replaced by the streams the event insert returned. */
const JOB_SOURCE = 'json_to_recordset($1::text::json)';

/** New events as rows of `$1` (a JSON array); duplicates hit the unique index and are skipped. */
const INSERT_EVENTS = `ev AS (
  INSERT INTO inbound_events (id, agent_id, channel, provider_event_id, stream, payload)
  SELECT id, agent_id, channel, provider_event_id, stream, payload
  FROM jsonb_to_recordset($1::jsonb)
    AS x(id text, agent_id text, channel text, provider_event_id text, stream text, payload jsonb)
  ON CONFLICT (agent_id, channel, provider_event_id) DO NOTHING
  RETURNING agent_id, channel, provider_event_id, stream
)`;

/** One trigger job per stream that received a new event; the singleton key is `streamKey()`. */
const NEW_STREAMS = `json_to_recordset((
  SELECT coalesce(json_agg(json_build_object(
    'data', json_build_object('agentId', agent_id, 'channel', channel, 'stream', stream),
    'singletonKey', agent_id || '|' || channel || '|' || stream)), '[]'::json)
  FROM (SELECT DISTINCT agent_id, channel, stream FROM ev) streams))`;

/**
 * The whole ingest commit as ONE statement (one round trip, atomic without BEGIN/COMMIT): insert the events,
 * then pg-boss's own job insert for the streams that got a new event, fed from the insert's RETURNING.
 * pg-boss's statement is taken from `boss.insert` itself (never rewritten by hand), so its columns, defaults
 * and the NOTIFY that wakes other processes stay pg-boss's. Returns undefined when its shape is not the one
 * understood here; the caller then uses the two-statement transaction.
 */
export async function singleStatementIngest(boss: PgBoss, queue: string): Promise<string | undefined> {
  const { sql } = await capturedJobInsert(boss, queue, [{ data: {}, singletonKey: 'probe' }]);
  if (sql.split(JOB_SOURCE).length !== 2) return undefined;
  return composeWithJobInsert(
    sql.replace(JOB_SOURCE, () => NEW_STREAMS),
    { before: INSERT_EVENTS, select: 'SELECT agent_id, channel, provider_event_id FROM ev' },
  );
}

/** One event row for the statement above. */
export type EventRow = {
  id: string;
  agent_id: string;
  channel: string;
  provider_event_id: string;
  stream: string;
  payload: unknown;
};

/** Runs the statement; returns the rows that were new. */
export function runIngestStatement(query: SqlRunner, statement: string, rows: EventRow[]) {
  return query<{ agent_id: string; channel: string; provider_event_id: string }>(statement, [
    JSON.stringify(rows),
  ]);
}
