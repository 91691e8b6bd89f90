import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundEvent } from '../../src/channels/types.ts';
import { createHash } from 'node:crypto';
import { type InboundSettings, processInboundStreams } from '../../src/engine/inbound.ts';
import { capturedJobInsert } from '../../src/engine/job-rider.ts';
import { Ingestor } from '../../src/engine/ingest.ts';
import { singleStatementIngest } from '../../src/engine/ingest-statement.ts';
import { createQueues, QUEUES } from '../../src/engine/queues.ts';
import { startJobQueue } from '../../src/queue/job-queue.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace } from '../helpers/fixtures.ts';
import { statementRecorder } from '../helpers/database.ts';
import { captureLogger } from '../helpers/logs.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { foldChannelAnalytics, readChannelAnalytics } from '../../src/conversations/analytics.ts';

// The ingest commit alone: a job queue with no workers, so the jobs the commit enqueued stay visible.
let app: TestApp;
let boss: PgBoss;
let agentId: string;

beforeAll(async () => {
  app = await startTestApp();
  ({ agentId } = await createWorkspace(app, 'ingest'));
  boss = await startJobQueue(app.database, captureLogger('warn').logger);
  await createQueues(boss, app.database.kind === 'postgres');
});
afterAll(async () => {
  await boss?.stop({ graceful: false, close: true } as never);
  await app?.close();
});

const message = (eventId: string, from: string): InboundEvent => ({
  kind: 'message',
  eventId,
  sender: { platformUserId: from, chatId: from },
  text: `text of ${eventId}`,
});

const inboundJobs = async () =>
  (
    await app.database.query<{ singleton_key: string; data: { stream: string } }>(
      `select singleton_key, data from pgboss.job where name = $1 order by singleton_key`,
      [QUEUES.inbound],
    )
  ).map((row) => row.singleton_key);

