import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analyzeJobTable, JobTableStatistics } from '../../src/engine/job-statistics.ts';
import { pollIdleSlots, WorkerSlots } from '../../src/engine/worker-slots.ts';
import { startJobQueue } from '../../src/queue/job-queue.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { captureLogger } from '../helpers/logs.ts';

let app: TestApp;
let boss: PgBoss;
const QUEUE = 'slots-test';

beforeAll(async () => {
  app = await startTestApp();
  boss = await startJobQueue(app.database, captureLogger('error').logger);
  await boss.createQueue(QUEUE, { policy: 'stately', retryLimit: 3, retryDelay: 0 });
});
afterAll(async () => {
  await boss?.stop({ graceful: false, close: true } as never);
  await app?.close();
});

it('runs a fetched batch at once and settles each job on its own: a failed one is retried alone', async () => {
  const keys = ['a', 'b', 'c', 'd', 'e'];
  for (const key of keys) await boss.send(QUEUE, { key }, { singletonKey: key });
  const runs: string[] = [];
  let running = 0;
  let most = 0;
  let failedOnce = false;
  const slots = new WorkerSlots(boss, QUEUE, false, 4);
  await slots.add({ pollingIntervalSeconds: 0.5 }, async (job) => {
    const { key } = job.data as { key: string };
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, 50));
    running--;
    runs.push(key);
    // 'c' fails on its first run: only it is retried, its batch neighbours complete.
    if (key === 'c' && !failedOnce) {
      failedOnce = true;
      throw new Error('c failed once');
    }
  });
  slots.announce();
  await eventually(() => (runs.length >= 6 ? true : undefined), 20_000);
  expect(most).toBeGreaterThan(1);
  expect(most).toBeLessThanOrEqual(4);
  expect(runs.filter((r) => r === 'c')).toEqual(['c', 'c']);
  for (const key of ['a', 'b', 'd', 'e'])
    expect(
      runs.filter((r) => r === key),
      key,
    ).toEqual([key]);
  // Settling follows the handler: wait for it, then nothing is left active or retrying.
  const states = await eventually(async () => {
    const rows = await app.database.query<{ state: string; n: number }>(
      `select state, count(*)::int as n from pgboss.job where name = $1 group by state`,
      [QUEUE],
    );
    return rows.length === 1 && rows[0]?.state === 'completed' && rows[0].n === 5 ? rows : undefined;
  }, 10_000);
  expect(states).toEqual([{ state: 'completed', n: 5 }]);
});

it('completes a job the moment it ends, while a slow job of its batch still runs', async () => {
  const queue = 'slots-test-settle';
  await boss.createQueue(queue, { policy: 'stately' });
  await boss.send(queue, { key: 'slow' }, { singletonKey: 'slow' });
  await boss.send(queue, { key: 'fast' }, { singletonKey: 'fast' });
  const release = Promise.withResolvers<void>();
  const ran: string[] = [];
  const slots = new WorkerSlots(boss, queue, false, 4);
  await slots.add({ pollingIntervalSeconds: 0.5 }, async (job) => {
    const { key } = job.data as { key: string };
    ran.push(key);
    if (key === 'slow') await release.promise;
  });
  slots.announce();
  const stateOf = async (key: string) =>
    (
      await app.database.query<{ state: string }>(
        `select state from pgboss.job where name = $1 and singleton_key = $2`,
        [queue, key],
      )
    )[0]?.state;
  // Both were fetched together; the fast one is completed although its batch neighbour has not ended.
  await eventually(async () => ((await stateOf('fast')) === 'completed' ? true : undefined), 10_000);
  expect(ran.sort()).toEqual(['fast', 'slow']);
  expect(await stateOf('slow')).toBe('active');
  release.resolve();
  await eventually(async () => ((await stateOf('slow')) === 'completed' ? true : undefined), 10_000);
});

/** pg-boss's own poll pushed out of the test's reach: only pollIdleSlots (or a wake-up) makes a slot fetch. */
const NO_OWN_POLL = { pollingIntervalSeconds: 120, notifyPollingIntervalSeconds: 120 };

