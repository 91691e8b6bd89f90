import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TurnInput } from '../../src/engine/responder.ts';
import { publishEvents } from '../../src/events/publish.ts';
import { pruneAgentEvents } from '../../src/events/retention.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { testDatabaseKind } from '../helpers/database.ts';
import { openEventStream, type EventStream } from '../helpers/event-stream.ts';
import { addMember, createWorkspace, registerUser, type Workspace } from '../helpers/fixtures.ts';
import { eventually, LOOPBACK_SECRET, LoopbackPeer, postLoopback } from '../helpers/loopback-peer.ts';

const STREAMS_PER_AGENT = 3;
const REPLAY_MAX_EVENTS = 20;
let app: TestApp;
let peer: LoopbackPeer;
let ws: Workspace;
let updateSeq = 0;
const opened: EventStream[] = [];

const eventsUrl = (w: Workspace = ws) =>
  `${app.url}/api/v1/organizations/${w.orgId}/projects/${w.projectId}/agents/${w.agentId}/events`;
const open = async (token: string, headers: Record<string, string> = {}, url = eventsUrl()) => {
  const stream = await openEventStream(url, token, headers);
  opened.push(stream);
  return stream;
};
const say = (from: string, text: string) =>
  postLoopback(app.url, ws.agentId, { update_id: `es${++updateSeq}`, message: { from, text } });

beforeAll(async () => {
  peer = await new LoopbackPeer().start();
  app = await startTestApp(
    {
      LOOPBACK_CHANNEL_URL: peer.url,
      LOOPBACK_CHANNEL_SECRET: LOOPBACK_SECRET,
      TURN_DEBOUNCE_MS: 'loopback=0',
      EVENTS_STREAMS_PER_AGENT: String(STREAMS_PER_AGENT),
      EVENTS_REPLAY_MAX_EVENTS: String(REPLAY_MAX_EVENTS),
      EVENTS_HEARTBEAT_MS: '500',
      METRICS_TOKEN: 'event-stream-metrics-0123',
    },
    undefined,
    { engine: { responder: async (input: TurnInput) => ({ text: `echo ${input.pending.length}` }) } },
  );
  ws = await createWorkspace(app, 'stream');
});
// A failed test's streams must not hold the agent's slots for the next one.
afterEach(() => {
  for (const stream of opened.splice(0)) stream.close();
});
afterAll(async () => {
  await app?.close();
  await peer?.close();
});

