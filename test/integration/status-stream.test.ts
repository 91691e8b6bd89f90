import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_STREAMS } from '../../src/engine/statuses.ts';
import { applyStatusBatch } from '../../src/engine/status-batch.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace } from '../helpers/fixtures.ts';
import { eventually, LOOPBACK_SECRET, LoopbackPeer, postLoopback } from '../helpers/loopback-peer.ts';

/** Status updates: never backwards, and statuses waiting for their message never stall the others. */
let app: TestApp;
let peer: LoopbackPeer;
let agentId: string;
let updateSeq = 0;

const say = (from: string, text: string) =>
  postLoopback(app.url, agentId, { update_id: `m${++updateSeq}`, message: { from, text } });
const status = (messageId: string, value: string) => ({
  update_id: `s${++updateSeq}-${value}-${messageId}`,
  status: { message_id: messageId, status: value },
});

async function outboundOf(providerId: string) {
  const rows = await app.database.query<{ status: string; delivered_at: Date | null; read_at: Date | null }>(
    `select status, delivered_at, read_at from messages where provider_message_id = $1`,
    [providerId],
  );
  return rows[0];
}

/** Waits until `count` status events for this provider id have been processed. */
const allProcessed = (providerId: string, count: number) =>
  eventually(async () => {
    const rows = await app.database.query<{ n: number }>(
      `select count(*)::int as n from inbound_events where provider_event_id like $1 and processed`,
      [`%-${providerId}`],
    );
    return rows[0]?.n === count ? true : undefined;
  });

/** Has the agent answer `from`, and returns the provider id of the sent reply. */
async function sentReply(from: string): Promise<string> {
  expect((await say(from, `hello from ${from}`)).status).toBe(200);
  const sent = await eventually(() => peer.sends.find((s) => s.chatId === from && s.ok));
  const providerId = peer.messageIdFor(sent.key) as string;
  await eventually(async () => ((await outboundOf(providerId))?.status === 'sent' ? true : undefined));
  return providerId;
}

beforeAll(async () => {
  peer = await new LoopbackPeer().start();
  app = await startTestApp(
    {
      LOOPBACK_CHANNEL_URL: peer.url,
      LOOPBACK_CHANNEL_SECRET: LOOPBACK_SECRET,
      TURN_DEBOUNCE_MS: 'loopback=0',
    },
    undefined,
    {
      engine: { responder: async (input) => ({ text: `re: ${input.pending.map((m) => m.content).join()}` }) },
    },
  );
  ({ agentId } = await createWorkspace(app, 'statuses'));
});
afterAll(async () => {
  await app?.close();
  await peer?.close();
});

