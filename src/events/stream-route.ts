import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { Database } from '../db/client.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { ApiError, badRequest } from '../http/errors.ts';
import { sseStallGuard } from '../http/sse-stall.ts';
import { AgentParams, commonErrors, secured } from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { type EventHub, HubClosedError, TooManySubscribersError } from './event-hub.ts';
import {
  deliverable,
  eventView,
  hasHole,
  HOLE_WAIT_MS,
  latestEventId,
  oldestEventId,
  readAfter,
} from './event-log.ts';

/** Events read per statement, and statements per wake-up before the stream yields. */
const READ_BATCH = 100;
const BATCHES_PER_WAKE = 10;
const EVENT_ID = /^\d{1,15}$/;
/** Reconnect delay suggested to EventSource clients (`retry:`). */
const RECONNECT_MS = 3000;

export type StreamSettings = {
  replayMaxAgeMs: number;
  replayMaxEvents: number;
  heartbeatMs: number;
  maxDurationMs: number;
  /** A write the client has not taken within this ends the stream (sse-stall.ts). */
  stallMs: number;
};

const route = createRoute({
  method: 'get',
  path: '/api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId}/events',
  tags: ['Events'],
  summary: 'Live events of an agent as server-sent events (viewer or higher)',
  description:
    'Each event: `id` (resume with the Last-Event-ID header or `?last_event_id`), `event` = its type, `data` = ' +
    '{id, type, agent_id, conversation_id, message_id, contact_id, data, created_at}. A resume point outside the ' +
    'replay window gets a `resync` event first: reload state through the REST API, then follow.',
  ...secured,
  request: {
    params: AgentParams,
    query: z.object({
      last_event_id: z.string().regex(EVENT_ID, 'must be an event id').optional(),
    }),
  },
  responses: {
    200: { content: { 'text/event-stream': { schema: z.string() } }, description: 'The event stream' },
    ...commonErrors,
  },
});

type Start = { cursor: number; resync?: string };

/** Where a stream starts: after `lastId` when it is inside the replay window, else now (with a resync reason). */
async function startAt(
  database: Database,
  agentId: string,
  lastId: number | undefined,
  settings: StreamSettings,
): Promise<Start> {
  const latest = await latestEventId(database.query);
  if (lastId === undefined) return { cursor: latest };
  if (lastId > latest) return { cursor: latest, resync: 'unknown_event_id' };
  const oldest = await oldestEventId(database.query);
  // Events after lastId were deleted by retention: the client cannot know what it missed.
  if (oldest !== null && lastId < oldest - 1) return { cursor: latest, resync: 'expired' };
  // Ages by the database's clock, like created_at.
  const [missed] = await database.query<{ n: number; expired: boolean | null }>(
    `select count(*)::int as n, bool_or(created_at < now() - make_interval(secs => $4)) as expired from (
       select created_at from agent_events where agent_id = $1 and id > $2 order by id limit $3) missed`,
    [agentId, lastId, settings.replayMaxEvents + 1, settings.replayMaxAgeMs / 1000],
  );
  if ((missed?.n ?? 0) > settings.replayMaxEvents) return { cursor: latest, resync: 'too_many_events' };
  if (missed?.expired) return { cursor: latest, resync: 'expired' };
  return { cursor: lastId };
}

/** GET …/agents/:agentId/events: replay after Last-Event-ID (bounded window), then live events. */
export function registerEventStreamRoute(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps,
  hub: EventHub,
  settings: StreamSettings,
): void {
  const { database } = deps;
  // PGlite runs one transaction at a time, so ids become visible in order; PostgreSQL needs the hole check.
  const ordered = database.kind === 'pglite';

  app.openapi(route, async (c) => {
    const p = c.req.valid('param');
    await requireAgent(database.db, principalOf(c), p.orgId, p.projectId, p.agentId, 'viewer');
    const header = c.req.header('last-event-id');
    if (header !== undefined && !EVENT_ID.test(header))
      throw badRequest('Last-Event-ID: must be an event id');
    const given = header ?? c.req.valid('query').last_event_id;
    const lastId = given === undefined ? undefined : Number(given);

    let signal: (() => void) | undefined;
    let woken = false;
    const wake = () => {
      woken = true;
      signal?.();
    };
    let unsubscribe: () => void;
    try {
      unsubscribe = await hub.subscribe(p.agentId, wake);
    } catch (error) {
      if (error instanceof TooManySubscribersError) {
        throw new ApiError(429, error.message, undefined, { 'Retry-After': '30' });
      }
      if (error instanceof HubClosedError) {
        throw new ApiError(503, error.message, undefined, { 'Retry-After': '1' });
      }
      // The LISTEN connection could not be opened (database unreachable).
      deps.logger.warn({ err: error }, 'event stream could not subscribe');
      throw new ApiError(503, 'Live events are unavailable right now; retry shortly', undefined, {
        'Retry-After': '5',
      });
    }
    // Subscribed before the first read: an event committed from here on wakes this stream.
    let start: Start;
    try {
      start = await startAt(database, p.agentId, lastId, settings);
    } catch (error) {
      unsubscribe();
      throw error;
    }

    return streamSSE(c, async (stream) => {
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        wake();
      });
      const guard = sseStallGuard(c, stream, settings.stallMs);
      let cursor = start.cursor;
      const drain = async (): Promise<boolean> => {
        for (let batch = 0; batch < BATCHES_PER_WAKE && !closed; batch++) {
          const rows = await readAfter(database.query, p.agentId, cursor, READ_BATCH);
          const ready = await deliverable(
            rows,
            cursor,
            (from, to) => hasHole(database.query, from, to),
            ordered,
          );
          for (const row of ready.rows) {
            if (closed) return false;
            await guard(
              stream.writeSSE({ id: String(row.id), event: row.type, data: JSON.stringify(eventView(row)) }),
            );
            cursor = Number(row.id);
          }
          if (ready.waiting) return true;
          if (rows.length < READ_BATCH) return false;
        }
        return false;
      };
      try {
        if (start.resync) {
          await guard(
            stream.writeSSE({
              id: String(cursor),
              event: 'resync',
              data: JSON.stringify({ reason: start.resync, last_event_id: String(cursor) }),
            }),
          );
        }
        await guard(
          stream.writeSSE({
            event: 'ready',
            data: JSON.stringify({ last_event_id: String(cursor) }),
            retry: RECONNECT_MS,
          }),
        );
        const deadline = Date.now() + settings.maxDurationMs;
        while (!closed && !hub.closed && Date.now() < deadline) {
          woken = false;
          const waiting = await drain();
          if (closed || woken) continue;
          const waitMs = Math.min(waiting ? HOLE_WAIT_MS / 5 : settings.heartbeatMs, deadline - Date.now());
          const timedOut = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(true), Math.max(0, waitMs));
            signal = () => {
              clearTimeout(timer);
              resolve(false);
            };
            if (woken || closed) signal();
          });
          signal = undefined;
          if (timedOut && !waiting && !closed) await guard(stream.write(': keep-alive\n\n'));
        }
      } catch (error) {
        if (!closed) deps.logger.warn({ err: error, agentId: p.agentId }, 'event stream ended by an error');
      } finally {
        unsubscribe();
      }
    });
  });
}