describe('ingest commit', () => {
  it("is one statement built from pg-boss's own insert, on this database", async () => {
    const statement = await singleStatementIngest(boss, QUEUES.inbound);
    expect(statement).toMatch(/^WITH ev AS \(\s*INSERT INTO inbound_events/);
    expect(statement).toContain(app.database.kind === 'postgres' ? 'pg_notify' : 'INSERT INTO pgboss.');
  });

  it('stores each event once, enqueues one job per stream that got a new event, and counts duplicates', async () => {
    const ingestor = new Ingestor(app.database, boss);
    const target = { agentId, channel: 'loopback' };
    const results = await Promise.all([
      ingestor.ingest(target, [message('e1', 'ann'), message('e2', 'ann')]),
      ingestor.ingest(target, [message('e2', 'ann'), message('e3', 'bob')]),
      ingestor.ingest(target, [message('e1', 'ann')]),
    ]);
    expect(results.reduce((sum, r) => sum + r.accepted, 0)).toBe(3);
    expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(2);
    const stored = await app.database.query<{ provider_event_id: string; stream: string }>(
      `select provider_event_id, stream from inbound_events where agent_id = $1 order by id`,
      [agentId],
    );
    expect(stored.map((row) => row.provider_event_id).sort()).toEqual(['e1', 'e2', 'e3']);
    // Submission order is storage order within a stream.
    const ann = stored.filter((row) => row.stream === 'user:ann').map((row) => row.provider_event_id);
    expect(ann).toEqual(['e1', 'e2']);
    expect(await inboundJobs()).toEqual([`${agentId}|loopback|user:ann`, `${agentId}|loopback|user:bob`]);

    // Redelivery: nothing new, so no new job either (the waiting ones are untouched).
    await app.database.query(`delete from pgboss.job where name = $1`, [QUEUES.inbound]);
    const again = await ingestor.ingest(target, [message('e3', 'bob'), message('e1', 'ann')]);
    expect(again).toEqual({ accepted: 0, duplicates: 2 });
    expect(await inboundJobs()).toEqual([]);
  });

  it('keeps one stream in submission order under many concurrent submissions', async () => {
    const ingestor = new Ingestor(app.database, boss);
    const target = { agentId, channel: 'loopback' };
    const ids = Array.from({ length: 60 }, (_, i) => `ord-${String(i).padStart(2, '0')}`);
    // Three senders interleaved, submitted without waiting: several batches, two in flight on PostgreSQL.
    await Promise.all(ids.map((id, i) => ingestor.ingest(target, [message(id, `s${i % 3}`)])));
    for (const sender of ['s0', 's1', 's2']) {
      const rows = await app.database.query<{ provider_event_id: string }>(
        `select provider_event_id from inbound_events where agent_id = $1 and stream = $2 order by id`,
        [agentId, `user:${sender}`],
      );
      const got = rows.map((row) => row.provider_event_id);
      expect(got).toHaveLength(20);
      expect(got).toEqual([...got].sort());
    }
  });
});

/** Processing settings whose conversation jobs ride in the batch's last statement, as the engine's do. */
const settingsWithJobs = (): InboundSettings => ({
  inactivityMs: 86_400_000,
  now: () => new Date(),
  jobs: (result) =>
    capturedJobInsert(
      boss,
      QUEUES.conversation,
      result.turns.map((turn) => ({ data: turn, singletonKey: turn.conversationId })),
    ),
});

describe('inbound batch', () => {
  it('counts the batch in the per-channel analytics once, by the number of messages stored', async () => {
    const ingestor = new Ingestor(app.database, boss);
    const target = { agentId, channel: 'loopback' };
    await ingestor.ingest(target, [message('b1', 'carol'), message('b2', 'carol'), message('b3', 'carol')]);
    const recorder = statementRecorder();
    const counted = async () =>
      (await readChannelAnalytics(app.database.query, agentId)).total_messages_by_channel.loopback ?? 0;
    const before = await counted();
    const [outcome] = await app.database.transaction((query) =>
      processInboundStreams(recorder.wrap(query), [{ ...target, stream: 'user:carol', reengagement: null }], {
        inactivityMs: 86_400_000,
        now: () => new Date(),
      }),
    );
    expect(outcome?.count).toBe(3);
    expect(recorder.statements.filter((text) => text.includes('channel_analytics'))).toHaveLength(1);
    expect((await counted()) - before).toBe(3);
    // Housekeeping folds the appended counts into the totals: the same figure, read from one row.
    await foldChannelAnalytics(app.database.query);
    const left = await app.database.query<{ n: number }>(
      `select count(*)::int as n from channel_analytics_deltas where agent_id = $1`,
      [agentId],
    );
    expect(left[0]?.n).toBe(0);
    expect((await counted()) - before).toBe(3);
  });
});

describe('the conversation jobs a batch calls for', () => {
  it('ride in its last statement with the processed events and the count, and NOTIFY as pg-boss would', async () => {
    const target = { agentId, channel: 'loopback' };
    await new Ingestor(app.database, boss).ingest(target, [message('r1', 'dave'), message('r2', 'dave')]);
    const notified: string[] = [];
    const stop = await app.database.listen(
      `pgboss_${createHash('sha224').update('pgboss').digest('hex').slice(0, 24)}`,
      (payload) => notified.push(payload),
    );
    const { statements, wrap } = statementRecorder();
    const [outcome] = await app.database.transaction((query) =>
      processInboundStreams(
        wrap(query),
        [{ ...target, stream: 'user:dave', reengagement: null }],
        settingsWithJobs(),
      ),
    );
    expect(outcome?.count).toBe(2);
    expect(outcome?.turns).toHaveLength(1);
    const last = statements.at(-1) ?? '';
    expect(last).toContain('channel_analytics');
    expect(last).toContain('INSERT INTO pgboss');
    expect(statements.filter((text) => text.includes('pgboss'))).toHaveLength(1);
    const jobs = await app.database.query<{ singleton_key: string }>(
      `select singleton_key from pgboss.job where name = $1 and singleton_key = $2`,
      [QUEUES.conversation, outcome?.turns[0]?.conversationId],
    );
    expect(jobs).toHaveLength(1);
    const pending = await app.database.query<{ n: number }>(
      `select count(*)::int as n from inbound_events where agent_id = $1 and stream = 'user:dave' and not processed`,
      [agentId],
    );
    expect(pending[0]?.n).toBe(0);
    if (app.database.kind === 'postgres') {
      // The queue NOTIFYs on PostgreSQL: other processes' workers wake for the new job.
      await eventually(() => (notified.includes(QUEUES.conversation) ? true : undefined));
    }
    await stop();
  });
});

describe('several senders in one transaction', () => {
  it('processes each stream in order, apart from the others, with one read and one last statement for all', async () => {
    const target = { agentId, channel: 'loopback' };
    const ingestor = new Ingestor(app.database, boss);
    await ingestor.ingest(target, [message('g1', 'erin'), message('g2', 'frank'), message('g3', 'erin')]);
    const { statements, wrap } = statementRecorder();
    const outcomes = await app.database.transaction((query) =>
      processInboundStreams(
        wrap(query),
        [
          { ...target, stream: 'user:erin', reengagement: null },
          { ...target, stream: 'user:frank', reengagement: null },
          { ...target, stream: 'user:nobody', reengagement: null },
        ],
        settingsWithJobs(),
      ),
    );
    expect(outcomes.map((o) => o.count)).toEqual([2, 1, 0]);
    const [erin, frank] = outcomes.map((o) => o.turns[0]?.conversationId);
    expect(erin).toEqual(expect.any(String));
    expect(frank).toEqual(expect.any(String));
    expect(erin).not.toBe(frank);
    expect(outcomes[2]?.turns).toEqual([]);
    expect(statements.filter((text) => text.includes('from inbound_events'))).toHaveLength(1);
    expect(statements.filter((text) => text.includes('pgboss'))).toHaveLength(1);
    expect(statements.at(-1)).toContain('channel_analytics');
    const stored = await app.database.query<{ conversation_id: string; content: string }>(
      `select conversation_id, content from messages where conversation_id = any($1) order by created_at, id`,
      [[erin, frank]],
    );
    expect(stored.filter((m) => m.conversation_id === erin).map((m) => m.content)).toEqual([
      'text of g1',
      'text of g3',
    ]);
    expect(stored.filter((m) => m.conversation_id === frank).map((m) => m.content)).toEqual(['text of g2']);
    const jobs = await app.database.query<{ singleton_key: string }>(
      `select singleton_key from pgboss.job where name = $1 and singleton_key = any($2)`,
      [QUEUES.conversation, [erin, frank]],
    );
    expect(jobs.map((j) => j.singleton_key).sort()).toEqual([erin, frank].sort());
    const pending = await app.database.query<{ n: number }>(
      `select count(*)::int as n from inbound_events where agent_id = $1 and stream in ('user:erin', 'user:frank')
         and not processed`,
      [agentId],
    );
    expect(pending[0]?.n).toBe(0);
  });
});
