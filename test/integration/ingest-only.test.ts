import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import type { TurnInput } from '../../src/engine/responder.ts';
import { QUEUES } from '../../src/engine/queues.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { createWorkspace } from '../helpers/fixtures.ts';
import { eventually, LOOPBACK_SECRET, LoopbackPeer, postLoopback } from '../helpers/loopback-peer.ts';

// WORKERS=false: a process that acknowledges webhooks durably but processes nothing; a process with workers on the
// same database does the work. Together they must answer every message exactly once.
const SENDERS = 8;
const MESSAGES_PER_SENDER = 3;

let database: Database;
let peer: LoopbackPeer;
let ingestOnly: TestApp | undefined;
let worker: TestApp | undefined;
let agentId: string;

async function responder(input: TurnInput) {
  return { text: `reply to: ${input.pending.map((m) => m.content).join('|')}` };
}

const env = () => ({
  LOOPBACK_CHANNEL_URL: peer.url,
  LOOPBACK_CHANNEL_SECRET: LOOPBACK_SECRET,
  TURN_DEBOUNCE_MS: 'loopback=0',
});

beforeAll(async () => {
  database = await createTestDatabase();
  peer = await new LoopbackPeer().start();
  ingestOnly = await startTestApp({ ...env(), WORKERS: 'false' }, undefined, {
    database,
    engine: { responder },
  });
  ({ agentId } = await createWorkspace(ingestOnly, 'ingest-only'));
});
afterAll(async () => {
  await ingestOnly?.close();
  await worker?.close();
  await peer?.close();
  await database?.close();
});

describe('WORKERS=false (ingest-only process)', () => {
  it('acknowledges and enqueues without processing; a process with workers then answers each message once', async () => {
    const updates = Array.from({ length: SENDERS * MESSAGES_PER_SENDER }, (_, i) => ({
      update_id: `only-${i}`,
      message: { from: `s${i % SENDERS}`, text: `m${i}` },
    }));
    // Every update posted twice at once (a provider redelivering before the first ack).
    const answers = await Promise.all(
      [...updates, ...updates].map((update) => postLoopback(ingestOnly?.url ?? '', agentId, update)),
    );
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { accepted: number }[];
    expect(bodies.reduce((sum, b) => sum + b.accepted, 0)).toBe(updates.length);

    // Acknowledged means committed with its job: every event stored, one job per sender waiting, none taken.
    const events = await database.query<{ n: number; processed: number }>(
      `select count(*)::int as n, count(*) filter (where processed)::int as processed from inbound_events where agent_id = $1`,
      [agentId],
    );
    expect(events[0]).toEqual({ n: updates.length, processed: 0 });
    const jobs = await database.query<{ state: string; n: number }>(
      `select state, count(*)::int as n from pgboss.job where name = $1 group by state`,
      [QUEUES.inbound],
    );
    expect(jobs).toEqual([{ state: 'created', n: SENDERS }]);
    await ingestOnly?.close();
    ingestOnly = undefined;
    expect(peer.sends).toEqual([]);

    worker = await startTestApp(env(), undefined, { database, engine: { responder } });
    await eventually(async () => {
      const [row] = await database.query<{ left: number }>(
        `select count(*)::int as left from inbound_events where agent_id = $1 and not processed`,
        [agentId],
      );
      return row?.left === 0 && peer.sends.length >= SENDERS ? true : undefined;
    });
    // Each sender's messages answered, none twice: every text appears in exactly one delivered reply.
    const delivered = peer.delivered();
    const repliedTexts = delivered.flatMap((send) => send.text.replace('reply to: ', '').split('|'));
    expect(repliedTexts.sort()).toEqual(updates.map((u) => u.message.text).sort());
    expect(peer.sends.filter((send) => send.duplicate)).toEqual([]);
  });
});
