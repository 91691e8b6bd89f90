import type { SqlRunner } from '../db/client.ts';
import type { AgentEventType } from './event-types.ts';

export { AGENT_EVENT_TYPES, type AgentEventType } from './event-types.ts';

export type AgentEventInput = {
  agentId: string;
  type: AgentEventType;
  conversationId?: string;
  messageId?: string;
  contactId?: string;
  /** Small facts (status, channel, reason, by…): ids and codes, never message text or secrets. */
  data?: Record<string, unknown>;
};

/** The NOTIFY channel; its payload is the agent id, plus WEBHOOKS_DUE when the events created webhook deliveries. */
export const AGENT_EVENTS_CHANNEL = 'agent_events';
/** Payload suffix: this commit created event webhook deliveries (wakes the senders; nothing else does). */
export const WEBHOOKS_DUE = ';webhooks';

/**
 * The statement that appends events: the events (parameter `first`, a jsonb array), a delivery for every enabled
 * event webhook of the agent's organization that subscribes to the type (so a delivery exists exactly when its
 * event committed, and none can be skipped), and the NOTIFY per agent (delivered at commit), with WEBHOOKS_DUE when
 * deliveries were created; without deliveries only for an agent someone follows live (`event_watchers`). The agent
 * and its webhooks are looked up per event (`offset 0` keeps each lookup on its index: a plan cached while those
 * tables were small would otherwise scan them whole for every event, however many tenants they hold later).
 * `where` filters the events (a condition on an earlier CTE); `data` is each event's data (default: the event's
 * own, `e->'data'`). created_at is the time of the statement (when the id was taken), not of the transaction's
 * start: readers judge how long an id may still be uncommitted from it (src/events/event-log.ts HOLE_WAIT_MS).
 */
export function eventsSql(first: number, where = '', data = "coalesce(e->'data', '{}'::jsonb)") {
  const [events, channel, suffix] = [first, first + 1, first + 2].map((n) => `$${n}`);
  return {
    ctes: `appended as (
       insert into agent_events (agent_id, type, conversation_id, message_id, contact_id, data, created_at)
       select e->>'agentId', e->>'type', e->>'conversationId', e->>'messageId', e->>'contactId',
              ${data}, clock_timestamp()
       from jsonb_array_elements(${events}::jsonb) as e ${where}
       returning id, agent_id, type),
     delivered as (
       insert into event_webhook_deliveries (webhook_id, event_id)
       select w.id, appended.id from appended
       cross join lateral (select organization_id from agents where id = appended.agent_id offset 0) a
       join lateral (select id, event_types, agent_id from event_webhooks
                     where organization_id = a.organization_id and enabled offset 0) w
         on appended.type = any(w.event_types) and (w.agent_id is null or w.agent_id = appended.agent_id)
       returning 1),
     due as (select case when exists (select 1 from delivered) then ${suffix}::text else '' end as suffix)`,
    notify: `select pg_notify(${channel}::text, agents.agent_id || due.suffix)
     from (select distinct agent_id from appended) as agents cross join due
     where due.suffix <> '' or exists (select 1 from event_watchers w
                                       where w.agent_id = agents.agent_id and w.until > now())`,
  };
}

/**
 * Appends events inside the caller's transaction (pass the transaction's runner), so an event exists exactly
 * when the change it reports was committed; the NOTIFY is delivered at commit to every process. One statement.
 */
export async function publishEvents(query: SqlRunner, events: readonly AgentEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await query(PUBLISH_EVENTS_SQL, [JSON.stringify(events), AGENT_EVENTS_CHANNEL, WEBHOOKS_DUE]);
}

/** publishEvents' statement: $1 the events (jsonb array), $2 the NOTIFY channel, $3 the webhooks-due suffix. */
export const PUBLISH_EVENTS_SQL = (() => {
  const { ctes, notify } = eventsSql(1);
  return `with ${ctes} ${notify}`;
})();

/**
 * Runs `statement` (one data-modifying statement with RETURNING) and appends `events` only when it returned a row,
 * in one statement: atomic without a transaction, and one round trip. `then` adds CTEs that may use `changed` (its
 * rows), such as a second change that must happen only with the first. Returns how many rows it returned.
 */
export async function publishEventsIf(
  query: SqlRunner,
  statement: { sql: string; params: unknown[]; then?: string },
  events: readonly AgentEventInput[],
): Promise<number> {
  const { ctes, notify } = eventsSql(statement.params.length + 1, 'where exists (select 1 from changed)');
  const then = statement.then ? `${statement.then}, ` : '';
  const [row] = await query<{ changed: number }>(
    `with changed as (${statement.sql}), ${then}${ctes}, notified as (${notify})
     select (select count(*) from changed)::int as changed, (select count(*) from notified)::int as notified`,
    [...statement.params, JSON.stringify(events), AGENT_EVENTS_CHANNEL, WEBHOOKS_DUE],
  );
  return row?.changed ?? 0;
}

export async function publishEvent(query: SqlRunner, event: AgentEventInput): Promise<void> {
  await publishEvents(query, [event]);
}