describe('status stream', () => {
  it('applies matched statuses promptly behind hundreds of statuses still waiting for their message', async () => {
    const providerId = await sentReply('stall');
    // Far more waiting statuses than one batch, in every status stream.
    const ghosts = Array.from({ length: 60 * STATUS_STREAMS }, (_, i) => status(`ghost-${i}`, 'delivered'));
    for (let i = 0; i < ghosts.length; i += 100) {
      expect((await postLoopback(app.url, agentId, ghosts.slice(i, i + 100))).status).toBe(200);
    }
    await eventually(async () => {
      const waiting = await app.database.query<{ n: number }>(
        `select count(*)::int as n from inbound_events where provider_event_id like 's%-ghost-%' and attempts > 0`,
      );
      return waiting[0]?.n === ghosts.length ? true : undefined;
    });
    expect((await postLoopback(app.url, agentId, [status(providerId, 'delivered')])).status).toBe(200);
    expect((await postLoopback(app.url, agentId, [status(providerId, 'read')])).status).toBe(200);
    // Before the fix these waited up to 10 minutes behind the first 50 unmatched statuses.
    const read = await eventually(async () => {
      const row = await outboundOf(providerId);
      return row?.status === 'read' ? row : undefined;
    });
    expect(read.delivered_at).not.toBeNull();
    expect(read.read_at).not.toBeNull();
    const unprocessed = await app.database.query<{ n: number }>(
      `select count(*)::int as n from inbound_events where provider_event_id like 's%-ghost-%' and not processed`,
    );
    expect(unprocessed[0]?.n).toBe(ghosts.length);
  });

  it('retries a status that arrived before its message on its own, and applies it once the message is sent', async () => {
    const providerId = await sentReply('early');
    const early = 'early-wamid-1';
    expect((await postLoopback(app.url, agentId, status(early, 'delivered'))).status).toBe(200);
    await eventually(async () => {
      const rows = await app.database.query<{ attempts: number }>(
        `select attempts from inbound_events where provider_event_id like $1`,
        [`%-${early}`],
      );
      return (rows[0]?.attempts ?? 0) > 0 ? true : undefined;
    });
    // The send's provider id is committed only now (as when the status webhook beats the send's commit).
    await app.database.query(`update messages set provider_message_id = $1 where provider_message_id = $2`, [
      early,
      providerId,
    ]);
    const row = await eventually(async () => {
      const found = await outboundOf(early);
      return found?.status === 'delivered' ? found : undefined;
    });
    expect(row.delivered_at).not.toBeNull();
  });

  it('never moves a message backwards; played ranks above read; failed only before delivery', async () => {
    const providerId = await sentReply('rank');
    await postLoopback(app.url, agentId, [status(providerId, 'played'), status(providerId, 'read')]);
    await postLoopback(app.url, agentId, [status(providerId, 'delivered'), status(providerId, 'failed')]);
    await postLoopback(app.url, agentId, [status(providerId, 'sent')]);
    await allProcessed(providerId, 5);
    const row = await outboundOf(providerId);
    expect(row).toMatchObject({ status: 'played' });
    expect(row?.read_at).not.toBeNull();

    const failing = await sentReply('failing');
    await postLoopback(app.url, agentId, [status(failing, 'failed')]);
    await eventually(async () => ((await outboundOf(failing))?.status === 'failed' ? true : undefined));
    await postLoopback(app.url, agentId, [status(failing, 'read')]);
    await allProcessed(failing, 2);
    expect((await outboundOf(failing))?.status).toBe('failed');
  });

  it('applies a batch of out-of-order and duplicate statuses once, at the highest rank', async () => {
    const providerId = await sentReply('batch');
    const read = status(providerId, 'read');
    // One post: one commit, so one batch of the status stream; sent after read, and read twice.
    const batch = [status(providerId, 'delivered'), read, status(providerId, 'sent'), read];
    expect((await postLoopback(app.url, agentId, batch)).status).toBe(200);
    // The provider redelivers the same read later: a duplicate by update id.
    expect((await postLoopback(app.url, agentId, [read])).status).toBe(200);
    await allProcessed(providerId, 3);
    const row = await outboundOf(providerId);
    expect(row?.status).toBe('read');
    expect(row?.delivered_at).not.toBeNull();
    expect(row?.read_at).not.toBeNull();
    const events = await app.database.query<{ status: string }>(
      `select e.data->>'status' as status from agent_events e join messages m on m.id = e.message_id
       where m.provider_message_id = $1 and e.type = 'message.status' order by e.id`,
      [providerId],
    );
    // 'sent' from the delivery, then the batch moved it once, straight to read.
    expect(events.map((e) => e.status)).toEqual(['sent', 'read']);
  });

  it('applies a batch set-based: earliest delivered/read times, our own ids, failed only before delivery', async () => {
    const [a, b, c] = [await sentReply('set-a'), await sentReply('set-b'), await sentReply('set-c')];
    const ids = await app.database.query<{ id: string; provider_message_id: string }>(
      `select id, provider_message_id from messages where provider_message_id = any($1)`,
      [[a, b, c]],
    );
    const ourIdOf = (providerId: string) => ids.find((r) => r.provider_message_id === providerId)?.id;
    const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
    const event = (providerMessageId: string, value: 'delivered' | 'read' | 'failed', second: number) => ({
      kind: 'status' as const,
      eventId: `direct-${providerMessageId}-${value}-${second}`,
      providerMessageId,
      status: value,
      at: at(second),
    });
    const statuses = [
      { rowId: 'r1', event: event(a, 'read', 30) },
      { rowId: 'r2', event: event(a, 'delivered', 20) },
      { rowId: 'r3', event: event(a, 'delivered', 10) },
      // Matched on our id, which the provider echoed; its own id here is unknown.
      { rowId: 'r4', event: { ...event('not-a-provider-id', 'delivered', 5), messageId: ourIdOf(b) } },
      { rowId: 'r5', event: event(c, 'delivered', 7) },
      { rowId: 'r6', event: event(c, 'failed', 8) },
      { rowId: 'r7', event: event('no-such-message', 'read', 9) },
    ];
    const matched = await app.database.transaction((query) =>
      applyStatusBatch(query, agentId, 'loopback', statuses, new Date()),
    );
    expect([...matched].sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    const rowA = await outboundOf(a);
    expect(rowA?.status).toBe('read');
    expect(new Date(rowA?.delivered_at as Date).toISOString()).toBe(at(10));
    expect(new Date(rowA?.read_at as Date).toISOString()).toBe(at(30));
    expect((await outboundOf(b))?.status).toBe('delivered');
    // delivered and failed rank alike: the first in the batch wins, and a delivered message never fails.
    expect((await outboundOf(c))?.status).toBe('delivered');
    // A second pass with lower ranks moves nothing and still reports the messages as found.
    const again = await app.database.transaction((query) =>
      applyStatusBatch(
        query,
        agentId,
        'loopback',
        [{ rowId: 'r8', event: event(a, 'delivered', 40) }],
        new Date(),
      ),
    );
    expect([...again]).toEqual(['r8']);
    expect((await outboundOf(a))?.status).toBe('read');
  });
});
