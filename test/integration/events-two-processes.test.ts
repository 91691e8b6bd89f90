import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.ts';
import type { TurnInput } from '../../src/engine/responder.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { testDatabaseKind } from '../helpers/database.ts';
import { openEventStream } from '../helpers/event-stream.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';
import { eventually, LOOPBACK_SECRET, LoopbackPeer, postLoopback } from '../helpers/loopback-peer.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';

/**
 * Two server instances on one database. On PostgreSQL each has its own pool and its own LISTEN connection, as
 * two processes do: `ingest` runs the engine (webhooks in, workers, event webhook sending), `viewer` only serves
 * the API (SSE). On PGlite (one process by design) they share the embedded database but nothing else.
 */
let ingest: TestApp;
let viewer: TestApp;
let viewerDb: Database | undefined;
let peer: LoopbackPeer;
let receiver: WebhookReceiver;
let ws: Workspace;
let seq = 0;

beforeAll(async () => {
  peer = await new LoopbackPeer().start();
  receiver = await new WebhookReceiver().start();
  ingest = await startTestApp(
    {
      LOOPBACK_CHANNEL_URL: peer.url,
      LOOPBACK_CHANNEL_SECRET: LOOPBACK_SECRET,
      TURN_DEBOUNCE_MS: 'loopback=0',
      EVENT_WEBHOOK_RETRY_BASE_MS: '200',
    },
    undefined,
    { engine: { responder: async (input: TurnInput) => ({ text: `got ${input.pending.length}` }) } },
  );
  if (testDatabaseKind() === 'postgres') {
    viewerDb = await openDatabase({ kind: 'postgres', url: ingest.database.url as string, poolMax: 3 });
  }
  viewer = await startTestApp({}, undefined, { database: viewerDb ?? ingest.database });
  ws = await createWorkspace(ingest, 'two');
});
afterAll(async () => {
  await viewer?.close();
  await viewerDb?.close();
  await ingest?.close();
  await peer?.close();
  await receiver?.close();
});

const say = (from: string, text: string) =>
  postLoopback(ingest.url, ws.agentId, { update_id: `tp${++seq}`, message: { from, text } });
const eventsUrl = () =>
  `${viewer.url}/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/events`;

it('an SSE subscriber on one instance sees messages ingested by the other, and catches up after a reconnect', async () => {
  if (testDatabaseKind() === 'postgres') expect(viewer.database).not.toBe(ingest.database);
  const stream = await openEventStream(eventsUrl(), ws.owner.token);
  expect(stream.status).toBe(200);
  await stream.next((e) => e.event === 'ready');
  expect((await say('carol', 'hello')).status).toBe(200);
  const received = await stream.next((e) => e.event === 'message.received');
  const conversationId = received.data.conversation_id;
  const rows = await viewer.database.query<{ conversation_id: string }>(
    'select conversation_id from messages where id = $1',
    [received.data.message_id],
  );
  expect(rows[0]?.conversation_id).toBe(conversationId);
  const sent = await stream.next((e) => e.event === 'message.status' && e.data.data.status === 'sent');
  stream.close();
  await stream.ended;

  // Missed while disconnected, ingested by the other instance.
  await say('carol', 'are you there?');
  const missed = await eventually(async () => {
    const events = await ingest.database.query<{ id: string; type: string }>(
      'select id, type from agent_events where agent_id = $1 and id > $2 order by id',
      [ws.agentId, Number(sent.id)],
    );
    return events.some((e) => e.type === 'message.status') ? events : undefined;
  });
  const resumed = await openEventStream(eventsUrl(), ws.owner.token, { 'last-event-id': String(sent.id) });
  await resumed.next((e) => e.id === String(missed.at(-1)!.id));
  expect(
    resumed.events
      .filter((e) => e.id)
      .slice(0, missed.length)
      .map((e) => [e.id, e.event]),
  ).toEqual(missed.map((e) => [String(e.id), e.type]));
  expect(resumed.events.find((e) => e.event === 'message.received')?.data.conversation_id).toBe(
    conversationId,
  );
  resumed.close();
});

it('an event webhook subscribed on one instance gets a signed delivery of the other’s event, retried after a 500', async () => {
  const created = await viewer.call('POST', `/api/v1/organizations/${ws.orgId}/event-webhooks`, {
    token: ws.owner.token,
    body: { url: receiver.url, event_types: ['message.received'], agent_id: ws.agentId },
  });
  expect(created.status, created.text).toBe(201);
  const secret = created.body.data.secret as string;
  receiver.answerNext(500);
  await say('dave', 'ping');
  await eventually(() => (receiver.received.some((r) => r.answered === 200) ? true : undefined));
  expect(receiver.received.map((r) => r.answered)).toEqual([500, 200]);
  for (const got of receiver.received) expect(WebhookReceiver.verify(got, secret)).toBe(true);
  const event = JSON.parse(receiver.received[1]!.body);
  expect(event).toMatchObject({
    type: 'message.received',
    agent_id: ws.agentId,
    data: { channel: 'loopback' },
  });
  // The sender records the outcome after the receiver has answered: wait for the record, not the answer.
  const status = await eventually(async () => {
    const got = await viewer.call(
      'GET',
      `/api/v1/organizations/${ws.orgId}/event-webhooks/${created.body.data._id}`,
      { token: ws.owner.token },
    );
    return got.body.data.status.last_status === 'delivered' ? got : undefined;
  });
  expect(status.body.data.status).toMatchObject({ last_status: 'delivered', failure_count: 0 });
});