/** Counts pg-boss's fetches of `queues` until `stop` is called. */
function countFetches(queues: string[]) {
  const db = boss.getDb() as { executeSql: (text: string, ...rest: unknown[]) => Promise<unknown> };
  const executeSql = db.executeSql;
  const fetches = new Map<string, number>();
  db.executeSql = (text, ...rest) => {
    for (const queue of queues) {
      if (/next AS \(/.test(text) && text.includes(`'${queue}'`))
        fetches.set(queue, (fetches.get(queue) ?? 0) + 1);
    }
    return executeSql.call(db, text, ...rest);
  };
  return { of: (queue: string) => fetches.get(queue) ?? 0, stop: () => (db.executeSql = executeSql) };
}

it('finds a job that comes due with nothing announcing it, through one idle slot', async () => {
  const queue = 'slots-test-poll';
  await boss.createQueue(queue, { policy: 'stately' });
  const ran: string[] = [];
  const slots = new WorkerSlots(boss, queue, false, 4);
  for (let slot = 0; slot < 2; slot++) {
    await slots.add(NO_OWN_POLL, async (job) => {
      ran.push((job.data as { key: string }).key);
    });
  }
  const stop = pollIdleSlots([slots], 200);
  try {
    // Deferred, as a debounce or a retry from another process would be: no NOTIFY, no wake-up here.
    await boss.send(queue, { key: 'due' }, { singletonKey: 'due', startAfter: 1 });
    await eventually(() => (ran.length > 0 ? true : undefined), 6_000);
    expect(ran).toEqual(['due']);
  } finally {
    stop();
  }
});

it('looks with one idle slot per queue per interval, not with every slot', async () => {
  const queues = ['slots-test-idle-a', 'slots-test-idle-b'];
  const all: WorkerSlots[] = [];
  for (const queue of queues) {
    await boss.createQueue(queue, { policy: 'stately' });
    const slots = new WorkerSlots(boss, queue, false, 4);
    for (let slot = 0; slot < 4; slot++) await slots.add(NO_OWN_POLL, async () => {});
    all.push(slots);
  }
  // Each slot fetched once as it started; from here on only the poll fetches.
  await new Promise((r) => setTimeout(r, 300));
  const counter = countFetches(queues);
  const stop = pollIdleSlots(all, 250);
  try {
    await new Promise((r) => setTimeout(r, 1_500));
  } finally {
    stop();
    counter.stop();
  }
  // 1.5 s at one look per queue every 250 ms: about 6 each (every slot polling would make 4 times that).
  for (const queue of queues) {
    expect(counter.of(queue), queue).toBeGreaterThanOrEqual(4);
    expect(counter.of(queue), queue).toBeLessThanOrEqual(8);
  }
});

it('tells of a backlog on each full batch only, and the job table is analyzed then (not while idle)', async () => {
  const queue = 'slots-test-backlog';
  await boss.createQueue(queue, { policy: 'stately' });
  const reltuples = async () =>
    (
      await app.database.query<{ n: number }>(
        `select reltuples::float8 as n from pg_class where oid = 'pgboss.job_common'::regclass`,
      )
    )[0]!.n;
  const { logger, lines } = captureLogger('warn');
  let analyzes = 0;
  const statistics = new JobTableStatistics(
    async () => {
      analyzes++;
      await analyzeJobTable(app.database);
    },
    logger,
    60_000,
  );
  let backlogs = 0;
  const slots = new WorkerSlots(boss, queue, false, 2, () => {
    backlogs++;
    statistics.backlogSeen();
  });
  const ran: string[] = [];
  await slots.add({ pollingIntervalSeconds: 0.5 }, async (job) => {
    ran.push((job.data as { key: string }).key);
  });
  // Idle polls (empty fetches) tell of nothing.
  await new Promise((r) => setTimeout(r, 700));
  expect(backlogs).toBe(0);
  // Five jobs, two per fetch: two full batches, then a short one.
  for (const key of ['a', 'b', 'c', 'd', 'e']) await boss.send(queue, { key }, { singletonKey: key });
  slots.announce();
  await eventually(() => (ran.length === 5 ? true : undefined), 20_000);
  expect(backlogs).toBe(2);
  // One ANALYZE for both (the interval is a minute), and it counted the table's rows.
  expect(analyzes).toBe(1);
  const rows = (
    await app.database.query<{ n: number }>('select count(*)::int as n from pgboss.job_common')
  )[0]!.n;
  await eventually(async () => ((await reltuples()) === rows ? true : undefined), 10_000);
  // Sampled small, the states' shares are still there for the planner.
  const [state] = await app.database.query<{ n: number }>(
    `select coalesce(array_length(most_common_vals::text::text[], 1), 0) as n from pg_stats
     where schemaname = 'pgboss' and tablename = 'job_common' and attname = 'state'`,
  );
  expect(state?.n).toBeGreaterThan(0);
  expect(lines).toEqual([]);
});

it('fetches again after a short batch only when a job was announced meanwhile, which picks up the one held back', async () => {
  const queue = 'slots-test-refetch';
  await boss.createQueue(queue, { policy: 'stately' });
  const ran: string[] = [];
  let release = Promise.withResolvers<void>();
  const slots = new WorkerSlots(boss, queue, false, 4);
  for (let slot = 0; slot < 2; slot++) {
    await slots.add(NO_OWN_POLL, async (job) => {
      ran.push((job.data as { n: string }).n);
      await release.promise;
    });
  }
  await new Promise((r) => setTimeout(r, 300));
  const counter = countFetches([queue]);
  try {
    // A lone job, nothing announced while it ran: one fetch, none after it ended.
    release.resolve();
    await boss.send(queue, { n: 'first' }, { singletonKey: 'k' });
    slots.announce();
    await eventually(() => (ran.length === 1 ? true : undefined), 10_000);
    const stateOf = async (n: string) =>
      (
        await app.database.query<{ state: string }>(
          `select state from pgboss.job where name = $1 and data ->> 'n' = $2`,
          [queue, n],
        )
      )[0]?.state;
    await eventually(async () => ((await stateOf('first')) === 'completed' ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(counter.of(queue)).toBe(1);

    // The same key again while its job runs: the new job waits (stately), the idle slot's fetch finds nothing,
    // and the running slot fetches it as its batch ends. No poll runs here: nothing else could find it.
    release = Promise.withResolvers<void>();
    await boss.send(queue, { n: 'second' }, { singletonKey: 'k' });
    slots.announce();
    await eventually(() => (ran.length === 2 ? true : undefined), 10_000);
    await boss.send(queue, { n: 'third' }, { singletonKey: 'k' });
    slots.announce();
    await eventually(async () => ((await stateOf('third')) === 'created' ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toEqual(['first', 'second']);
    release.resolve();
    await eventually(() => (ran.length === 3 ? true : undefined), 10_000);
    expect(ran).toEqual(['first', 'second', 'third']);
  } finally {
    counter.stop();
    release.resolve();
  }
});

/**
 * Runs `act`, then waits until `completed` of `queue`'s jobs are completed (and 200 ms more for a late statement);
 * returns how many completion statements of that queue ran meanwhile (pg-boss's housekeeping runs beside it).
 */
async function completionStatements(queue: string, completed: number, act: () => Promise<void>) {
  const db = boss.getDb() as { executeSql: (text: string, ...rest: unknown[]) => Promise<unknown> };
  const executeSql = db.executeSql;
  let statements = 0;
  db.executeSql = (text, ...rest) => {
    const [values] = rest as [unknown[] | undefined];
    if (/SET completed_on =/.test(text) && values?.[0] === queue) statements++;
    return executeSql.call(db, text, ...rest);
  };
  try {
    await act();
    await eventually(async () => {
      const [row] = await app.database.query<{ n: number }>(
        `select count(*)::int as n from pgboss.job where name = $1 and state = 'completed'`,
        [queue],
      );
      return row?.n === completed ? true : undefined;
    }, 10_000);
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    db.executeSql = executeSql;
  }
  return statements;
}

it('settles a lone job once: its completion is one statement, not ours and then pg-boss’s', async () => {
  const queue = 'slots-test-lone';
  await boss.createQueue(queue, { policy: 'stately' });
  const slots = new WorkerSlots(boss, queue, false, 4);
  await slots.add(NO_OWN_POLL, async () => {});
  const statements = await completionStatements(queue, 1, async () => {
    await boss.send(queue, { n: 1 }, { singletonKey: 'lone' });
    slots.announce();
  });
  expect(statements).toBe(1);
});

it('leaves the last job of a batch to end to pg-boss’s batch completion: no statement of ours before it', async () => {
  const queue = 'slots-test-batch';
  await boss.createQueue(queue, { policy: 'stately' });
  const slots = new WorkerSlots(boss, queue, false, 4);
  // Jobs end 150 ms apart, so each completion of ours is a statement of its own.
  const delays: Record<string, number> = { a: 0, b: 150, c: 300, d: 450 };
  await slots.add(NO_OWN_POLL, async (job) => {
    await new Promise((r) => setTimeout(r, delays[(job.data as { key: string }).key]));
  });
  const statements = await completionStatements(queue, 4, async () => {
    // One insert, so one fetch finds all four.
    await boss.insert(
      queue,
      Object.keys(delays).map((key) => ({ data: { key }, singletonKey: key })),
    );
    slots.announce();
  });
  // Three of ours (a, b, c as each ended) and pg-boss's one for the batch, which completed d: four, not five.
  expect(statements).toBe(4);
});