describe('GET …/agents/:agentId/events', () => {
  it('lets viewers in, keeps outsiders out (404) and names a bad Last-Event-ID (400)', async () => {
    const viewer = await registerUser(app, 'viewer');
    await addMember(app, ws.owner, ws.orgId, viewer, 'viewer');
    const outsider = await registerUser(app, 'outsider');
    const ok = await open(viewer.token);
    expect(ok.status).toBe(200);
    await ok.next((e) => e.event === 'ready');
    ok.close();
    const denied = await open(outsider.token);
    expect(denied.status).toBe(404);
    const bad = await open(ws.owner.token, { 'last-event-id': 'abc' });
    expect(bad.status).toBe(400);
    await bad.ended;
    expect(bad.raw()).toContain('Last-Event-ID');
    const badQuery = await open(ws.owner.token, {}, `${eventsUrl()}?last_event_id=-1`);
    expect(badQuery.status).toBe(400);
    const anonymous = await fetch(eventsUrl());
    expect(anonymous.status).toBe(401);
  });

  it('streams message.received, reply.queued, message.status and conversation.closed with ids, never text', async () => {
    const stream = await open(ws.owner.token);
    await stream.next((e) => e.event === 'ready');
    expect((await say('ann', 'my secret words')).status).toBe(200);
    const received = await stream.next((e) => e.event === 'message.received');
    expect(received.data).toMatchObject({
      type: 'message.received',
      agent_id: ws.agentId,
      conversation_id: expect.stringMatching(/^conv_/),
      message_id: expect.stringMatching(/^msg_/),
      data: { channel: 'loopback' },
    });
    expect(received.id).toBe(received.data.id);
    const conversationId = received.data.conversation_id;
    const queued = await stream.next((e) => e.event === 'reply.queued');
    expect(queued.data).toMatchObject({ conversation_id: conversationId, data: { status: 'queued' } });
    const sent = await stream.next((e) => e.event === 'message.status' && e.data.data.status === 'sent');
    expect(sent.data.message_id).toBe(queued.data.message_id);
    // A provider status for the sent reply moves it on; the stream says so.
    const providerId = peer.messageIdFor(queued.data.message_id) as string;
    expect(providerId).toBeTruthy();
    const status = await postLoopback(app.url, ws.agentId, {
      update_id: `es${++updateSeq}`,
      status: { message_id: providerId, status: 'delivered' },
    });
    expect(status.status).toBe(200);
    const delivered = await stream.next(
      (e) => e.event === 'message.status' && e.data.data.status === 'delivered',
    );
    expect(delivered.data.message_id).toBe(queued.data.message_id);
    const base = `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}`;
    const closed = await app.call('POST', `${base}/conversations/${conversationId}/close`, {
      token: ws.owner.token,
    });
    expect(closed.status, closed.text).toBe(200);
    const closedEvent = await stream.next((e) => e.event === 'conversation.closed');
    expect(closedEvent.data).toMatchObject({ conversation_id: conversationId, data: { reason: 'operator' } });
    // Ids strictly increase, in order.
    const ids = stream.events.filter((e) => e.id).map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(stream.raw()).not.toContain('my secret words');
    expect(stream.raw()).not.toContain('echo');
    // Idle: keep-alive comments flow.
    await eventually(() => (stream.raw().includes(': keep-alive') ? true : undefined));
    stream.close();
  });

  it('reports a permanent send failure and an idle conversation closed by housekeeping', async () => {
    const stream = await open(ws.owner.token);
    await stream.next((e) => e.event === 'ready');
    peer.failNext({ status: 400, code: 'bad_recipient', error: 'no such chat' });
    await say('fay', 'hello?');
    const failed = await stream.next((e) => e.event === 'message.status' && e.data.data.status === 'failed');
    expect(failed.data.data).toMatchObject({ channel: 'loopback', code: 'bad_recipient' });
    const conversationId = failed.data.conversation_id;
    await app.database.query(
      `update conversations set last_activity_at = now() - interval '2 days' where id = $1`,
      [conversationId],
    );
    await app.engine!.reconcile();
    const closed = await stream.next(
      (e) => e.event === 'conversation.closed' && e.data.conversation_id === conversationId,
    );
    expect(closed.data.data).toEqual({ reason: 'inactive' });
    expect(closed.data.contact_id).toEqual(expect.stringMatching(/^contact_/));
    stream.close();
  });

  it('replays what a reconnecting client missed after Last-Event-ID (header or query), then follows live', async () => {
    const first = await open(ws.owner.token);
    await first.next((e) => e.event === 'ready');
    await say('bob', 'one');
    const seen = await first.next((e) => e.event === 'message.status' && e.data.data.status === 'sent');
    first.close();
    await first.ended;
    // Missed while disconnected: a second message and its reply.
    await say('bob', 'two');
    const missed = await eventually(async () => {
      const rows = await app.database.query<{ id: string; type: string }>(
        `select id, type from agent_events where agent_id = $1 and id > $2 order by id`,
        [ws.agentId, Number(seen.id)],
      );
      return rows.some((row) => row.type === 'message.status') ? rows : undefined;
    });
    for (const resume of [{ 'last-event-id': String(seen.id) }, undefined]) {
      const again = resume
        ? await open(ws.owner.token, resume)
        : await open(ws.owner.token, {}, `${eventsUrl()}?last_event_id=${seen.id}`);
      const last = missed.at(-1)!;
      await again.next((e) => e.id === String(last.id));
      const replayed = again.events.filter((e) => e.id && e.event !== 'resync');
      expect(replayed.slice(0, missed.length).map((e) => [e.id, e.event])).toEqual(
        missed.map((row) => [String(row.id), row.type]),
      );
      again.close();
    }
    // And live after the replay.
    const live = await open(ws.owner.token, { 'last-event-id': String(missed.at(-1)!.id) });
    await live.next((e) => e.event === 'ready');
    await say('bob', 'three');
    await live.next((e) => e.event === 'message.received');
    expect(live.events.some((e) => e.event === 'resync')).toBe(false);
    live.close();
  });

  it('tells a client outside the replay window to resync, and starts it at the newest event', async () => {
    const [{ id: before } = { id: 0 }] = await app.database.query<{ id: number }>(
      'select coalesce(max(id), 0) as id from agent_events',
    );
    await app.database.transaction((query) =>
      publishEvents(
        query,
        Array.from({ length: REPLAY_MAX_EVENTS + 1 }, (_, i) => ({
          agentId: ws.agentId,
          type: 'message.status' as const,
          messageId: `msg_bulk_${i}`,
          data: { status: 'read' },
        })),
      ),
    );
    const tooFar = await open(ws.owner.token, { 'last-event-id': String(before) });
    const resync = await tooFar.next((e) => e.event === 'resync');
    expect(resync.data.reason).toBe('too_many_events');
    // None of the bulk is replayed; a late status of the previous test's reply may still arrive live.
    expect(tooFar.events.filter((e) => String(e.data?.message_id).startsWith('msg_bulk_'))).toEqual([]);
    tooFar.close();
    // Missed events older than EVENTS_REPLAY_MAX_AGE (24 h).
    const [old] = await app.database.query<{ id: number }>(
      `insert into agent_events (agent_id, type, created_at) values ($1, 'conversation.closed', now() - interval '2 days')
       returning id`,
      [ws.agentId],
    );
    const stale = await open(ws.owner.token, { 'last-event-id': String(Number(old!.id) - 1) });
    expect((await stale.next((e) => e.event === 'resync')).data.reason).toBe('expired');
    stale.close();
    const future = await open(ws.owner.token, { 'last-event-id': '999999999999' });
    expect((await future.next((e) => e.event === 'resync')).data.reason).toBe('unknown_event_id');
    future.close();
  });

  it('bounds streams per agent (429) and frees a slot when a client disconnects', async () => {
    const streams = [];
    for (let i = 0; i < STREAMS_PER_AGENT; i++) {
      const stream = await open(ws.owner.token);
      expect(stream.status).toBe(200);
      await stream.next((e) => e.event === 'ready');
      streams.push(stream);
    }
    const refused = await open(ws.owner.token);
    expect(refused.status).toBe(429);
    const metrics = await fetch(`${app.url}/metrics`, {
      headers: { authorization: 'Bearer event-stream-metrics-0123' },
    }).then((res) => res.text());
    const gauge = metrics.split('\n').find((line) => line.startsWith('switchboard_event_streams '));
    expect(Number(gauge?.split(' ')[1])).toBeGreaterThanOrEqual(STREAMS_PER_AGENT);
    streams[0]!.close();
    const replacement = await eventually(async () => {
      const stream = await open(ws.owner.token);
      return stream.status === 200 ? stream : undefined;
    });
    await replacement.next((e) => e.event === 'ready');
    for (const stream of [...streams, replacement]) stream.close();
  });

  it('prunes events past retention, oldest first, leaving newer ones', async () => {
    const other = await createWorkspace(app, 'prune');
    await app.database.transaction((query) =>
      publishEvents(query, [
        { agentId: other.agentId, type: 'conversation.closed', conversationId: 'conv_old' },
        { agentId: other.agentId, type: 'conversation.closed', conversationId: 'conv_new' },
      ]),
    );
    await app.database.query(
      `update agent_events set created_at = now() - interval '10 days' where agent_id = $1 and conversation_id = 'conv_old'`,
      [other.agentId],
    );
    const pruned = await pruneAgentEvents(app.database, 7 * 86_400_000, new Date());
    expect(pruned).toBeGreaterThanOrEqual(1);
    const left = await app.database.query<{ conversation_id: string }>(
      'select conversation_id from agent_events where agent_id = $1',
      [other.agentId],
    );
    expect(left.map((row) => row.conversation_id)).toEqual(['conv_new']);
  });
});

