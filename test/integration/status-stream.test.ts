import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_STREAMS } from '../../src/engine/statuses.ts';
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
});
