import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createQueues, FINISHED_JOB_RETENTION_S, QUEUES } from '../../src/engine/queues.ts';
import { startJobQueue } from '../../src/queue/job-queue.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { captureLogger } from '../helpers/logs.ts';
import { testDatabaseKind } from '../helpers/database.ts';

let app: TestApp;
let boss: PgBoss;

beforeAll(async () => {
  app = await startTestApp();
  boss = await startJobQueue(app.database, captureLogger('warn').logger);
});
afterAll(async () => {
  await boss?.stop({ graceful: false, close: true } as never);
  await app?.close();
});

it('keeps finished trigger jobs an hour, also on queues an earlier version created with the defaults', async () => {
  // An earlier version's queue: pg-boss's week-long retention and no NOTIFY.
  await boss.createQueue(QUEUES.conversation, { policy: 'stately' });
  expect((await boss.getQueue(QUEUES.conversation))?.deleteAfterSeconds).toBe(7 * 86_400);
  await createQueues(boss, app.database.kind === 'postgres');
  for (const name of Object.values(QUEUES)) {
    const queue = await boss.getQueue(name);
    expect(queue?.deleteAfterSeconds, name).toBe(FINISHED_JOB_RETENTION_S);
    expect(queue?.notify, name).toBe(app.database.kind === 'postgres');
  }
  // A job inserted now carries the queue's retention.
  await boss.send(QUEUES.inbound, { agentId: 'a', channel: 'c', stream: 's' });
  const [job] = await app.database.query<{ deletion_seconds: number }>(
    `select deletion_seconds from pgboss.job where name = $1`,
    [QUEUES.inbound],
  );
  expect(job?.deletion_seconds).toBe(FINISHED_JOB_RETENTION_S);
});

it.runIf(testDatabaseKind() === 'postgres')(
  "sends pg-boss's job fetch, which has no parameters, as a named statement: its plan is cached, not made per call",
  async () => {
    const pool = (boss.getDb() as unknown as { pool: { query: (config: unknown) => Promise<unknown> } }).pool;
    const sent: { name?: string; text: string }[] = [];
    const query = pool.query.bind(pool);
    pool.query = (config) => {
      if (typeof config === 'object' && config !== null) sent.push(config as { name?: string; text: string });
      return query(config);
    };
    try {
      await boss.send(QUEUES.inbound, { agentId: 'a', channel: 'c', stream: 'named-fetch' });
      const jobs = await boss.fetch(QUEUES.inbound, { batchSize: 5 });
      expect(jobs.length).toBeGreaterThan(0);
    } finally {
      pool.query = query;
    }
    const fetches = sent.filter((config) => /SKIP LOCKED/.test(config.text));
    expect(fetches.length).toBe(1);
    expect(fetches[0]?.name).toMatch(/^sb_[0-9a-f]{24}$/);
  },
);