describe('commit order on PostgreSQL', () => {
  // PGlite runs one transaction at a time, so its ids always become visible in order; PostgreSQL's do not.
  it.runIf(testDatabaseKind() === 'postgres')(
    'never skips an event whose transaction commits after a later id’s',
    async () => {
      const stream = await open(ws.owner.token);
      await stream.next((e) => e.event === 'ready');
      const slow = new pg.Client({ connectionString: app.database.url as string });
      await slow.connect();
      try {
        await slow.query('begin');
        const slowRunner = async (text: string, params?: unknown[]) => (await slow.query(text, params)).rows;
        await publishEvents(slowRunner as never, [
          { agentId: ws.agentId, type: 'conversation.closed', conversationId: 'conv_slow' },
        ]);
        await app.database.transaction((query) =>
          publishEvents(query, [
            { agentId: ws.agentId, type: 'conversation.closed', conversationId: 'conv_fast' },
          ]),
        );
        // Give the stream time to see the later event's notification while the earlier id is still open.
        await new Promise((resolve) => setTimeout(resolve, 500));
        await slow.query('commit');
      } finally {
        await slow.end();
      }
      await stream.next((e) => e.data?.conversation_id === 'conv_fast');
      await stream.next((e) => e.data?.conversation_id === 'conv_slow');
      const order = stream.events
        .filter((e) => e.event === 'conversation.closed')
        .map((e) => e.data.conversation_id);
      expect(order).toEqual(['conv_slow', 'conv_fast']);
      stream.close();
    },
  );
});
